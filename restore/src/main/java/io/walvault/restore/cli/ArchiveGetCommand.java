package io.walvault.restore.cli;

import io.walvault.core.cli.RepositoryOptions;
import io.walvault.core.config.RepositorySettings;
import io.walvault.core.config.Settings;
import io.walvault.restore.get.ArchiveGet;
import io.walvault.restore.get.ArchiveGetSettings;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code walvault archive-get %f %p}: PostgreSQL's restore_command. Parses and delegates to {@link ArchiveGet}. */
@Command(name = "archive-get", mixinStandardHelpOptions = true,
        header = "Restore one archived WAL file (PostgreSQL's restore_command).",
        description = {"Restore one archived WAL file; for PostgreSQL's restore_command:",
                "  restore_command = 'walvault archive-get --repo URI %%f %%p'",
                "Exits 0 once the file is complete at %%p (written under a temporary name, fsynced, renamed);"
                        + " 76 when the archive does not have it (recovery's normal end of the archive). A segment"
                        + " archived only as the newest .partial of its timeline is served from it.",
                "Fetches the following segments ahead, in parallel, into pg_wal/.walvault-prefetch (through"
                        + " bin/walvault: a detached follower keeps that spool filled while recovery replays)."})
public final class ArchiveGetCommand implements Callable<Integer> {

    @Mixin
    RepositoryOptions options;

    @Parameters(index = "0", paramLabel = "NAME", description = "The archived file's name (%%f).")
    String name;

    @Parameters(index = "1", paramLabel = "PATH", description = "Where to write it (%%p).")
    Path target;

    @Option(names = "--system-identifier", paramLabel = "ID", description = "The cluster whose WAL to restore (default: the"
            + " data directory's pg_control, else the repository's only cluster; WALVAULT_SYSTEM_IDENTIFIER).")
    String systemIdentifier;

    @Option(names = "--prefetch", paramLabel = "N", description = "Segments to fetch ahead (default "
            + ArchiveGetSettings.DEFAULT_PREFETCH + "; 0: off; WALVAULT_ARCHIVE_GET_PREFETCH).")
    String prefetch;

    @Option(names = "--background-prefetch", hidden = true, description = "Leave fetching ahead to a follower"
            + " (bin/walvault starts one).")
    boolean background;

    @Option(names = "--follow", hidden = true, description = "Be the follower: keep the prefetch spool filled while"
            + " recovery takes from it (bin/walvault starts it detached).")
    boolean follow;

    @Override
    public Integer call() throws IOException {
        Map<String, String> own = new LinkedHashMap<>();
        own.put("system-identifier", systemIdentifier);
        own.put("archive-get-prefetch", prefetch);
        Settings s = options.settings(own, System.getenv());
        ArchiveGetSettings settings = ArchiveGetSettings.from(s);
        ArchiveGet get = new ArchiveGet(RepositorySettings.from(s), background ? settings.inBackground() : settings,
                Path.of("").toAbsolutePath());
        if (follow) {
            get.follow();
        } else {
            get.run(name, target);
        }
        return 0;
    }
}
