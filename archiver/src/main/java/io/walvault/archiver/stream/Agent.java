package io.walvault.archiver.stream;

import static java.util.Objects.requireNonNull;

import io.walvault.archiver.backup.BackupOptions;
import io.walvault.core.config.ClusterGuard;
import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;
import io.walvault.core.repo.ClusterCatalog;
import io.walvault.core.repo.LockHeldException;
import io.walvault.core.repo.LockKeeper;
import io.walvault.core.repo.Repository;
import io.walvault.core.replication.ReplicationConnection;
import io.walvault.core.replication.conn.ConnectionSettings;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code walvault agent}: streams WAL from a physical replication slot into the local spool and
 * on into the repository, and lets the server recycle WAL only once the repository holds it.
 *
 * <pre>
 *  START_REPLICATION SLOT s ─▶ WalSpool (fsync) ─┬─ segment complete ─▶ validate ─▶ WalArchive.put (create-if-absent)
 *       ▲                                       └─ every partial interval ─▶ WalArchive.put NAME.partial (replaced)
 *       └──── status update: write = fsynced in the spool (--synchronous) ; flush = durable in the repository
 * </pre>
 *
 * <p>This class is the lifecycle: it runs {@link AgentSession}s (one per connection) until
 * {@link #stop()}, reconnecting after a capped, jittered {@link Backoff}; joins the cluster on the
 * first connection (its lock, the metrics server, the backup schedule); and stops on what
 * {@link RefusalClassifier#failure} calls fatal. The parts:
 *
 * <ul>
 *   <li>{@link AgentSession}: one connection, from IDENTIFY_SYSTEM through the receive loop;
 *   <li>{@link SlotHandling}: the slot created if missing, refused if logical, how long it is busy;
 *   <li>{@link RefusalClassifier}: the server's refusals and a session's failures as retry, gap or fatal;
 *   <li>{@link GapPolicy}: a gap stops the agent ({@code AGENT_WAL_GAP}) unless {@code acceptGap};
 *   <li>{@link FeedbackPositions}: the write and flush positions reported to the server;
 *   <li>{@link SegmentShipper}: spool files into the repository through {@code WalArchive.put};
 *   <li>{@link ResumePoint}: where each connection resumes (the end of what the repository holds
 *       along the server's timeline history, listed once at start, then remembered).
 * </ul>
 *
 * <p>Single instance: the repository lock {@code agent-<slot>} of the cluster, kept by a
 * {@link LockKeeper} while running (taken over: the agent stops with
 * {@code AGENT_ALREADY_RUNNING}), and the server's own refusal to stream from an active slot.
 *
 * <p>Thread-safety: {@link #run()} runs on one thread (the receive loop, which also uploads);
 * {@link #stop()} may be called from any thread, typically a shutdown hook.
 */
public final class Agent {

    private static final Logger LOG = LoggerFactory.getLogger(Agent.class);
    /** The agent's lock: stale after 90 s, a heartbeat every 20 s. */
    private static final LockKeeper.Timing LOCK_TIMING = new LockKeeper.Timing(Duration.ofSeconds(90), Duration.ofSeconds(20));

    private final ConnectionSettings connection;
    private final Repository repository;
    private final AgentOptions options;
    private final AgentMetrics metrics;
    private final CountDownLatch stopRequested = new CountDownLatch(1);
    private final CountDownLatch finished = new CountDownLatch(1);
    private final List<Runnable> onStart = new ArrayList<>();
    private final SlotHandling slot;
    private final GapPolicy gaps;
    private volatile boolean stopping;
    /** Why the lock was lost (it was taken over, or could not be refreshed): the agent stopped for it. */
    private volatile WalvaultException lockLost;
    /** The cluster archived, once the first connection told it. */
    private volatile AgentSession.Target target;
    private LockKeeper lock;
    private BackupScheduler scheduler;
    private MetricsServer http;
    /** What the repository holds along the current history, once known: streaming resumes here. */
    private ResumePoint resume;

    /** The cluster the configuration names ({@code system-identifier}), if any; set before {@link #run}. */
    private OptionalLong expectedCluster = OptionalLong.empty();

    /** The server must be cluster {@code id} ({@code system-identifier}); it may then join a repository of other clusters. */
    public void expectCluster(OptionalLong id) {
        this.expectedCluster = requireNonNull(id, "id is null");
    }

    /** The configuration section's guard, checked at the first session; set before {@link #run}. */
    private ClusterGuard guard = ClusterGuard.NONE;

    /** The server must be the cluster the configuration's {@code [cluster NAME]} section was first used with. */
    public void guardCluster(ClusterGuard g) {
        this.guard = requireNonNull(g, "g is null");
    }

    public Agent(ConnectionSettings connection, Repository repository, AgentOptions options, AgentMetrics metrics) {
        this.connection = requireNonNull(connection, "connection is null");
        this.repository = requireNonNull(repository, "repository is null");
        this.options = requireNonNull(options, "options is null");
        this.metrics = requireNonNull(metrics, "metrics is null");
        this.slot = new SlotHandling(options.slot());
        this.gaps = new GapPolicy(options.acceptGap());
    }

    /** Runs {@code task} (on the agent's thread) once the cluster is known and its lock held. */
    public void whenStarted(Runnable task) {
        onStart.add(requireNonNull(task, "task is null"));
    }

    /**
     * Takes backups on {@code schedule} (from when the agent holds its lock until it stops), with
     * {@code after} run after each one that succeeded. Call before {@link #run()}.
     */
    public void scheduleBackups(BackupOptions backupOptions, BackupSchedule schedule, AfterBackup after) {
        if (schedule.isEmpty()) {
            return;
        }
        BackupScheduler s = new BackupScheduler(connection, repository, backupOptions, schedule, after, metrics);
        whenStarted(() -> {
            scheduler = s;
            s.start();
        });
    }

    /** The cluster's system identifier, once the first connection told it. */
    public OptionalLong systemId() {
        AgentSession.Target t = target;
        return t == null ? OptionalLong.empty() : OptionalLong.of(t.systemId());
    }

    /**
     * {@link #run()}, stopped cleanly on SIGINT/SIGTERM: the shutdown hook asks the loop to stop
     * and waits (up to 60 s) until the spool is shipped, the final status sent and the lock released.
     */
    public void runUntilShutdown() {
        Thread hook = new Thread(() -> {
            stop();
            try {
                finished.await(60, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "walvault-agent-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            run();
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook is running and waits for this thread, which is done
            }
        }
    }

    /** Asks the agent to stop: it ships what it holds, sends a final status and returns from {@link #run()}. Any thread. */
    public void stop() {
        stopping = true;
        stopRequested.countDown();
    }

    /**
     * Streams until {@link #stop()}; returns normally after a clean stop. Fails with
     * {@code AGENT_WAL_GAP}, {@code AGENT_ALREADY_RUNNING}, {@code AGENT_SLOT_UNUSABLE} or a
     * configuration, authentication or repository error that retrying cannot cure.
     */
    public void run() {
        Backoff backoff = new Backoff(options.reconnectMin(), options.reconnectMax());
        AgentSession.Context cx = new AgentSession.Context(connection, options, metrics, this::join, slot, gaps, () -> stopping);
        try {
            startMetrics(false);
            while (!stopping) {
                AgentSession session = new AgentSession(cx, resume);
                boolean streamed = false;
                try {
                    streamed = session.run();
                } catch (WalvaultException | UncheckedIOException e) {
                    if (!(RefusalClassifier.failure(e) instanceof RefusalClassifier.Retry r)) {
                        throw e;
                    }
                    metrics.error(r.kind());
                    if (e instanceof UncheckedIOException) {
                        LOG.warn("agent: spool I/O failed: {} (reconnecting)", e.getMessage());
                    } else {
                        LOG.warn("agent: {} (reconnecting)", e.getMessage());
                    }
                } finally {
                    resume = session.resume();
                }
                if (stopping) {
                    break;
                }
                metrics.reconnect();
                Duration wait;
                if (streamed || session.receivedWal()) {
                    backoff.reset();
                    wait = options.reconnectMin();
                } else {
                    wait = backoff.next();
                }
                LOG.info("agent: reconnecting in {} ms", wait.toMillis());
                try {
                    stopRequested.await(wait.toMillis(), TimeUnit.MILLISECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new WalvaultException(ErrorCode.INTERRUPTED, "interrupted while waiting to reconnect");
                }
            }
            LOG.info("agent stopped; WAL up to {} is in the repository", metrics.durable());
            WalvaultException lost = lockLost;
            if (lost instanceof LockHeldException) {
                throw new WalvaultException(ErrorCode.AGENT_ALREADY_RUNNING, "another walvault agent took over slot '"
                        + options.slot() + "': " + lost.getMessage(), lost);
            } else if (lost != null) {
                throw new WalvaultException(lost.code(), "the agent stopped: " + lost.getMessage(), lost);
            }
        } finally {
            metrics.streaming(false);
            if (scheduler != null) {
                scheduler.close();
            }
            if (http != null) {
                http.close();
            }
            if (lock != null) {
                try {
                    lock.close();
                } catch (RuntimeException e) {
                    LOG.warn("agent: cannot release the lock: {}", e.getMessage());
                }
            }
            finished.countDown();
        }
    }

    /**
     * Serves the metrics. The port may be taken by another agent of the same configuration: then
     * the lock decides (a clear "already running"), and the port is tried again once the lock is
     * ours ({@code mustBind}), failing with a configuration error if it is still taken.
     */
    private void startMetrics(boolean mustBind) {
        if (options.metricsListen().isEmpty() || http != null) {
            return;
        }
        try {
            http = new MetricsServer(options.metricsListen().get(), metrics);
            LOG.info("agent: serving /metrics and /health on {}", http.address());
        } catch (WalvaultException e) {
            if (mustBind) {
                throw e;
            }
            LOG.warn("agent: {} (trying again once the agent holds its lock)", e.getMessage());
        }
    }

    /**
     * Each session's cluster check, right after IDENTIFY_SYSTEM. The first time: the cluster the
     * configuration names, the repository admitting it, the agent's lock, the metrics port, then
     * the {@link #whenStarted} tasks. Afterwards: the same cluster as before.
     */
    private AgentSession.Target join(long sys, ReplicationConnection conn) {
        AgentSession.Target t = target;
        if (t != null) {
            if (sys != t.systemId()) {
                throw new WalvaultException(ErrorCode.CONFIG, "the server now belongs to cluster " + Long.toUnsignedString(sys)
                        + ", not " + Long.toUnsignedString(t.systemId()) + " the agent archives"
                        + " HINT: --pg names a different cluster than before; start one agent per cluster");
            }
            return t;
        }
        if (expectedCluster.isPresent() && expectedCluster.getAsLong() != sys) {
            throw new WalvaultException(ErrorCode.CONFIG, "the server is cluster " + Long.toUnsignedString(sys) + ", not "
                    + Long.toUnsignedString(expectedCluster.getAsLong()) + " as system-identifier says"
                    + " HINT: --pg names another server than the configuration was written for");
        }
        guard.check(sys);
        long segmentSize = conn.walSegmentSize();
        ClusterCatalog cluster = repository.cluster(sys);
        cluster.admitWriter(expectedCluster.isPresent());
        t = new AgentSession.Target(sys, segmentSize, cluster.wal());
        acquireLock(cluster, sys);
        startMetrics(true);
        target = t;
        onStart.forEach(Runnable::run);
        return t;
    }

    private void acquireLock(ClusterCatalog cluster, long sys) {
        try {
            lock = LockKeeper.acquire(cluster, "agent-" + options.slot(), LOCK_TIMING, new LockKeeper.Listener() {
                @Override
                public void lost(WalvaultException why) {
                    lockLost = why;
                    stop();
                }

                @Override
                public void refreshFailed(RuntimeException e) {
                    metrics.error("storage");
                }
            });
        } catch (LockHeldException e) {
            throw new WalvaultException(ErrorCode.AGENT_ALREADY_RUNNING, "another walvault agent streams slot '" + options.slot()
                    + "' of cluster " + Long.toUnsignedString(sys) + ": " + e.getMessage(), e);
        }
    }

    /** The metrics this agent updates. */
    public AgentMetrics metrics() {
        return metrics;
    }
}
