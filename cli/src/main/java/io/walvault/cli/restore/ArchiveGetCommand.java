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
import io.walvault.core.hook.HookCaller;
import io.walvault.core.hook.WorkerStarter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code walvault archive-get %f %p}: PostgreSQL's restore_command. Parses and delegates to {@link ArchiveGet}. */
@Command(name = "archive-get", mixinStandardHelpOptions = true,
        footerHeading = "%nExample:%n", footer = {"  restore_command = '/opt/walvault/bin/walvault archive-get \\", "      --config /etc/walvault/main.conf %%f %%p' (restore writes it)"},
        header = "Restore one archived WAL file (PostgreSQL's restore_command).",
        description = {"Restore one archived WAL file; for PostgreSQL's restore_command:",
                "  restore_command = 'walvault archive-get --repo URI %%f %%p'",
                "Exits 0 once the file is complete at %%p (written under a temporary name, fsynced, renamed);"
                        + " 76 when the archive does not have it (recovery's normal end of the archive). A segment"
                        + " archived only as the newest .partial of its timeline is served from it.",
                "The first call starts a worker (one per pg_wal, detached, logging to pg_wal/.walvault/get.log) that"
                        + " fetches the following segments ahead, in parallel, into pg_wal/.walvault/get and answers ahead"
                        + " what the archive lacks: bin/walvault then hands PostgreSQL those files, and those answers,"
                        + " without starting Java. archive-get-prefetch 0 turns the worker off (for pg_rewind's"
                        + " restore_command, which asks for a few files only).",
                "Every other failure exits 150, which PostgreSQL treats as fatal: a file the archive holds but cannot"
                        + " deliver (store unavailable after retries, corrupt object, local write failing), a file the"
                        + " restore's plan needs but the archive lacks, or recovery ending before the plan's end stops"
                        + " recovery instead of ending it early; start the server again once the cause is fixed.",
                "With --end-of-recovery (the recovery_end_command walvault restore writes): removes the spool"
                        + " and the restore's private files (settings, passphrase, keys) from pg_wal once recovery has ended."})
public final class ArchiveGetCommand implements Callable<Integer> {

    @Mixin
    RepositoryOptions options;

    @Parameters(index = "0", arity = "0..1", paramLabel = "NAME", description = "The archived file's name (%%f).")
    String name;

    @Parameters(index = "1", arity = "0..1", paramLabel = "PATH", description = "Where to write it (%%p).")
    Path target;

    @Option(names = "--end-of-recovery", negatable = true, fallbackValue = "true",
            description = "Remove the spool and the restore's private files from"
            + " pg_wal (PostgreSQL's recovery_end_command; run in the data directory).")
    boolean endOfRecovery;

    @Option(names = "--system-identifier", paramLabel = "ID", description = "The cluster whose WAL to restore (default: the"
            + " data directory's pg_control, else the repository's only cluster; WALVAULT_SYSTEM_IDENTIFIER).")
    String systemIdentifier;

    @Option(names = "--prefetch", paramLabel = "N", description = "Segments to fetch ahead (default "
            + ArchiveGetSettings.DEFAULT_PREFETCH + "; 0: off; WALVAULT_ARCHIVE_GET_PREFETCH).")
    String prefetch;

    @Option(names = "--worker", fallbackValue = "true", hidden = true,
            description = "Be the worker of this data directory's pg_wal (a call"
            + " starts it).")
    boolean worker;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        if (endOfRecovery) {
            if (name != null) {
                throw new WalvaultException(ErrorCode.USAGE, "--end-of-recovery takes no file names");
            }
            ArchiveGet.endOfRecovery(Path.of("").toAbsolutePath());
            return 0;
        }
        if (name == null || target == null) {
            throw new WalvaultException(ErrorCode.USAGE, "archive-get needs the file's name and where to write it"
                    + " HINT: restore_command = 'walvault archive-get --repo URI %f %p'");
        }
        try {
            return get();
        } catch (WalvaultException e) {
            if (worker || e.code() == ErrorCode.WAL_NOT_ARCHIVED || e.code() == ErrorCode.RECOVERY_STOPPED) {
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
        List<String> original = new ArrayList<>(spec.commandLine().getParseResult().originalArgs());
        if (!original.isEmpty() && original.get(0).equals("archive-get")) {
            original.remove(0);
        }
        try (RepositorySettings rs = RepositorySettings.from(s)) {
            ArchiveGet get = new ArchiveGet(rs, ArchiveGetSettings.from(s), Path.of("").toAbsolutePath(), workerStart(original));
            if (worker) {
                List<String> all = new ArrayList<>(List.of("archive-get"));
                all.addAll(original);
                get.worker(target.toAbsolutePath().getParent(), HookCaller.of(all, 2, s.configFile()));
            } else {
                get.run(name, target);
            }
        }
        return 0;
    }

    /**
     * How a call starts the worker: the launcher (bin/walvault exports it) with this call's own
     * arguments and {@code --worker} last (where bin/walvault, which looks at the last arguments
     * for the file's name and path, does not take them for a WAL file).
     */
    static ArchiveGet.WorkerStart workerStart(List<String> argsAfterCommand) {
        List<String> a = new ArrayList<>();
        a.add("archive-get");
        a.addAll(argsAfterCommand);
        a.add("--worker");
        return new ArchiveGet.WorkerStart(WorkerStarter.launcher(), a);
    }
}
