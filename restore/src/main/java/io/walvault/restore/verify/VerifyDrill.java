package io.walvault.restore.verify;

import static java.util.Objects.requireNonNull;

import io.walvault.core.config.RepositorySettings;
import io.walvault.core.config.Settings;
import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;
import io.walvault.core.repo.Repository;
import io.walvault.restore.drill.Drill;
import io.walvault.os.OsUser;
import io.walvault.restore.drill.DrillReport;
import io.walvault.restore.drill.ServerBinaries;
import io.walvault.restore.recovery.RecoveryTarget;
import io.walvault.restore.recovery.TargetAction;
import io.walvault.restore.recovery.TargetTimeline;
import io.walvault.core.wal.Lsn;
import io.walvault.restore.plan.RestorePlan;
import io.walvault.restore.recovery.RecoveryMode;
import io.walvault.restore.run.DatabaseChoice;
import io.walvault.restore.run.Restore;
import io.walvault.restore.status.RtoRecorder;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.FileVisitResult;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code walvault verify --drill}: a tested restore in one command. Restores the backup into a
 * scratch directory (tablespaces under it too, archiving off), starts it with {@link Drill}
 * (a private server on loopback), waits for recovery to reach the target, runs the checks, and
 * removes the scratch cluster unless asked to keep it.
 */
public final class VerifyDrill {

    private static final Logger LOG = LoggerFactory.getLogger(VerifyDrill.class);

    /**
     * @param scratch the directory to restore into (new or empty), or empty for a temporary one
     * @param keep keep the scratch cluster afterwards
     * @param pgBin the directory holding {@code postgres}, or empty to search PATH and the usual places
     * @param runAs the OS user the server runs as (required as root)
     * @param databaseUser the role to connect as
     * @param sql the user's checks
     * @param timeout how long recovery may take
     * @param databases the databases the drill restores in full (a selective restore's rehearsal)
     * @param standby rehearse a standby: restored with standby.signal, it passes once it serves reads and has
     *                replayed the repository's WAL to its last segment
     */
    public record Options(Optional<Path> scratch, boolean keep, Optional<Path> pgBin, Optional<String> runAs,
                          String databaseUser, List<String> sql, Duration timeout, DatabaseChoice databases,
                          boolean standby) {

        /** A drill of the whole cluster. */
        public Options(Optional<Path> scratch, boolean keep, Optional<Path> pgBin, Optional<String> runAs,
                       String databaseUser, List<String> sql, Duration timeout) {
            this(scratch, keep, pgBin, runAs, databaseUser, sql, timeout, DatabaseChoice.ALL, false);
        }

        public Options {
            requireNonNull(databases, "databases is null");
            requireNonNull(scratch, "scratch is null");
            requireNonNull(pgBin, "pgBin is null");
            requireNonNull(runAs, "runAs is null");
            requireNonNull(databaseUser, "databaseUser is null");
            sql = List.copyOf(sql);
            requireNonNull(timeout, "timeout is null");
        }
    }

    private VerifyDrill() {
    }

    /** The PostgreSQL major version of backup {@code backupId} of the cluster {@code systemId}, which must exist. */
    public static int pgMajor(Repository repo, long systemId, String backupId) throws IOException {
        return repo.cluster(systemId).backups().info(backupId).pgVersion() / 10000;
    }

    /**
     * Runs the drill on backup {@code backupId} of the cluster {@code systemId}.
     *
     * @param repositorySettings the repository's settings, carried into the drill server's restore_command
     * @param repo the repository, opened with them
     * @param pgMajor the backup's PostgreSQL major version
     */
    public static DrillReport run(Settings settings, RepositorySettings repositorySettings, Repository repo, long systemId,
                                  String backupId, int pgMajor, RecoveryTarget target, TargetTimeline timeline,
                                  boolean inclusive, int jobs, Path launcher, Options o, PrintWriter out) throws IOException {
        ServerBinaries binaries = ServerBinaries.find(o.pgBin(), pgMajor);
        Optional<OsUser> runAs = o.runAs().map(name -> OsUser.find(name).orElseThrow(() -> new WalvaultException(
                ErrorCode.DRILL_NO_SERVER, "operating-system user '" + name + "' does not exist"
                + " HINT: --run-as names an existing unprivileged user")));
        if (OsUser.processIsRoot() && runAs.isEmpty()) {
            throw new WalvaultException(ErrorCode.DRILL_NO_SERVER, "walvault runs as root and PostgreSQL refuses to run as root"
                    + " HINT: name an unprivileged user for the drill's server with --run-as");
        }
        Path root = o.scratch().isPresent() ? o.scratch().get().toAbsolutePath()
                : Files.createTempDirectory("walvault-drill-scratch-", PosixFilePermissions.asFileAttribute(
                        PosixFilePermissions.fromString("rwx------")));
        Path data = root.resolve("data");
        boolean ok = false;
        try {
            out.println("drill: restoring backup '" + backupId + "' into scratch directory '" + root + "'");
            Restore.Options ro = new Restore.Options(data, Optional.of(Long.toUnsignedString(systemId)), target, inclusive,
                    TargetAction.PROMOTE, timeline, Optional.of(backupId), Map.of(), false, jobs, Optional.of(launcher), true,
                    Optional.of(root.resolve("tablespaces")), o.standby() ? new RecoveryMode.Standby(Optional.empty())
                    : new RecoveryMode.Targeted(), List.of(), false, o.databases());
            Restore.Summary restored = new Restore(settings, ro, out).run(repositorySettings, repo);
            runAs.ifPresent(u -> u.adopt(root));
            Optional<Lsn> catchUp = Optional.empty();
            if (o.standby()) {
                RestorePlan plan = restored.plan();
                catchUp = Optional.of(plan.wal().isEmpty() ? plan.backup().stopLsn()
                        : plan.wal().get(plan.wal().size() - 1).file().segmentName(plan.segmentSize()).orElseThrow().startLsn());
            }
            Drill drill = new Drill(new Drill.Settings(data, binaries, runAs, o.databaseUser(), o.sql(), o.timeout(),
                    restored.skippedDatabases(), catchUp));
            DrillReport report;
            try {
                report = drill.run();
            } catch (WalvaultException e) {
                String log = drill.log();
                String tail = log.lines().skip(Math.max(0, log.lines().count() - 20)).reduce("", (a, b) -> a + "\n    " + b);
                throw new WalvaultException(e.code(), e.getMessage() + (tail.isBlank() ? "" : "\n  server log (last lines):" + tail), e);
            }
            print(report, out);
            if (!o.standby() && o.databases().all() && report.outcome() != DrillReport.Outcome.STANDBY_CAUGHT_UP) {
                recordReplay(repo, systemId, restored.plan(), report);
            }
            ok = true;
            return report;
        } finally {
            if (o.keep()) {
                out.println("drill: scratch cluster kept in '" + root + "'" + (ok ? "" : " (the drill failed)"));
            } else {
                removeTree(root, o.scratch().isEmpty());
            }
            out.flush();
        }
    }

    /**
     * The drill's recovery throughput, for status's RTO estimate: the WAL from the backup's start to
     * where replay ended (the plan's end when the server does not say), over the time from the
     * server's start until recovery ended.
     */
    private static void recordReplay(Repository repo, long systemId, RestorePlan plan, DrillReport report) {
        Lsn end;
        try {
            end = Lsn.parse(report.replayedUntil().trim());
        } catch (IllegalArgumentException e) {
            end = plan.walEnd();
        }
        long walBytes = Math.max(0, end.minus(plan.backup().startLsn()));
        try {
            RtoRecorder.drill(repo.cluster(systemId), walBytes, report.recoveryTime());
        } catch (RuntimeException e) {
            LOG.warn("cannot record this drill's throughput in the repository: {}", e.getMessage());
        }
    }

    private static void print(DrillReport r, PrintWriter out) {
        out.printf(Locale.ROOT, "drill: recovery %s after %.1f s, replayed until %s%s%n", switch (r.outcome()) {
            case PROMOTED -> "ended (promoted)";
            case PAUSED_AT_TARGET -> "paused at the target";
            case SHUT_DOWN_AT_TARGET -> "stopped at the target (shut down)";
            case STANDBY_CAUGHT_UP -> "caught up as a standby (serving reads, replaying the repository's WAL)";
        }, r.recoveryTime().toMillis() / 1000.0, r.replayedUntil(), r.lastTransaction().map(t -> ", last transaction " + t).orElse(""));
        for (DrillReport.DatabaseSummary d : r.databases()) {
            out.printf(Locale.ROOT, "drill: database '%s': %d relations, %.1f MB%n", d.name(), d.relations(), d.sizeBytes() / 1e6);
        }
        for (String d : r.droppedDatabases()) {
            out.println("drill: database '" + d + "' was not restored (selective restore) and was dropped");
        }
        for (DrillReport.CheckResult c : r.checks()) {
            out.println("drill: check '" + c.sql() + "' returned '" + c.result() + "'");
        }
        out.println("drill: ok");
    }

    /**
     * Removes the scratch cluster (without following links out of it); the root itself only if
     * walvault created it. The stopped server's archive-get worker may still be finishing a file
     * in pg_wal for a moment (it leaves once it sees the server gone): a file that vanishes is
     * fine, and a directory that is not empty yet is tried again, for up to 10 seconds.
     */
    private static void removeTree(Path root, boolean removeRoot) throws IOException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (true) {
            try {
                removeOnce(root, removeRoot);
                return;
            } catch (DirectoryNotEmptyException e) {
                if (System.nanoTime() > deadline) {
                    throw e;
                }
                try {
                    Thread.sleep(200);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
    }

    private static void removeOnce(Path root, boolean removeRoot) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.deleteIfExists(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
                if (e instanceof NoSuchFileException) {
                    return FileVisitResult.CONTINUE; // removed by the worker meanwhile
                }
                throw e;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
                if (e != null && !(e instanceof NoSuchFileException)) {
                    throw e;
                }
                if (!dir.equals(root) || removeRoot) {
                    Files.deleteIfExists(dir);
                }
                return FileVisitResult.CONTINUE;
            }
        });
    }
}
