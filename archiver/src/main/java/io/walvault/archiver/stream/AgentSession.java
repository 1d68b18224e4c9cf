package io.walvault.archiver.stream;

import static java.util.Objects.requireNonNull;

import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;
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
import io.walvault.core.wal.Lsn;
import io.walvault.core.wal.TimelineHistory;
import io.walvault.core.wal.TimelineId;
import io.walvault.core.wal.WalFormat;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One replication connection of the {@link Agent}: IDENTIFY_SYSTEM (the agent joins the
 * cluster on the first one), the spool's leftovers shipped, the slot ensured, the server's
 * timeline history archived, START_REPLICATION at the resume point, then the receive loop:
 *
 * <pre>
 *  WalData ─▶ WalSpool.write ─▶ segment complete ─▶ SegmentShipper ─▶ Shipped ─▶ FeedbackPositions ─▶ status update
 *  every --partial-interval ─▶ SegmentShipper.shipPartialIfGrown ─┘
 *  --synchronous: up to 64 queued WalData, one fsync ─▶ FeedbackPositions.spoolFsynced ─▶ status update
 *  EndOfTimeline ─▶ old timeline's final .partial stored, next history archived, streaming goes on from the switch
 *  stop ─▶ drain what the server sent ─▶ ship all ─▶ final status ─▶ CopyDone
 *  failure ─▶ ship what the spool holds (all that may be left of a lost primary's WAL) ─▶ rethrow
 * </pre>
 *
 * <p>The server's refusals are decided by {@link RefusalClassifier} and a gap by
 * {@link GapPolicy}; they end the session with the error the {@link Agent} acts on. The resume
 * point (what the repository holds along the history) outlives the session: {@link #resume()}.
 *
 * <p>Not thread-safe: runs on the agent's thread, which also uploads (a segment upload blocks
 * the socket: that is the backpressure).
 */
final class AgentSession {

    private static final Logger LOG = LoggerFactory.getLogger(AgentSession.class);
    private static final Duration READ_TIMEOUT = Duration.ofMillis(200);
    /** --synchronous: at most this many XLogData messages are written before an fsync and a status update. */
    private static final int SYNC_BATCH = 64;

    /** What the agent archives, known once the first connection identified the server. */
    record Target(long systemId, long segmentSize, WalArchive wal) {
        Target {
            requireNonNull(wal, "wal is null");
        }
    }

    /** Joins the server's cluster (right after IDENTIFY_SYSTEM): checks it, and the first time takes the lock. */
    @FunctionalInterface
    interface Join {
        Target join(long systemId, ReplicationConnection conn);
    }

    /** What lives as long as the agent: the connection, options, metrics, slot, gap policy and the stop request. */
    record Context(ConnectionSettings connection, AgentOptions options, AgentMetrics metrics, Join join, SlotHandling slot,
                   GapPolicy gaps, BooleanSupplier stopping) {
    }

    private final Context cx;
    private final AgentOptions options;
    private final AgentMetrics metrics;
    private ResumePoint resume;
    private boolean receivedWal;
    private long segmentSize;
    private SegmentShipper shipper;
    private FeedbackPositions feedback;

    /** @param remembered where the previous session left the repository, null at first */
    AgentSession(Context cx, ResumePoint remembered) {
        this.cx = requireNonNull(cx, "cx is null");
        this.options = cx.options();
        this.metrics = cx.metrics();
        this.resume = remembered;
    }

    /** What the repository holds along the current history as far as known (streaming resumes here); null if unknown. */
    ResumePoint resume() {
        return resume;
    }

    /** WAL arrived in this session: the reconnection backoff starts over after it. */
    boolean receivedWal() {
        return receivedWal;
    }

    /** Runs the connection: true after a clean stop or the server's end of the stream; a failure is thrown. */
    boolean run() {
        ReplicationConnection conn = ReplicationConnection.open(cx.connection());
        try {
            SystemIdentity id = conn.identifySystem();
            Target target = cx.join().join(Long.parseUnsignedLong(id.systemId()), conn);
            segmentSize = target.segmentSize();
            shipper = new SegmentShipper(target.wal(), segmentSize, options.spool(), metrics::durable);
            shipper.shipLeftovers();
            Optional<SlotInfo> slot = cx.slot().ensure(conn);
            TimelineHistory history = archiveHistory(conn, target.wal(), id.timeline());
            ResumePoint start = ResumePoint.choose(cx.gaps().resumePastGap(slot, id, segmentSize), resume, history,
                    target.wal()::list, ResumePoint.atServer(slot, id, segmentSize), segmentSize);
            return stream(conn, target.wal(), start, history);
        } finally {
            conn.close();
        }
    }

    /** Archives the history file of {@code tli} (create-if-absent) and returns its history. */
    private static TimelineHistory archiveHistory(ReplicationConnection conn, WalArchive wal, TimelineId tli) {
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

    private WalStream start(ReplicationConnection conn, ResumePoint at) {
        try {
            WalStream s = conn.startReplication(StartReplicationOptions.of(options.slot(), at.position(), at.timeline())
                    .statusInterval(options.statusInterval()));
            cx.slot().streamStarted();
            feedback = FeedbackPositions.start(options.synchronous());
            return s;
        } catch (ServerErrorException e) {
            throw refused(e, at);
        }
    }

    /** The server refused {@code at} or ended the stream with an error: what the agent does, as the error ending the session. */
    private RuntimeException refused(ServerErrorException e, ResumePoint at) {
        Duration busy = cx.slot().refusedAsActive(e, System.nanoTime());
        RefusalClassifier.Decision d = RefusalClassifier.refusal(e, options.slot(), busy, options.slotBusyGrace());
        if (d instanceof RefusalClassifier.Retry r) {
            return r.error();
        }
        if (d instanceof RefusalClassifier.Fatal f) {
            return f.error();
        }
        GapPolicy.Decision g = cx.gaps().onGap(at, ((RefusalClassifier.Gap) d).refusal());
        if (g instanceof GapPolicy.Accept a) {
            LOG.warn("{}", a.warning());
            return a.reconnect();
        }
        metrics.gap(true);
        return ((GapPolicy.Refuse) g).error();
    }

    /** Streams until stopped, the end of the stream, or a failure; ships the spool on the way out. */
    private boolean stream(ReplicationConnection conn, WalArchive wal, ResumePoint from, TimelineHistory history) {
        if (from.timeline().compareTo(history.timeline()) < 0) {
            LOG.info("agent: streaming timeline {} from {} up to its end, then timeline {}", from.timeline(), from.position(),
                    history.timeline());
        }
        try {
            WalSpool.clear(options.spool());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot clear the spool '" + options.spool() + "'", e);
        }
        WalSpool spool = new WalSpool(options.spool(), segmentSize, from.timeline(), from.position(), shipper::completed);
        resume = from;
        WalStream s = start(conn, from);
        int unsynced = 0;
        shipper.restartPartialInterval();
        metrics.streaming(true);
        try {
            while (true) {
                if (cx.stopping().getAsBoolean()) {
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
                    throw refused(ex, new ResumePoint(spool.position(), spool.timeline()));
                }
                if (unsynced > 0 && (!(e instanceof WalEvent.WalData) || unsynced >= SYNC_BATCH)) {
                    spool.flush();
                    report(s, feedback.spoolFsynced(spool.flushed(), s.receivedPosition()));
                    s.sendStatus();
                    unsynced = 0;
                }
                if (e instanceof WalEvent.WalData d) {
                    receivedWal = true;
                    if (metrics.oldestUndurable() == 0) {
                        metrics.oldestUndurable(System.currentTimeMillis());
                    }
                    metrics.serverWalEnd(d.serverWalEnd());
                    spool.write(d.start(), d.data());
                    if (options.synchronous()) {
                        unsynced++;
                    }
                    shipper.shipCompleted(spool, onDurable(s, spool));
                    metrics.spoolBytes(Math.max(0, spool.position().minus(maxLsn(metrics.durable(), from.position()))));
                } else if (e instanceof WalEvent.EndOfTimeline t) {
                    s = followTimeline(conn, wal, s, spool, t);
                    continue;
                } else if (e instanceof WalEvent.EndOfStream) {
                    LOG.info("agent: the server ended streaming (shutting down?)");
                    shipAll(spool, s);
                    return true;
                }
                if (shipper.partialDue(options.partialInterval())) {
                    shipper.shipPartialIfGrown(spool, onDurable(s, spool));
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
     * The server ended the spool's timeline: its last segment is stored as that timeline's final
     * {@code .partial}, the next timeline's history archived, and streaming goes on from the
     * switch point's segment on the next timeline. Returns the new stream.
     */
    private WalStream followTimeline(ReplicationConnection conn, WalArchive wal, WalStream s, WalSpool spool,
                                     WalEvent.EndOfTimeline t) {
        shipper.shipCompleted(spool, onDurable(s, spool));
        Lsn restart = t.switchPoint().segmentStart(segmentSize);
        TimelineId old = spool.timeline();
        spool.flush();
        Optional<WalSpool.PartialSegment> last = spool.switchTimeline(t.nextTimeline(), restart);
        if (last.isPresent() && last.get().validBytes() >= WalFormat.LONG_PAGE_HEADER_SIZE) {
            shipper.storePartial(last.get());
        }
        LOG.info("agent: timeline {} ended at {}; following timeline {}", old, t.switchPoint(), t.nextTimeline());
        archiveHistory(conn, wal, t.nextTimeline());
        resume = new ResumePoint(restart, t.nextTimeline());
        return start(conn, resume);
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

    /** Ships completed segments, then the partial segment, and reports the result (stop, end of stream, failure). */
    private void shipAll(WalSpool spool, WalStream s) {
        shipper.shipCompleted(spool, onDurable(s, spool));
        spool.flush();
        shipper.shipPartialIfGrown(spool, onDurable(s, spool));
        if (s != null) {
            s.sendStatus();
        }
    }

    private Consumer<SegmentShipper.Shipped> onDurable(WalStream s, WalSpool spool) {
        return shipped -> durable(s, shipped, spool);
    }

    /** WAL is durable in the repository: the resume point, the metrics and (on a live stream) the flush position move. */
    private void durable(WalStream s, SegmentShipper.Shipped d, WalSpool spool) {
        resume = new ResumePoint(d.end().segmentStart(segmentSize), d.timeline());
        metrics.durable(d.end(), d.partial());
        if (!spool.position().isAfter(d.end())) {
            metrics.oldestUndurable(0);
        }
        if (s != null) {
            report(s, feedback.durable(d.end(), spool.flushed(), s.receivedPosition()));
            s.sendStatus();
        }
        if (d.partial()) {
            LOG.debug("agent: {} stored up to {}", d.what(), d.end());
        } else {
            LOG.info("agent: archived {}", d.what());
        }
    }

    /** Reports to {@code s} the positions that moved. */
    private void report(WalStream s, FeedbackPositions next) {
        if (next.written().isAfter(feedback.written())) {
            s.reportWritten(next.written());
        }
        if (next.flushed().isAfter(feedback.flushed())) {
            s.reportFlushed(next.flushed());
        }
        feedback = next;
    }

    private static Lsn maxLsn(Lsn a, Lsn b) {
        return a.isAfter(b) ? a : b;
    }
}
