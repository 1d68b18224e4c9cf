package io.walvault.cli.restore;

import io.walvault.cli.options.RepositoryOptions;
import io.walvault.core.config.RepositorySettings;
import io.walvault.core.config.Settings;
import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;
import io.walvault.restore.get.ArchiveGet;
import io.walvault.restore.get.ArchiveGetSettings;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.OptionalLong;
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
                        + " bin/walvault: a detached follower keeps that spool filled while recovery replays).",
                "Every other failure exits 150, which PostgreSQL treats as fatal: a file the archive holds but cannot"
                        + " deliver (store unavailable after retries, corrupt object, local write failing), a file the"
                        + " restore's plan needs but the archive lacks, or recovery ending before the plan's end stops"
                        + " recovery instead of ending it early; start the server again once the cause is fixed.",
                "With --end-of-recovery (the recovery_end_command walvault restore writes): removes the prefetch spool"
                        + " and the restore's private files (settings, passphrase, keys) from pg_wal once recovery has ended."})
public final class ArchiveGetCommand implements Callable<Integer> {

    @Mixin
    RepositoryOptions options;

    @Parameters(index = "0", arity = "0..1", paramLabel = "NAME", description = "The archived file's name (%%f).")
    String name;

    @Parameters(index = "1", arity = "0..1", paramLabel = "PATH", description = "Where to write it (%%p).")
    Path target;

    @Option(names = "--end-of-recovery", description = "Remove the prefetch spool and the restore's private files from"
            + " pg_wal (PostgreSQL's recovery_end_command; run in the data directory).")
    boolean endOfRecovery;

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
        if (endOfRecovery) {
            if (name != null) {
                throw new WalvaultException(ErrorCode.USAGE, "--end-of-recovery takes no file names");
            }
            try (RepositorySettings rs = RepositorySettings.from(options.settings(Map.of(), System.getenv()))) {
                new ArchiveGet(rs, new ArchiveGetSettings(OptionalLong.empty(), 0, 1), Path.of("").toAbsolutePath()).endOfRecovery();
            }
            return 0;
        }
        if (name == null || (target == null && !follow)) {
            throw new WalvaultException(ErrorCode.USAGE, "archive-get needs the file's name and where to write it"
                    + " HINT: restore_command = 'walvault archive-get --repo URI %f %p'");
        }
        try {
            return get();
        } catch (WalvaultException e) {
            if (follow || e.code() == ErrorCode.WAL_NOT_ARCHIVED || e.code() == ErrorCode.RECOVERY_STOPPED) {
                throw e;
            }
            throw ArchiveGet.stopRecovery(name, e); // a setting refused: recovery must not end here either
        }
    }

    private int get() throws IOException {
        Map<String, String> own = new LinkedHashMap<>();
        own.put("system-identifier", systemIdentifier);
        own.put("archive-get-prefetch", prefetch);
        Settings s = options.settings(own, System.getenv());
        ArchiveGetSettings settings = ArchiveGetSettings.from(s);
        try (RepositorySettings rs = RepositorySettings.from(s)) {
            ArchiveGet get = new ArchiveGet(rs, background ? settings.inBackground() : settings, Path.of("").toAbsolutePath());
            if (follow) {
                get.follow();
            } else {
                get.run(name, target);
            }
        }
        return 0;
    }
}
