package io.walvault.restore.run;

import static java.util.Objects.requireNonNull;

import io.walvault.core.config.RepositorySettings;
import io.walvault.core.config.Settings;
import io.walvault.core.repo.ClusterCatalog;
import io.walvault.core.wal.WalFileName;
import io.walvault.restore.get.ArchiveGetSettings;
import io.walvault.restore.get.RestorePrefetch;
import io.walvault.restore.plan.RestorePlan;
import io.walvault.restore.recovery.TargetTimeline;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Optional;

/**
 * What a restore prepares of the restored server's WAL while it extracts the backup: the plan's
 * first segments fetched into the server's hook spool ({@link RestorePrefetch}) and, at the end,
 * the spool announced for the restore_command written, with the server's first history probe
 * answered ahead when it can be. Nothing when archive-get's prefetch is off, the plan has no
 * WAL, or the spool cannot be made: recovery then fetches everything itself. One per restore;
 * {@link #close} is safe to call more than once.
 */
final class ServerWalAhead implements AutoCloseable {

    private final RestorePrefetch prefetch; // null: nothing fetched ahead
    private final ClusterCatalog cluster;
    private final TargetTimeline timeline;

    private ServerWalAhead(RestorePrefetch prefetch, ClusterCatalog cluster, TargetTimeline timeline) {
        this.prefetch = prefetch;
        this.cluster = cluster;
        this.timeline = timeline;
    }

    /**
     * Starts fetching the first WAL of {@code plan} into the spool of {@code data}'s pg_wal,
     * leaving {@code reserved} bytes of its file system free (what the restore writes there).
     */
    static ServerWalAhead start(Settings settings, ClusterCatalog cluster, RestorePlan plan, Path data,
                                RepositorySettings repositorySettings, TargetTimeline timeline, long reserved, PrintWriter out) {
        requireNonNull(cluster, "cluster is null");
        ArchiveGetSettings get = ArchiveGetSettings.from(settings);
        if (get.prefetch() == 0 || plan.wal().isEmpty()) {
            return new ServerWalAhead(null, cluster, timeline);
        }
        try {
            return new ServerWalAhead(RestorePrefetch.start(cluster.wal(), data.resolve("pg_wal"), cluster.systemId(),
                    repositorySettings.location() + " " + Long.toUnsignedString(cluster.systemId()),
                    plan.wal().stream().map(RestorePlan.PlannedWal::file).toList(), get, reserved, plan.segmentSize()),
                    cluster, timeline);
        } catch (IOException | RuntimeException e) {
            out.println("not fetching WAL ahead (recovery fetches it itself): " + e);
            return new ServerWalAhead(null, cluster, timeline);
        }
    }

    /**
     * Stops fetching and hands what was fetched to the server that runs {@code commands}, whose
     * recovery follows {@code plan} (the final one). Returns the number of segments fetched.
     */
    int finish(RecoveryAccess.Commands commands, RestorePlan plan) throws IOException {
        return prefetch == null ? 0 : prefetch.finish(commands.getCaller(), unarchivedNextHistory(plan));
    }

    /**
     * The history file the restored server probes for first (the backup's timeline plus one),
     * when recovery follows the latest timeline, the plan stays on the backup's and the archive
     * has no such file: its "not in the archive" can be answered before the server starts.
     */
    private Optional<WalFileName> unarchivedNextHistory(RestorePlan plan) {
        if (!timeline.equals(TargetTimeline.latest()) || !plan.targetTimeline().equals(plan.backup().timeline())) {
            return Optional.empty();
        }
        WalFileName next = WalFileName.parse(plan.backup().timeline().next().historyFileName());
        return cluster.wal().info(next).isPresent() ? Optional.empty() : Optional.of(next);
    }

    /** Stops fetching (after the segment under way); what was fetched stays until {@link #finish} or a cleanup. */
    @Override
    public void close() {
        if (prefetch != null) {
            prefetch.close();
        }
    }
}
