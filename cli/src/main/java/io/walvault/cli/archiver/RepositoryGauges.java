package io.walvault.cli.archiver;

import static java.util.Objects.requireNonNull;

import io.walvault.core.repo.Repository;
import io.walvault.restore.plan.ClusterState;
import io.walvault.restore.status.ServerReading;
import io.walvault.restore.status.Status;
import io.walvault.restore.status.StatusMetrics;
import io.walvault.restore.status.StatusThresholds;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The repository's gauges ({@code walvault_status_*}, as {@code walvault status --prometheus}
 * prints them, without a server position) for the agent's {@code /metrics}: whoever took the
 * backups and archived the WAL. Reading them means listing the cluster's backups and WAL, so a
 * scrape never waits for it: a scrape serves what the last reading found and, when that is older
 * than {@link #REFRESH} (or a scheduled backup ended since), starts the next reading on a thread
 * of its own. While no reading has succeeded, or when the last one failed, there are no
 * repository gauges: never old figures as if they were current
 * ({@code walvault_status_measured_timestamp_seconds} says when they were measured).
 */
final class RepositoryGauges implements Supplier<String>, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(RepositoryGauges.class);

    /** How old the gauges may get before a scrape starts a new reading. */
    static final Duration REFRESH = Duration.ofSeconds(60);

    private final Repository repo;
    private final Supplier<OptionalLong> systemId;
    private final ExecutorService reader = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "walvault-agent-repository-gauges");
        t.setDaemon(true);
        return t;
    });
    private final AtomicBoolean reading = new AtomicBoolean();
    private volatile String gauges = "";
    private volatile long readAt = Long.MIN_VALUE / 2;

    /**
     * @param repo     the agent's repository (shared: it is thread-safe)
     * @param systemId the cluster the agent archives, once its server has said
     */
    RepositoryGauges(Repository repo, Supplier<OptionalLong> systemId) {
        this.repo = requireNonNull(repo, "repo is null");
        this.systemId = requireNonNull(systemId, "systemId is null");
    }

    @Override
    public String get() {
        if (System.nanoTime() - readAt > REFRESH.toNanos() && reading.compareAndSet(false, true)) {
            try {
                reader.execute(this::read);
            } catch (RejectedExecutionException e) {
                reading.set(false); // closed
            }
        }
        return gauges;
    }

    /** What the repository holds changed (a scheduled backup ended): the next scrape reads it again. */
    void invalidate() {
        readAt = Long.MIN_VALUE / 2;
    }

    private void read() {
        try {
            OptionalLong id = systemId.get();
            if (id.isEmpty()) {
                return; // not connected yet: the next scrape tries again
            }
            gauges = StatusMetrics.render(Status.collect(ClusterState.chooseCluster(repo, Optional.of(Long.toUnsignedString(
                    id.getAsLong()))), ServerReading.notAsked(), Instant.now(), StatusThresholds.NONE));
            readAt = System.nanoTime();
        } catch (RuntimeException e) {
            gauges = "";
            readAt = System.nanoTime(); // not again at once: the next reading after REFRESH
            LOG.warn("cannot read the repository's state for /metrics (its walvault_status_* gauges are left out until it"
                    + " can be read): {}", e.getMessage());
        } finally {
            reading.set(false);
        }
    }

    @Override
    public void close() {
        reader.shutdownNow();
    }
}
