package io.walvault.cli.archiver;

import io.walvault.archiver.backup.Backup;
import io.walvault.archiver.backup.BackupOptions;
import io.walvault.archiver.backup.BackupResult;
import io.walvault.archiver.backup.ServerCompressionChoice;
import io.walvault.archiver.check.Check;
import io.walvault.archiver.check.CheckResult;
import io.walvault.cli.options.RepositoryOptions;
import io.walvault.cli.options.ServerConnection;
import io.walvault.core.config.ClusterGuard;
import io.walvault.core.config.RepositorySettings;
import io.walvault.core.config.Settings;
import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;
import io.walvault.core.pipeline.Futures;
import io.walvault.core.replication.ReplicationConnection;
import io.walvault.core.replication.conn.ConnectionSettings;
import io.walvault.core.repo.BackupInfo;
import io.walvault.core.repo.Repositories;
import io.walvault.core.repo.Repository;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.FutureTask;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code walvault backup}: parses the command line and runs {@link Backup}. The connection string
 * comes from {@code --pg}, else {@code WALVAULT_PG}, completed by the PG* environment and the
 * password file as libpq does.
 */
@Command(name = "backup", mixinStandardHelpOptions = true,
        footerHeading = "%nExample:%n", footer = {"  walvault backup --config /etc/walvault/main.conf \\", "      --pg 'host=127.0.0.1 user=walvault' --checkpoint fast"},
        description = {"Take a base backup over the replication protocol, streamed straight into the repository.",
                "The backup's WAL (start to end) is streamed over a second replication connection and stored in the"
                        + " WAL archive before the manifest is written: a backup is restorable on its own.",
                "The role needs LOGIN REPLICATION, and the server two free WAL senders."})
public final class BackupCommand implements Callable<Integer> {

    private static final Logger LOG = LoggerFactory.getLogger(BackupCommand.class);

    @Mixin
    RepositoryOptions repository;

    @Option(names = "--pg", paramLabel = "CONNINFO", description = "libpq connection string or URI of the server"
            + " (WALVAULT_PG; PG* variables and ~/.pgpass apply as with libpq).")
    String pg;

    @Option(names = "--label", paramLabel = "TEXT", description = "Backup label (default: walvault).")
    String label = "walvault";

    @Option(names = "--checkpoint", paramLabel = "MODE", description = "spread (default) or fast.")
    String checkpoint = "spread";

    @Option(names = "--max-rate", paramLabel = "RATE", description = "Bandwidth limit, in kB/s or with a suffix k or M"
            + " (e.g. 20M); 32k to 1024M. The server throttles.")
    String maxRate;

    @Option(names = "--allow-checksum-failures", negatable = true, fallbackValue = "true",
            description = "Keep the backup even when the server reports"
            + " data-checksum failures (reported, never silently).")
    boolean allowChecksumFailures;

    @Option(names = "--bundle-size", paramLabel = "MIB", description = "Bundle size in MiB (default 64).")
    long bundleMib = 64;

    @Option(names = "--uploads", paramLabel = "N", description = "Bundles uploaded in parallel (default 2).")
    int uploads = 2;

    @Option(names = "--wal-timeout", paramLabel = "SECONDS", description = "How long to wait for the backup's last"
            + " WAL segment after the data (default 300).")
    long walTimeoutSeconds = 300;

    @Option(names = "--progress", paramLabel = "MODE", description = "auto (default: a bar on a terminal, a line every"
            + " 10 s otherwise), bar, lines or none.")
    String progressMode = "auto";

    @Option(names = "--server-compression", paramLabel = "METHOD", description = "What the server compresses the backup"
            + " with before sending it (PostgreSQL 15 and newer): auto (default: lz4 when the server's build has it), off,"
            + " lz4[:LEVEL], zstd[:level=N,workers=N] or gzip[:LEVEL]. Setting backup-server-compression.")
    String serverCompression;

    @Option(names = "--full", negatable = true, fallbackValue = "true",
            description = "Have the server read every file. By default, on PostgreSQL 17 and newer with"
            + " summarize_wal on, the server sends only the blocks changed since the last backup, and walvault rebuilds every"
            + " file from them and the chunks the repository holds (the backup is complete on its own either way).")
    boolean full;

    @Option(names = "--archive-check", negatable = true, fallbackValue = "true",
            description = "Refuse to start (exit 84) when WAL is not being archived:"
            + " archive_command not running walvault archive-push, pg_stat_archiver showing it failing, or, with"
            + " archive_mode off, no replication slot streamed from; without it, a warning. Needs a SQL connection with the"
            + " same conninfo.")
    boolean archiveCheck;

    @Spec
    CommandSpec spec;

    private static String problem(CheckResult c) {
        return (c.name().equals("archiving") ? "archiving is failing" : c.name()) + ": " + c.detail();
    }

    @Override
    public Integer call() {
        BackupOptions options = options();
        ConnectionSettings settings = ServerConnection.of(pg);
        ReplicationConnection.prepareInBackground(); // the network code set up while the rest starts
        PrintWriter err = spec.commandLine().getErr();
        // the backup streams its own WAL, but recovery past it needs archiving: say at once when it
        // fails. The check (an SQL connection) runs while the repository is opened (its key derived).
        FutureTask<List<CheckResult>> archiveSetUp = Futures.startOnDaemon("walvault-archive-check",
                () -> Check.archiveSetUp(settings));
        BackupResult r;
        Repository opened;
        RepositorySettings rs = null;
        try {
            Settings own = repository.settings(serverCompression == null ? Map.of()
                    : Map.of("backup-server-compression", serverCompression), System.getenv());
            options = options.systemIdentifier(own.systemIdentifier()).serverCompression(ServerCompressionChoice.from(own))
                    .guard(ClusterGuard.of(own, LOG::warn));
            rs = repository.repository(System.getenv());
            opened = Repositories.open(rs);
        } catch (RuntimeException e) {
            if (rs != null) {
                rs.close();
            }
            reportArchiveSetUp(archiveSetUp, err); // its refusal first, as when the two ran one after the other
            throw e;
        }
        try (RepositorySettings closeSettings = rs; Repository repo = opened) {
            reportArchiveSetUp(archiveSetUp, err);
            Backup backup = switch (progressMode) {
                case "none" -> new Backup(settings, repo, options);
                case "bar" -> new Backup(settings, repo, options, err, true);
                case "lines" -> new Backup(settings, repo, options, err, false);
                case "auto" -> new Backup(settings, repo, options, err, System.console() != null);
                default -> throw new WalvaultException(ErrorCode.USAGE, "--progress '" + progressMode
                        + "' is not one of auto, bar, lines, none");
            };
            r = backup.runUntilShutdown();
        }
        BackupInfo i = r.info();
        double secs = Math.max(0.001, r.elapsed().toMillis() / 1000.0);
        double checkpoint = r.checkpointWait().toMillis() / 1000.0;
        // the rate of the copy itself: a spread checkpoint can take minutes before the first byte
        double copying = Math.max(0.001, secs - checkpoint);
        PrintWriter out = spec.commandLine().getOut();
        out.printf(Locale.ROOT, "backup %s complete: %d files, %.1f MiB (%.1f MiB added to the repository%s), %.1f s%s,"
                        + " %.0f MB/s%n", i.id(), i.files(), i.bytes() / 1048576.0, i.addedBytes() / 1048576.0,
                i.chunks().sharedBytes() > 0 ? String.format(Locale.ROOT, ", %.1f MiB unchanged and shared with earlier backups",
                        i.chunks().sharedBytes() / 1048576.0) : "", secs,
                checkpoint >= 1 ? String.format(Locale.ROOT, " (%.1f s of it the server's checkpoint)", checkpoint) : "",
                i.bytes() / copying / 1e6);
        out.printf(Locale.ROOT, "  start %s, end %s, timeline %s; WAL %s to %s in the archive%n", i.startLsn(), i.stopLsn(),
                i.timeline(), i.firstWal().orElseThrow(), i.lastWal().orElseThrow());
        if (r.read().incrementalFrom().isPresent()) {
            out.printf(Locale.ROOT, "  read incrementally: the server sent only the blocks changed since backup %s;"
                    + " %d files rebuilt from them and that backup's chunks%n", r.read().incrementalFrom().get(),
                    r.read().rebuiltFiles());
        } else if (!r.read().why().isEmpty() && !full) {
            out.printf(Locale.ROOT, "  read in full: %s%n", r.read().why());
        }
        r.checksumFailure().ifPresent(m -> err.println("walvault: warning: the server reported data-checksum failures"
                + " (kept because of --allow-checksum-failures): " + m));
        return 0;
    }

    /**
     * Waits for the archive check: with {@code --archive-check}, a problem stops the backup
     * (exit 84, every problem named); without, each is a warning.
     */
    private void reportArchiveSetUp(FutureTask<List<CheckResult>> archiveSetUp, PrintWriter err) {
        List<CheckResult> unarchived = Futures.join(archiveSetUp, "checking the archive set-up").stream()
                .filter(c -> !c.ok()).toList();
        if (archiveCheck && !unarchived.isEmpty()) {
            throw new WalvaultException(ErrorCode.CHECK_FAILED, unarchived.stream().map(BackupCommand::problem)
                    .collect(Collectors.joining("; ")) + " HINT: " + unarchived.stream().map(c -> c.hint().orElse(""))
                    .collect(Collectors.joining("; ")));
        }
        for (CheckResult c : unarchived) {
            err.println("walvault: warning: " + problem(c) + "; this backup is restorable, but no point after it is until"
                    + " WAL is archived HINT: " + c.hint().orElse(""));
        }
    }

    private BackupOptions options() {
        boolean fast = switch (checkpoint) {
            case "fast" -> true;
            case "spread" -> false;
            default -> throw new WalvaultException(ErrorCode.USAGE, "--checkpoint '" + checkpoint + "' is not fast or spread");
        };
        try {
            return BackupOptions.defaults().label(label).fastCheckpoint(fast).maxRateKbps(maxRate == null ? 0 : parseRate(maxRate))
                    .allowChecksumFailures(allowChecksumFailures).bundleSize(bundleMib * 1024 * 1024).uploads(uploads)
                    .walTimeout(Duration.ofSeconds(walTimeoutSeconds)).full(full);
        } catch (IllegalArgumentException e) {
            throw new WalvaultException(ErrorCode.USAGE, e.getMessage());
        }
    }

    /** kB/s from {@code 500}, {@code 500k} or {@code 20M}. */
    static int parseRate(String text) {
        String t = text.trim();
        long factor = 1;
        if (t.endsWith("k") || t.endsWith("K")) {
            t = t.substring(0, t.length() - 1);
        } else if (t.endsWith("M") || t.endsWith("m")) {
            factor = 1024;
            t = t.substring(0, t.length() - 1);
        }
        long v;
        try {
            v = Long.parseLong(t) * factor;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--max-rate '" + text + "' is not a rate (500k, 20M)");
        }
        if (v < 32 || v > 1048576) {
            throw new IllegalArgumentException("--max-rate '" + text + "' is outside 32k to 1024M");
        }
        return (int) v;
    }
}
