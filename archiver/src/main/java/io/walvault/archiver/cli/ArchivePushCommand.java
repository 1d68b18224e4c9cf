package io.walvault.archiver.cli;

import io.walvault.archiver.push.ArchivePush;
import io.walvault.archiver.push.ArchivePushSettings;
import io.walvault.core.cli.RepositoryOptions;
import io.walvault.core.config.RepositorySettings;
import io.walvault.core.config.Settings;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code walvault archive-push %p}: PostgreSQL's archive_command. Parses and delegates to {@link ArchivePush}. */
@Command(name = "archive-push", mixinStandardHelpOptions = true,
        header = "Archive one WAL file durably (PostgreSQL's archive_command).",
        description = {"Archive one WAL file; for PostgreSQL's archive_command:",
                "  archive_command = 'walvault archive-push --repo URI %%p'",
                "Exits 0 only once the file is durable in the repository (an identical copy already there counts);"
                        + " a different file under the same name is refused (41), never overwritten. Segments are"
                        + " checked (system identifier, segment size, page addresses) before they are stored.",
                "Then pushes the next .ready files of pg_wal/archive_status ahead, in parallel, so that the calls"
                        + " for them return at once."})
public final class ArchivePushCommand implements Callable<Integer> {

    @Mixin
    RepositoryOptions options;

    @Parameters(index = "0", paramLabel = "FILE", description = "The WAL file (%%p: relative to the data directory).")
    Path file;

    @Option(names = "--system-identifier", paramLabel = "ID", description = "Accept only WAL of this cluster"
            + " (pg_controldata's 'Database system identifier'); also names the cluster of history files"
            + " (WALVAULT_SYSTEM_IDENTIFIER).")
    String systemIdentifier;

    @Option(names = "--look-ahead", paramLabel = "N", description = "Push up to N further .ready files after this one"
            + " (default " + ArchivePushSettings.DEFAULT_LOOK_AHEAD + "; 0: off; WALVAULT_ARCHIVE_PUSH_LOOK_AHEAD).")
    String lookAhead;

    @Option(names = "--parallel", paramLabel = "N", description = "Look-ahead pushes at once (default "
            + ArchivePushSettings.DEFAULT_PARALLEL + "; WALVAULT_ARCHIVE_PUSH_PARALLEL).")
    String parallel;

    @Option(names = "--watch", description = "Instead of archiving FILE, keep pushing the .ready files of its directory"
            + " as they appear, until none has appeared for 20 s (at most 10 min); one watcher per directory."
            + " bin/walvault starts one in the background after a successful push (WALVAULT_ARCHIVE_PUSH_WATCH=off: never).")
    boolean watch;

    @Override
    public Integer call() throws IOException {
        Map<String, String> own = new LinkedHashMap<>();
        own.put("system-identifier", systemIdentifier);
        own.put("archive-push-look-ahead", lookAhead);
        own.put("archive-push-parallel", parallel);
        Settings s = options.settings(own, System.getenv());
        ArchivePush push = new ArchivePush(RepositorySettings.from(s), ArchivePushSettings.from(s));
        if (watch) {
            push.watch(file, java.time.Duration.ofSeconds(20), java.time.Duration.ofMinutes(10));
        } else {
            push.run(file);
        }
        return 0;
    }
}
