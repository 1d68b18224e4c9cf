package io.walvault.cli.options;

import io.walvault.restore.run.DatabaseChoice;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * Which databases a restore writes in full, as a picocli mixin of {@code restore} and of
 * {@code verify --drill} (which rehearses the same restore).
 */
public final class DatabaseOptions {

    @Option(names = "--db-include", paramLabel = "NAME", description = "Restore this database in full (repeatable); the"
            + " others but template0, template1 and postgres become sparse zeroed files, to be dropped after recovery"
            + " (a drill drops them once promoted).")
    List<String> include = List.of();

    @Option(names = "--db-exclude", paramLabel = "NAME", description = "Do not restore this database's data (repeatable):"
            + " its relation files become sparse zeroed files, to be dropped after recovery.")
    List<String> exclude = List.of();

    /** The choice made; refused when both lists are given or a system database is excluded. */
    public DatabaseChoice choice() {
        return DatabaseChoice.of(include, exclude);
    }

    /** Whether either option was given. */
    public boolean given() {
        return !include.isEmpty() || !exclude.isEmpty();
    }
}
