package io.walvault.restore.verify;

import static java.util.Objects.requireNonNull;

import io.walvault.core.config.RepositorySettings;
import io.walvault.core.crypto.GcmWarmUp;
import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;
import io.walvault.core.repo.BackupCatalog;
import io.walvault.core.repo.BackupInfo;
import io.walvault.core.repo.ChunkMarks;
import io.walvault.core.repo.ClusterCatalog;
import io.walvault.core.repo.Repositories;
import io.walvault.core.repo.Repository;
import io.walvault.core.wal.WalFileName;
import io.walvault.core.wal.WalPipelines;
import io.walvault.restore.plan.ClusterState;
import io.walvault.restore.plan.RestorePlan;
import io.walvault.restore.plan.TargetPlanning;
import io.walvault.restore.plan.TimelineDivergence;
import io.walvault.restore.recovery.RecoveryTarget;
import io.walvault.restore.recovery.TargetTimeline;
import io.walvault.restore.run.BackupCheck;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * {@code walvault verify}: proves, without writing a data directory, that backups can be
 * restored: every bundle decodes (authenticated decryption, decompression checksums) to files
 * whose checksums match the manifest, the manifest is complete, the server's backup_manifest
 * decodes, and the WAL from the backup's start to the target (default: the end of the archive
 * after the backup) is in the archive without a gap, each segment decoding and validating
 * ({@link WalSegmentValidator}: page magic, addresses, timeline, system identifier).
 *
 * <p>Bundles and segments are checked {@code jobs} at a time, each streamed through fixed
 * buffers: memory does not grow with the backup. Every failure is collected, so one run lists
 * them all. One run per instance.
 *
 * <p>A timeline that branched before the end of its parent's archived WAL is reported as a
 * warning, not a failure: it is what a recovery that ended short and was promoted anyway leaves
 * behind, but also what every point-in-time recovery to a target before the end leaves, and
 * both restore as they were planned.
 */
public final class Verify {

    /**
     * What to verify.
     *
     * @param systemIdentifier the cluster, when the repository holds several
     * @param backupId one backup (default: the newest)
     * @param all every backup of the cluster
     * @param target how far the WAL must reach (end of archive: all WAL after the backup)
     * @param timeline which timeline the WAL follows
     * @param inclusive recovery_target_inclusive, for time and xid targets
     * @param jobs objects checked at once
     */
    public record Options(Optional<String> systemIdentifier, Optional<String> backupId, boolean all, RecoveryTarget target,
                          TargetTimeline timeline, boolean inclusive, int jobs) {
        public Options {
            requireNonNull(systemIdentifier, "systemIdentifier is null");
            requireNonNull(backupId, "backupId is null");
            requireNonNull(target, "target is null");
            requireNonNull(timeline, "timeline is null");
            if (all && backupId.isPresent()) {
                throw new WalvaultException(ErrorCode.USAGE, "--all and --backup exclude each other");
            }
            if (jobs < 1 || jobs > 64) {
                throw new IllegalArgumentException("jobs must be 1 to 64, not " + jobs);
            }
        }
    }

    /**
     * What was found.
     *
     * @param systemId the cluster
     * @param backups the backups checked
     * @param failures every check that failed, one line each; empty when everything checked
     * @param warnings what the archive shows that every check passing does not rule out: a
     *        timeline that left its parent before the end of the parent's archived WAL (a
     *        recovery that ended short, or a point-in-time recovery the DBA asked for)
     */
    public record Report(long systemId, List<String> backups, List<String> failures, List<String> warnings) {
        public Report {
            backups = List.copyOf(backups);
            failures = List.copyOf(failures);
            warnings = List.copyOf(warnings);
        }
    }

    private final RepositorySettings repositorySettings;
    private final Options options;
    private final PrintWriter out;

    public Verify(RepositorySettings repositorySettings, Options options, PrintWriter out) {
        this.repositorySettings = requireNonNull(repositorySettings, "repositorySettings is null");
        this.options = requireNonNull(options, "options is null");
        this.out = requireNonNull(out, "out is null");
    }

    /** Checks everything and returns the report; failures are in the report, not thrown. */
    public Report run() throws IOException {
        try (Repository repo = Repositories.open(repositorySettings)) {
            return run(repo);
        }
    }

    /** {@link #run()} on {@code repo}, opened by the caller with this verification's repository settings. */
    public Report run(Repository repo) throws IOException {
        if (repo.codec().encrypted()) {
            GcmWarmUp.startInBackground(GcmWarmUp.Direction.DECRYPT, "walvault-verify-warmup");
        }
        ClusterCatalog cluster = ClusterState.chooseCluster(repo, options.systemIdentifier());
        ClusterState state = ClusterState.load(cluster);
        List<BackupInfo> chosen = choose(state);
        List<String> failures = Collections.synchronizedList(new ArrayList<>());
        Set<String> walDone = Collections.synchronizedSet(new LinkedHashSet<>());
        ExecutorService pool = Executors.newFixedThreadPool(options.jobs(), r -> {
            Thread t = new Thread(r, "walvault-verify");
            t.setDaemon(true);
            return t;
        });
        List<String> checked = new ArrayList<>(chosen.stream().map(BackupInfo::id).toList());
        try {
            if (options.all() || options.backupId().isPresent()) {
                // backups the catalog already judged damaged: reported with what is wrong, never skipped in silence
                for (BackupCatalog.Entry e : cluster.backups().entries()) {
                    if (e.state() == BackupCatalog.State.DAMAGED
                            && (options.all() || options.backupId().get().equals(e.id()))) {
                        failures.add("backup '" + e.id() + "' is damaged: " + e.problem().orElseThrow());
                        checked.add(e.id());
                        synchronized (out) {
                            out.println("backup '" + e.id() + "': FAILED: " + e.problem().orElseThrow());
                        }
                    }
                }
            }
            try (ChunkMarks marks = ChunkMarks.create()) {
                List<String> tags = new ArrayList<>();
                for (BackupInfo b : chosen) {
                    tags.add(b.id());
                    verifyBackup(cluster, b, marks, tags.size() - 1, pool, failures);
                    verifyWal(state, b, pool, failures, walDone);
                }
                if (marks.marks() > 0) {
                    ChunkCheck.Result c = new ChunkCheck(cluster.chunks(), pool).run(marks, tags, failures);
                    synchronized (out) {
                        out.printf(Locale.ROOT, "chunks of %s: %d distinct chunks, %.1f MB, each checked once: %s%n",
                                tags.size() == 1 ? "backup '" + tags.get(0) + "'" : tags.size() + " backups", c.chunks(),
                                c.bytes() / 1e6, c.failed() == 0 ? "ok" : c.failed() + " FAILED");
                        out.flush();
                    }
                }
            }
        } finally {
            pool.shutdownNow();
        }
        List<String> warnings = TimelineDivergence.in(state.listing()).stream().map(TimelineDivergence::describe).toList();
        warnings.forEach(w -> out.println("warning: " + w));
        out.flush();
        if (checked.isEmpty()) {
            throw new WalvaultException(ErrorCode.NO_BACKUP_FOR_TARGET, "the repository holds no backup of cluster "
                    + Long.toUnsignedString(cluster.systemId()) + " to verify HINT: take one with 'walvault backup'");
        }
        return new Report(cluster.systemId(), checked, failures, warnings);
    }

    private List<BackupInfo> choose(ClusterState state) {
        if (state.backups().isEmpty() && !options.all() && options.backupId().isEmpty()) {
            throw new WalvaultException(ErrorCode.NO_BACKUP_FOR_TARGET, "the repository holds no restorable backup of cluster "
                    + Long.toUnsignedString(state.cluster().systemId()) + " HINT: take one with 'walvault backup'");
        }
        if (options.all()) {
            return state.backups();
        }
        if (options.backupId().isPresent()) {
            String id = options.backupId().get();
            if (state.backup(id).isEmpty() && state.cluster().backups().entries().stream()
                    .anyMatch(e -> e.id().equals(id) && e.state() == BackupCatalog.State.DAMAGED)) {
                return List.of(); // reported as damaged
            }
            return List.of(state.backup(id).orElseThrow(() -> new WalvaultException(ErrorCode.NO_BACKUP_FOR_TARGET,
                    "backup '" + id + "' is not in the repository HINT: 'walvault info' lists the backups")));
        }
        return List.of(state.backups().get(state.backups().size() - 1));
    }

    private void verifyBackup(ClusterCatalog cluster, BackupInfo b, ChunkMarks marks, int tag, ExecutorService pool,
                              List<String> failures) {
        BackupCheck.Result r = BackupCheck.run(cluster.backups(), marks, tag, b, pool);
        failures.addAll(r.failures());
        synchronized (out) {
            out.printf(Locale.ROOT, "backup '%s': %d bundles, %d files, %.1f MB checked against the manifest: %s%s%n", b.id(),
                    r.bundles(), r.files(), r.bytes() / 1e6, r.failures().isEmpty() ? "ok" : r.failures().size() + " FAILED",
                    r.chunkedFiles() > 0 ? "; " + r.chunkedFiles() + " files stored as chunks (their chunks: below)" : "");
            out.flush();
        }
    }

    private void verifyWal(ClusterState state, BackupInfo b, ExecutorService pool, List<String> failures, Set<String> walDone) {
        RestorePlan plan;
        try {
            plan = TargetPlanning.plan(state, options.target(), options.timeline(), Optional.of(b.id()), options.inclusive()).plan();
        } catch (WalvaultException e) {
            failures.add("WAL of backup '" + b.id() + "': " + e.getMessage());
            synchronized (out) {
                out.println("WAL of backup '" + b.id() + "': FAILED: " + e.getMessage());
            }
            return;
        }
        List<Future<String>> results = new ArrayList<>();
        long segmentSize = plan.segmentSize();
        long systemId = state.cluster().systemId();
        for (RestorePlan.PlannedWal w : plan.wal()) {
            if (!walDone.add(w.file().name())) {
                continue;
            }
            results.add(pool.submit(() -> checkSegment(state.cluster(), w.file(), segmentSize, systemId)));
        }
        int bad = 0;
        for (Future<String> f : results) {
            String problem;
            try {
                problem = f.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new WalvaultException(ErrorCode.INTERRUPTED, "verify interrupted");
            } catch (ExecutionException e) {
                problem = "WAL check failed: " + e.getCause();
            }
            if (problem != null) {
                failures.add(problem);
                bad++;
            }
        }
        synchronized (out) {
            out.printf(Locale.ROOT, "WAL of backup '%s' to %s: %s to %s, %d files (%d checked now): %s%n", b.id(),
                    plan.target() instanceof RecoveryTarget.EndOfArchive ? "the end of the archive" : "the target",
                    plan.firstWal().map(WalFileName::name).orElse("-"), plan.lastWal().map(WalFileName::name).orElse("-"),
                    plan.wal().size(), results.size(), bad == 0 ? "ok" : bad + " FAILED");
            out.flush();
        }
    }

    /** Decodes and validates one archived WAL file; returns what is wrong with it, or null. */
    private static String checkSegment(ClusterCatalog cluster, WalFileName file, long segmentSize, long systemId) {
        try {
            cluster.wal().get(file, WalPipelines.forCheck(file, OptionalLong.of(systemId)));
            return null;
        } catch (RuntimeException | IOException e) {
            return "WAL file '" + file.name() + "' (object '" + cluster.wal().key(file) + "'): " + e.getMessage();
        }
    }
}
