package io.walvault.restore.run;

import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;
import java.util.List;
import java.util.Set;

/**
 * Which databases a restore writes in full ({@code --db-include}, {@code --db-exclude}); the
 * others' relation files are restored as sparse zeroed files of their size, so the cluster
 * starts and recovers, and the person drops them afterwards. The system databases (template0,
 * template1) are always restored, postgres unless excluded by name; global/ and everything
 * outside base/ and the tablespaces always. Names are resolved against the backup ({@link
 * SkippedDatabases}).
 *
 * @param include the databases to restore (all others skipped); empty: no inclusion list
 * @param exclude the databases to skip; empty: none
 */
public record DatabaseChoice(Set<String> include, Set<String> exclude) {

    /** Databases restored whatever the choice: PostgreSQL needs them to start and to create databases. */
    static final Set<String> ALWAYS = Set.of("template0", "template1");

    /** Every database restored: the default. */
    public static final DatabaseChoice ALL = new DatabaseChoice(Set.of(), Set.of());

    public DatabaseChoice {
        include = Set.copyOf(include);
        exclude = Set.copyOf(exclude);
        if (!include.isEmpty() && !exclude.isEmpty()) {
            throw new WalvaultException(ErrorCode.USAGE, "--db-include and --db-exclude were both given HINT: name the"
                    + " databases to restore with --db-include, or the ones to skip with --db-exclude");
        }
        for (String name : exclude) {
            if (ALWAYS.contains(name)) {
                throw new WalvaultException(ErrorCode.USAGE, "--db-exclude " + name + ": " + name + " is always restored"
                        + " (PostgreSQL needs it) HINT: leave it out of --db-exclude");
            }
        }
    }

    /** From the options as given (each list may be empty). */
    public static DatabaseChoice of(List<String> include, List<String> exclude) {
        return new DatabaseChoice(Set.copyOf(include), Set.copyOf(exclude));
    }

    /** Whether every database is restored in full. */
    public boolean all() {
        return include.isEmpty() && exclude.isEmpty();
    }
}
