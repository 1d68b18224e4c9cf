package io.walvault.archiver.stream;

import static java.util.Objects.requireNonNull;

import io.walvault.archiver.backup.BackupOptions;
import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;
import io.walvault.core.repo.ClusterCatalog;
import io.walvault.core.repo.LockHeldException;
import io.walvault.core.repo.Repository;
import io.walvault.core.repo.RepositoryLock;
import io.walvault.core.repo.WalArchive;
import io.walvault.core.replication.ReplicationConnection;
import io.walvault.core.replication.ServerErrorException;
import io.walvault.core.replication.SlotInfo;
import io.walvault.core.replication.StartReplicationOptions;
import io.walvault.core.replication.SystemIdentity;
import io.walvault.core.replication.TimelineHistoryFile;
import io.walvault.core.replication.WalEvent;
import io.walvault.core.replication.WalStream;
import io.walvault.core.replication.conn.ConnectionSettings;
import io.walvault.core.wal.InvalidWalException;
import io.walvault.core.wal.Lsn;
import io.walvault.core.wal.TimelineHistory;
import io.walvault.core.wal.TimelineId;
import io.walvault.core.wal.WalFileName;
import io.walvault.core.wal.WalFormat;
import io.walvault.core.wal.WalSegmentName;
import java.io.BufferedInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
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
 * <p>Sessions: each connection resumes from the end of what the repository holds along the
 * server's timeline history (listed once at start, then remembered). What the spool still holds
 * from a previous session or process is shipped first. When the server cannot serve the resume
 * point because it has removed that WAL, the archive has a gap: the agent stops with
 * {@code AGENT_WAL_GAP} and never acknowledges past it (unless {@code acceptGap}). A connection
 * failure ships the spool's partial segment, then reconnects with a capped, jittered backoff.
 *
 * <p>Single instance: the repository lock {@code agent-<slot>} of the cluster, refreshed while
 * running, and the server's own refusal to stream from an active slot.
 *
 * <p>Thread-safety: {@link #run()} runs on one thread (the receive loop, which also uploads);
 * {@link #stop()} may be called from any thread, typically a shutdown hook.
 */
public final class Agent {

    private static final Logger LOG = LoggerFactory.getLogger(Agent.class);
    private static final Duration LOCK_STALE_AFTER = Duration.ofSeconds(90);
    private static final Duration READ_TIMEOUT = Duration.ofMillis(200);
    /** --synchronous: at most this many XLogData messages are written before an fsync and a status update. */
    private static final int SYNC_BATCH = 64;

    private final ConnectionSettings connection;
    private final Repository repository;
    private final AgentOptions options;
    private final AgentMetrics metrics;
    private final CountDownLatch stopRequested = new CountDownLatch(1);
    private final CountDownLatch finished = new CountDownLatch(1);
    private final List<WalSpool.CompletedSegment> completed = new ArrayList<>();
    private final List<Runnable> onStart = new ArrayList<>();
    private volatile boolean stopping;
    private volatile LockHeldException lockLost;
    private volatile ReplicationConnection current;
    private BackupScheduler scheduler;
    private MetricsServer http;
    /** WAL arrived in the current session: the reconnection backoff starts over after it. */
    private boolean sessionStreamed;
    private Long systemId;
    private WalArchive wal;
    private ClusterCatalog cluster;
    private RepositoryLock lock;
    private ScheduledExecutorService timers;
    private long segmentSize;
    /** What the repository holds along the current history, once known: streaming resumes here. */
    private ResumePoint resume;
    private long slotBusySince;
    private long lastPartialShip;
    private long reportedWritten;
    private boolean gapAccepted;
    private boolean skipToServer;

    /** The cluster the configuration names ({@code system-identifier}), if any; set before {@link #run}. */
    private OptionalLong expectedCluster = OptionalLong.empty();

    /** The server must be cluster {@code id} ({@code system-identifier}); it may then join a repository of other clusters. */
    public void expectCluster(OptionalLong id) {
        this.expectedCluster = requireNonNull(id, "id is null");
    }

    public Agent(ConnectionSettings connection, Repository repository, AgentOptions options, AgentMetrics metrics) {
        this.connection = requireNonNull(connection, "connection is null");
        this.repository = requireNonNull(repository, "repository is null");
        this.options = requireNonNull(options, "options is null");
        this.metrics = requireNonNull(metrics, "metrics is null");
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
        Long s = systemId;
        return s == null ? OptionalLong.empty() : OptionalLong.of(s);
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
        try {
            startMetrics(false);
            while (!stopping) {
                boolean streamed = false;
                sessionStreamed = false;
                try {
                    streamed = session();
                } catch (WalvaultException e) {
                    if (fatal(e)) {
                        throw e;
                    }
                    metrics.error(kind(e));
                    LOG.warn("agent: {} (reconnecting)", e.getMessage());
                } catch (UncheckedIOException e) {
                    metrics.error("spool");
                    LOG.warn("agent: spool I/O failed: {} (reconnecting)", e.getMessage());
                }
                if (stopping) {
                    break;
                }
                metrics.reconnect();
                Duration wait;
                if (streamed || sessionStreamed) {
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
            LockHeldException lost = lockLost;
            if (lost != null) {
                throw new WalvaultException(ErrorCode.AGENT_ALREADY_RUNNING, "another walvault agent took over slot '"
                        + options.slot() + "': " + lost.getMessage(), lost);
            }
        } finally {
            metrics.streaming(false);
            if (scheduler != null) {
                scheduler.close();
            }
            if (http != null) {
                http.close();
            }
            if (timers != null) {
                timers.shutdownNow();
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

    private static boolean fatal(WalvaultException e) {
        return switch (e.code()) {
            case CONNECTION_FAILED, CONNECTION_LOST, SERVER_ERROR, TOO_MANY_CONNECTIONS, SLOT_NOT_FOUND, SLOT_IN_USE,
                 STORAGE, PROTOCOL_VIOLATION, WAL_INVALID -> false;
            default -> true;
        };
    }

    private static String kind(WalvaultException e) {
        return switch (e.code()) {
            case CONNECTION_FAILED, CONNECTION_LOST, TOO_MANY_CONNECTIONS -> "connection";
            case STORAGE -> "storage";
            case WAL_INVALID -> "wal_invalid";
            case PROTOCOL_VIOLATION -> "protocol";
            default -> "server";
        };
    }

    /** One connection: true if WAL was streamed (the backoff starts over). */
    private boolean session() {
        ReplicationConnection conn = ReplicationConnection.open(connection);
        current = conn;
        try {
            SystemIdentity id = conn.identifySystem();
            long sys = Long.parseUnsignedLong(id.systemId());
            if (systemId == null) {
                if (expectedCluster.isPresent() && expectedCluster.getAsLong() != sys) {
                    throw new WalvaultException(ErrorCode.CONFIG, "the server is cluster " + Long.toUnsignedString(sys) + ", not "
                            + Long.toUnsignedString(expectedCluster.getAsLong()) + " as system-identifier says"
                            + " HINT: --pg names another server than the configuration was written for");
                }
                segmentSize = conn.walSegmentSize();
                cluster = repository.cluster(sys);
                cluster.admitWriter(expectedCluster.isPresent());
                wal = cluster.wal();
                acquireLock(sys);
                startMetrics(true);
                systemId = sys;
                onStart.forEach(Runnable::run);
            } else if (sys != systemId) {
                throw new WalvaultException(ErrorCode.CONFIG, "the server now belongs to cluster " + Long.toUnsignedString(sys)
                        + ", not " + Long.toUnsignedString(systemId) + " the agent archives"
                        + " HINT: --pg names a different cluster than before; start one agent per cluster");
            }
            shipSpoolLeftovers();
            Optional<SlotInfo> slot = ensureSlot(conn);
            TimelineHistory history = archiveHistory(conn, id.timeline());
            ResumePoint start = resumePoint(history, slot, id);
            return stream(conn, start, history);
        } finally {
            current = null;
            conn.close();
        }
    }

    private void acquireLock(long sys) {
        try {
            lock = cluster.lock("agent-" + options.slot(), LOCK_STALE_AFTER);
        } catch (LockHeldException e) {
            throw new WalvaultException(ErrorCode.AGENT_ALREADY_RUNNING, "another walvault agent streams slot '" + options.slot()
                    + "' of cluster " + Long.toUnsignedString(sys) + ": " + e.getMessage(), e);
        }
        timers = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "walvault-agent-lock");
            t.setDaemon(true);
            return t;
        });
        timers.scheduleAtFixedRate(() -> {
            try {
                lock.refresh();
            } catch (LockHeldException e) {
                LOG.error("agent: the lock was taken over: {}", e.getMessage());
                lockLost = e;
                stop();
            } catch (RuntimeException e) {
                metrics.error("storage");
                LOG.warn("agent: cannot refresh the lock: {}", e.getMessage());
            }
        }, 20, 20, TimeUnit.SECONDS);
    }

    /** The slot exists (created if missing) and is physical; its restart position when the server tells (15+). */
    private Optional<SlotInfo> ensureSlot(ReplicationConnection conn) {
        String name = options.slot();
        if (conn.serverVersion().major() >= 15) {
            Optional<SlotInfo> info;
            try {
                info = conn.readSlot(name);
            } catch (WalvaultException e) {
                // walvault's own check (15, 16), or the server's refusal (17+: "cannot use READ_REPLICATION_SLOT with a
                // logical replication slot")
                if (e.code() == ErrorCode.SERVER_ERROR && (e.getMessage().contains("not a physical one")
                        || e.getMessage().contains("logical replication slot"))) {
                    throw new WalvaultException(ErrorCode.AGENT_SLOT_UNUSABLE, "replication slot '" + name
                            + "' is a logical slot; the agent streams physical WAL (" + e.getMessage() + ")"
                            + " HINT: give the agent a physical slot of its own with --slot", e);
                }
                throw e;
            }
            if (info.isPresent()) {
                return info;
            }
            conn.createPhysicalSlot(name, false);
            LOG.info("agent: created physical replication slot '{}'", name);
            return conn.readSlot(name);
        }
        try {
            conn.createPhysicalSlot(name, false);
            LOG.info("agent: created physical replication slot '{}'", name);
        } catch (WalvaultException e) {
            if (e.code() != ErrorCode.SLOT_ALREADY_EXISTS) {
                throw e;
            }
        }
        return Optional.empty();
    }

    /** Archives the history file of {@code tli} (create-if-absent) and returns its history. */
    private TimelineHistory archiveHistory(ReplicationConnection conn, TimelineId tli) {
        if (tli.equals(TimelineId.FIRST)) {
            return TimelineHistory.first();
        }
        TimelineHistoryFile h = conn.timelineHistory(tli);
        try {
            WalArchive.PutResult r = wal.putHistory(tli, h.content());
            if (!r.alreadyPresent()) {
                LOG.info("agent: archived timeline history file '{}'", h.fileName());
            }
        } catch (IOException e) {
            throw new WalvaultException(ErrorCode.STORAGE, "cannot archive '" + h.fileName() + "': " + e.getMessage(), e);
        }
        return h.history();
    }

    private ResumePoint resumePoint(TimelineHistory history, Optional<SlotInfo> slot, SystemIdentity id) {
        if (skipToServer) {
            skipToServer = false;
            return serverStart(slot, id, "past the accepted gap");
        }
        if (resume != null && history.includes(resume.timeline())) {
            Optional<Lsn> end = history.endOf(resume.timeline());
            if (end.isEmpty() || !resume.position().isAfter(end.get().segmentStart(segmentSize))) {
                return new ResumePoint(resume.position(), history.timelineAt(resume.position()));
            }
        }
        Optional<ResumePoint> archived;
        try (Stream<WalFileName> files = wal.list()) {
            Iterator<WalFileName> it = files.iterator();
            archived = ResumePoint.endOfArchive(it, history, segmentSize);
        }
        if (archived.isPresent()) {
            LOG.info("agent: the repository holds WAL up to {} on timeline {}", archived.get().position(), archived.get().timeline());
            return archived.get();
        }
        return serverStart(slot, id, "the repository holds no WAL of this cluster's timeline history yet");
    }

    private ResumePoint serverStart(Optional<SlotInfo> slot, SystemIdentity id, String why) {
        Lsn at = slot.flatMap(SlotInfo::restartLsn).orElse(id.flushPosition()).segmentStart(segmentSize);
        TimelineId tli = slot.flatMap(SlotInfo::restartTimeline).orElse(id.timeline());
        LOG.info("agent: {}: streaming from {} on timeline {}", why, at, tli);
        return new ResumePoint(at, tli);
    }

    private WalStream start(ReplicationConnection conn, ResumePoint at) {
        try {
            WalStream s = conn.startReplication(StartReplicationOptions.of(options.slot(), at.position(), at.timeline())
                    .statusInterval(options.statusInterval()));
            slotBusySince = 0;
            return s;
        } catch (ServerErrorException e) {
            throw classify(e, at);
        }
    }

    /** Turns the server's refusals into the agent's errors: gap, slot busy, slot unusable. */
    private WalvaultException classify(ServerErrorException e, ResumePoint at) {
        String msg = e.serverError().message();
        if (msg != null && msg.contains("has already been removed")) {
            if (options.acceptGap() && !gapAccepted) {
                gapAccepted = true;
                skipToServer = true;
                LOG.warn("agent: the archive has a gap after {} on timeline {} ({}); --accept-gap: streaming on from the"
                        + " slot's position. Restores cannot cross the gap: only backups taken after it restore to later points",
                        at.position(), at.timeline(), msg);
                return new WalvaultException(ErrorCode.SERVER_ERROR, "gap accepted, reconnecting past it");
            }
            metrics.gap(true);
            return new WalvaultException(ErrorCode.AGENT_WAL_GAP, "gap in the archive: the repository holds WAL up to " + at.position()
                    + " on timeline " + at.timeline() + " but the server no longer has what follows (" + msg + ");"
                    + " nothing past it was acknowledged"
                    + " HINT: the slot was dropped and recreated, or WAL was removed; take a new backup (walvault backup),"
                    + " then start the agent with --accept-gap", e);
        }
        if (msg != null && msg.contains("logical replication slot")) {
            return new WalvaultException(ErrorCode.AGENT_SLOT_UNUSABLE, "replication slot '" + options.slot()
                    + "' cannot stream physical WAL: " + msg + " HINT: give the agent a physical slot of its own with --slot", e);
        }
        if (e.code() == ErrorCode.SLOT_IN_USE) {
            long now = System.nanoTime();
            if (slotBusySince == 0) {
                slotBusySince = now;
            }
            if (now - slotBusySince > options.slotBusyGrace().toNanos()) {
                return new WalvaultException(ErrorCode.AGENT_ALREADY_RUNNING, "replication slot '" + options.slot()
                        + "' is in use by another process: " + msg
                        + " HINT: another agent or pg_receivewal streams from it; stop that process or give this agent its own --slot", e);
            }
        }
        return e;
    }

    /** Streams until stopped, the end of the stream, or a failure; ships the spool on the way out. */
    private boolean stream(ReplicationConnection conn, ResumePoint from, TimelineHistory history) {
        if (from.timeline().compareTo(history.timeline()) < 0) {
            LOG.info("agent: streaming timeline {} from {} up to its end, then timeline {}", from.timeline(), from.position(),
                    history.timeline());
        }
        WalSpool spool;
        try {
            WalSpool.clear(options.spool());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot clear the spool '" + options.spool() + "'", e);
        }
        // segments a failed session completed but could not store were stored from the spool
        // directory before this session (shipSpoolLeftovers) and their files are gone: forget them
        completed.clear();
        spool = new WalSpool(options.spool(), segmentSize, from.timeline(), from.position(), completed::add);
        resume = from;
        WalStream s = start(conn, from);
        boolean streamed = false;
        int unsynced = 0;
        reportedWritten = 0;
        lastPartialShip = System.nanoTime();
        metrics.streaming(true);
        try {
            while (true) {
                if (stopping) {
                    drain(s, spool);
                    shipAll(spool, s);
                    s.close();
                    return true;
                }
                WalEvent e;
                try {
                    // --synchronous: what is already queued is written before one fsync covers it all
                    e = s.read(unsynced > 0 ? Duration.ZERO : READ_TIMEOUT);
                } catch (ServerErrorException ex) {
                    throw classify(ex, new ResumePoint(spool.position(), spool.timeline()));
                }
                if (unsynced > 0 && (!(e instanceof WalEvent.WalData) || unsynced >= SYNC_BATCH)) {
                    spool.flush();
                    reportWritten(s, spool.flushed());
                    s.sendStatus();
                    unsynced = 0;
                }
                if (e instanceof WalEvent.WalData d) {
                    streamed = true;
                    sessionStreamed = true;
                    if (metrics.oldestUndurable() == 0) {
                        metrics.oldestUndurable(System.currentTimeMillis());
                    }
                    metrics.serverWalEnd(d.serverWalEnd());
                    spool.write(d.start(), d.data());
                    if (options.synchronous()) {
                        unsynced++;
                    }
                    shipCompleted(spool, s);
                    metrics.spoolBytes(Math.max(0, spool.position().minus(maxLsn(metrics.durable(), from.position()))));
                } else if (e instanceof WalEvent.EndOfTimeline t) {
                    shipCompleted(spool, s);
                    Lsn restart = t.switchPoint().segmentStart(segmentSize);
                    TimelineId old = spool.timeline();
                    spool.flush();
                    Optional<WalSpool.PartialSegment> last = spool.switchTimeline(t.nextTimeline(), restart);
                    if (last.isPresent() && last.get().validBytes() >= WalFormat.LONG_PAGE_HEADER_SIZE) {
                        shipPartial(last.get(), null);
                    }
                    LOG.info("agent: timeline {} ended at {}; following timeline {}", old, t.switchPoint(), t.nextTimeline());
                    TimelineHistory next = archiveHistory(conn, t.nextTimeline());
                    history = next;
                    resume = new ResumePoint(restart, t.nextTimeline());
                    s = start(conn, resume);
                    reportedWritten = 0;
                    streamed = true;
                    continue;
                } else if (e instanceof WalEvent.EndOfStream) {
                    LOG.info("agent: the server ended streaming (shutting down?)");
                    shipAll(spool, s);
                    return true;
                }
                if (System.nanoTime() - lastPartialShip >= options.partialInterval().toNanos()) {
                    shipPartialIfGrown(spool, s);
                }
            }
        } catch (RuntimeException e) {
            // the server or the network failed: what the spool holds may be all that is left of it
            try {
                shipAll(spool, null);
            } catch (RuntimeException shipping) {
                e.addSuppressed(shipping);
                LOG.error("agent: cannot ship the spool after a failure; it is kept in '{}' for the next attempt: {}",
                        options.spool(), shipping.getMessage());
            }
            throw e;
        } finally {
            metrics.streaming(false);
            spool.close();
        }
    }

    /**
     * On stop: takes in what the server already sent (WAL it flushed just before the signal), until
     * nothing arrives for a moment, at most a few seconds; a timeline's end is left for next time.
     */
    private void drain(WalStream s, WalSpool spool) {
        long deadline = System.nanoTime() + Duration.ofSeconds(3).toNanos();
        while (System.nanoTime() < deadline) {
            WalEvent e = s.read(Duration.ofMillis(100));
            if (!(e instanceof WalEvent.WalData d)) {
                return;
            }
            spool.write(d.start(), d.data());
            metrics.serverWalEnd(d.serverWalEnd());
        }
    }

    private static Lsn maxLsn(Lsn a, Lsn b) {
        return a.isAfter(b) ? a : b;
    }

    private void reportWritten(WalStream s, Lsn at) {
        if (s != null && Long.compareUnsigned(at.value(), reportedWritten) > 0
                && !at.isAfter(s.receivedPosition())) {
            s.reportWritten(at);
            reportedWritten = at.value();
        }
    }

    /** Ships completed segments, then the partial segment, and reports the result (stop, end of stream, failure). */
    private void shipAll(WalSpool spool, WalStream s) {
        shipCompleted(spool, s);
        spool.flush();
        shipPartialIfGrown(spool, s);
        if (s != null) {
            s.sendStatus();
        }
    }

    private void shipCompleted(WalSpool spool, WalStream s) {
        while (!completed.isEmpty()) {
            WalSpool.CompletedSegment c = completed.get(0);
            WalFileName name = WalFileName.parse(c.name().fileName());
            store(name, c.file(), segmentSize);
            try {
                wal.remove(WalFileName.parse(c.name().fileName() + ".partial"));
            } catch (RuntimeException e) {
                LOG.debug("agent: cannot remove the superseded partial of {}: {}", name, e.toString());
            }
            spool.release(c);
            completed.remove(0);
            durable(s, c.name().endLsn(), c.name().timeline(), name.name(), false, spool);
        }
    }

    private void shipPartialIfGrown(WalSpool spool, WalStream s) {
        lastPartialShip = System.nanoTime();
        Optional<WalSpool.PartialSegment> p = spool.partial();
        if (p.isEmpty()) {
            return;
        }
        Lsn end = p.get().name().startLsn().plus(p.get().validBytes());
        if (!end.isAfter(metrics.durable()) || p.get().validBytes() < WalFormat.LONG_PAGE_HEADER_SIZE) {
            return; // nothing new since the last upload, or not even a page header yet
        }
        spool.flush();
        shipPartial(p.get(), s);
        durable(s, end, p.get().name().timeline(), p.get().name().fileName() + ".partial", true, spool);
    }

    private void shipPartial(WalSpool.PartialSegment p, WalStream s) {
        store(WalFileName.parse(p.name().fileName() + ".partial"), p.file(), p.validBytes());
    }

    private void durable(WalStream s, Lsn end, TimelineId tli, String what, boolean partial, WalSpool spool) {
        resume = new ResumePoint(end.segmentStart(segmentSize), tli);
        metrics.durable(end, what, partial);
        if (!spool.position().isAfter(end)) {
            metrics.oldestUndurable(0);
        }
        if (s != null) {
            reportWritten(s, maxLsn(end, spool.flushed()));
            if (Long.compareUnsigned(end.value(), s.flushedPosition().value()) > 0 && !end.isAfter(s.receivedPosition())) {
                s.reportFlushed(end);
            }
            s.sendStatus();
        }
        if (partial) {
            LOG.debug("agent: {} stored up to {}", what, end);
        } else {
            LOG.info("agent: archived {}", what);
        }
    }

    /**
     * Stores the first {@code length} bytes of the spool file {@code file} as {@code name},
     * streamed from the file through the archive's WAL chain (checked, compressed, encrypted,
     * stored): invalid WAL is never stored, and no segment is held in memory.
     */
    private void store(WalFileName name, Path file, long length) {
        try {
            wal.put(name, () -> new SpoolFileStream(file, length));
        } catch (IOException e) {
            throw new WalvaultException(ErrorCode.STORAGE, "cannot store '" + name + "' in the repository: " + e.getMessage(), e);
        }
    }

    /** The first {@code length} bytes of a spool file; fails if the file holds fewer. */
    private static final class SpoolFileStream extends FilterInputStream {
        private final Path file;
        private long left;

        SpoolFileStream(Path file, long length) throws IOException {
            super(new BufferedInputStream(Files.newInputStream(file), 256 * 1024));
            this.file = file;
            this.left = length;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) == -1 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (left == 0) {
                return -1;
            }
            int n = in.read(b, off, (int) Math.min(len, left));
            if (n == -1) {
                throw new IOException("spool file '" + file + "' ended " + left + " bytes early");
            }
            left -= n;
            return n;
        }
    }

    /**
     * What the spool directory holds from an earlier session or process (a crash, a lost
     * connection whose shipping failed) is stored before streaming again: complete segments
     * (validated), and partial segments the repository does not hold complete. Then the spool is
     * cleared; the slot still holds everything the repository does not.
     */
    private void shipSpoolLeftovers() {
        Path dir = options.spool();
        if (!Files.isDirectory(dir)) {
            return;
        }
        List<Path> files;
        try (Stream<Path> s = Files.list(dir)) {
            files = s.filter(Files::isRegularFile).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list the spool '" + dir + "'", e);
        }
        for (Path f : files) {
            String n = f.getFileName().toString();
            boolean partial = n.endsWith(".partial");
            String segName = partial ? n.substring(0, n.length() - ".partial".length()) : n;
            if (!WalSegmentName.isSegmentName(segName)) {
                continue;
            }
            try {
                long size = Files.size(f);
                if (size == 0) {
                    continue;
                }
                WalFileName segment = WalFileName.parse(segName);
                if (partial && wal.info(segment).isPresent()) {
                    continue;
                }
                if (!partial && size != segmentSize) {
                    LOG.warn("agent: spool file '{}' holds {} bytes, not a segment; dropped (the slot still holds its WAL)", f, size);
                    continue;
                }
                store(partial ? WalFileName.parse(n) : segment, f, size);
                LOG.info("agent: stored '{}' left in the spool by an earlier run", n);
            } catch (InvalidWalException e) {
                LOG.warn("agent: spool file '{}' is not valid WAL ({}); dropped, the slot still holds its WAL", f, e.getMessage());
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read the spool '" + dir + "'", e);
            }
        }
    }

    /** The metrics this agent updates. */
    public AgentMetrics metrics() {
        return metrics;
    }
}
