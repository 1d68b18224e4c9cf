package io.walvault.core.replication;

import static java.util.Objects.requireNonNull;

import io.walvault.core.error.WalvaultException;
import io.walvault.core.replication.wire.BackendDecoding;
import io.walvault.core.replication.wire.BackendMessage;
import io.walvault.core.replication.wire.FrontendMessages;
import io.walvault.core.replication.wire.MessageReader;
import io.walvault.core.wal.Lsn;
import io.walvault.core.wal.TimelineId;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running START_REPLICATION PHYSICAL: WAL as the server sends it, and the positions the
 * client reports back.
 *
 * <pre>{@code
 * try (WalStream s = conn.startReplication(StartReplicationOptions.of("walvault", segStart, tli))) {
 *     while (true) {
 *         WalEvent e = s.read(Duration.ofSeconds(1));
 *         if (e instanceof WalEvent.WalData d) {
 *             spool.write(d.start(), d.data());          // the buffer is valid until the next read
 *             s.reportWritten(d.end());
 *         } else if (e instanceof WalEvent.EndOfTimeline t) {
 *             // start again on t.nextTimeline() from t.switchPoint()'s segment
 *             break;
 *         } else if (e instanceof WalEvent.EndOfStream) {
 *             break;
 *         }
 *         // elsewhere, once bytes are durable in the repository:
 *         // s.reportFlushed(durableEnd);
 *     }
 * }
 * }</pre>
 *
 * <p>Feedback: a standby status update carries the write, flush and apply positions the caller
 * last reported through {@link #reportWritten}, {@link #reportFlushed} and {@link #reportApplied}
 * (all {@code 0/0} until reported). Nothing is ever reported automatically: the flush position
 * lets the server recycle WAL held by the slot, so it must only ever be what the caller holds
 * durably. Updates go out every status interval from the connection's event loop (so a consumer
 * that is busy for a while does not get disconnected by wal_sender_timeout), at once when the
 * server asks for a reply, and on {@link #sendStatus()}.
 *
 * <p>Thread-safety: one thread calls {@link #read}. The {@code report*} methods,
 * {@link #sendStatus} and {@link #close} may be called from any thread.
 *
 * <p>Lifecycle: the stream ends when {@link #read} returns an {@link WalEvent.EndOfTimeline}
 * (the connection can run the next command) or {@link WalEvent.EndOfStream}, when it throws, or
 * on {@link #close()}, which stops streaming (CopyDone) and leaves the connection usable if the
 * server agrees in time, closed otherwise.
 *
 * <p>Length: one protocol state machine (CopyBoth: WAL data, keepalives, the end of a timeline)
 * and the feedback timer that must share its positions.
 */
public final class WalStream implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(WalStream.class);
    private static final long POSTGRES_EPOCH_MILLIS = 946_684_800_000L;

    private final ReplicationConnection conn;
    private final StartReplicationOptions options;
    private ScheduledFuture<?> statusTimer;
    private volatile long written;
    private volatile long flushed;
    private volatile long applied;
    private volatile long received;
    private BackendMessage held;
    private boolean streaming;
    private boolean clientCopyDone;
    private WalEvent finalEvent;

    private WalStream(ReplicationConnection conn, StartReplicationOptions options) {
        this.conn = conn;
        this.options = options;
        this.received = options.start().value();
    }

    static WalStream start(ReplicationConnection conn, StartReplicationOptions options) {
        requireNonNull(options, "options is null");
        WalStream s = new WalStream(conn, options);
        String command = options.command();
        LOG.info("streaming WAL from '{}': {}", conn.transport().endpoint(), command);
        conn.transport().send(FrontendMessages.query(command), "Query(START_REPLICATION)");
        try (BackendMessage m = conn.next()) {
            switch (m.type()) {
                case 'W' -> {
                    readCopyBothResponse(m);
                    s.streaming = true;
                    conn.streamStarted(s);
                    s.statusTimer = conn.transport().every(options.statusInterval(), () -> s.sendStatus(false));
                }
                case 'T' -> {
                    // the start is exactly where the requested timeline ended: no COPY, the result set at once
                    s.finalEvent = s.readTimelineEnd(m);
                    s.drainUntilReady();
                }
                case 'E' -> throw s.errorUntilReady(m);
                default -> throw conn.unexpected(m, "in the answer to START_REPLICATION");
            }
        }
        return s;
    }

    private static void readCopyBothResponse(BackendMessage m) {
        MessageReader r = m.reader("CopyBothResponse");
        r.int8("format");
        int n = r.int16("column count");
        for (int i = 0; i < n; i++) {
            r.int16("column format");
        }
        r.end();
    }

    /**
     * The next event, waiting at most {@code timeout}; null if nothing came in time.
     * Keepalives are answered here and never returned.
     *
     * @throws ServerErrorException when the server ends streaming with an error (for example a
     *         start position it does not have, or a slot in use)
     * @throws ConnectionLostException when the connection breaks
     */
    public WalEvent read(Duration timeout) {
        releaseHeld();
        if (finalEvent != null) {
            WalEvent e = finalEvent;
            finalEvent = null;
            return e;
        }
        if (!streaming) {
            throw new IllegalStateException("the WAL stream has ended");
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            BackendMessage m;
            try {
                m = conn.nextOrNull(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
            } catch (WalvaultException e) {
                stopTimer();
                streaming = false;
                throw e;
            }
            if (m == null) {
                return null;
            }
            boolean keep = false;
            try {
                switch (m.type()) {
                    case 'd' -> {
                        WalEvent e = copyData(m);
                        if (e != null) {
                            keep = true;
                            held = m;
                            return e;
                        }
                    }
                    case 'c' -> {
                        return endOfCopy();
                    }
                    case 'C' -> {
                        // controlled shutdown: the server ends with CommandComplete, no CopyDone
                        String tag = m.reader("CommandComplete").cstring("tag");
                        stopTimer();
                        streaming = false;
                        LOG.info("server '{}' ended WAL streaming ({}) at {}", conn.transport().endpoint(), tag, Lsn.of(received));
                        drainUntilReady();
                        return new WalEvent.EndOfStream(tag);
                    }
                    case 'E' -> {
                        stopTimer();
                        streaming = false;
                        throw errorUntilReady(m);
                    }
                    default -> throw conn.unexpected(m, "during START_REPLICATION");
                }
            } catch (ProtocolException e) {
                // a malformed or discontinuous stream cannot be resumed on this connection
                stopTimer();
                streaming = false;
                conn.closeQuietly();
                throw e;
            } finally {
                if (!keep) {
                    m.close();
                }
            }
        }
    }

    private WalEvent copyData(BackendMessage m) {
        MessageReader r = m.reader("START_REPLICATION CopyData");
        int kind = r.int8("type");
        switch (kind) {
            case 'w' -> {
                long start = r.int64("dataStart");
                long walEnd = r.int64("walEnd");
                long sendTime = r.int64("sendTime");
                if (start != received) {
                    throw new ProtocolException("XLogData starts at " + Lsn.of(start) + " but the stream is at "
                            + Lsn.of(received) + " (a gap or an overlap in the WAL sent)");
                }
                ByteBuffer data = r.rest().nioBuffer().asReadOnlyBuffer();
                received = start + data.remaining();
                return new WalEvent.WalData(Lsn.of(start), Lsn.of(walEnd), sendTime, data);
            }
            case 'k' -> {
                r.int64("walEnd");
                r.int64("sendTime");
                boolean reply = r.int8("replyRequested") != 0;
                r.end();
                if (reply) {
                    sendStatus(false);
                }
                return null;
            }
            default -> throw new ProtocolException("START_REPLICATION CopyData has unknown type byte " + kind);
        }
    }

    /** The server sent CopyDone: answer it, then read the next timeline (or the plain end). */
    private WalEvent endOfCopy() {
        stopTimer();
        if (!clientCopyDone) {
            clientCopyDone = true;
            conn.transport().send(FrontendMessages.copyDone(), "CopyDone");
        }
        streaming = false;
        WalEvent result = null;
        while (true) {
            try (BackendMessage m = conn.next()) {
                switch (m.type()) {
                    case 'T' -> result = readTimelineEnd(m);
                    case 'C' -> {
                        if (result == null) {
                            result = new WalEvent.EndOfStream(m.reader("CommandComplete").cstring("tag"));
                        }
                    }
                    case 'd' -> { } // WAL still in flight after our CopyDone: not wanted any more
                    case 'c' -> { }
                    case 'E' -> throw errorUntilReady(m);
                    case 'Z' -> {
                        if (result instanceof WalEvent.EndOfTimeline t) {
                            LOG.info("timeline ended on '{}': next timeline {} from {}", conn.transport().endpoint(),
                                    t.nextTimeline(), t.switchPoint());
                        }
                        return result == null ? new WalEvent.EndOfStream("") : result;
                    }
                    default -> throw conn.unexpected(m, "after the end of START_REPLICATION");
                }
            }
        }
    }

    /** Reads the (next_tli, next_tli_startpos) result set whose RowDescription is {@code first}. */
    private WalEvent.EndOfTimeline readTimelineEnd(BackendMessage first) {
        List<String> columns = BackendDecoding.readRowDescription(first);
        if (columns.size() != 2) {
            throw new ProtocolException("end-of-timeline result has columns " + columns);
        }
        List<List<String>> rows = new ArrayList<>();
        while (true) {
            try (BackendMessage m = conn.next()) {
                switch (m.type()) {
                    case 'D' -> rows.add(BackendDecoding.readDataRow(m, 2));
                    case 'C' -> {
                        if (rows.size() != 1) {
                            throw new ProtocolException("end-of-timeline result has " + rows.size() + " rows");
                        }
                        WalEvent.EndOfTimeline t;
                        try {
                            t = new WalEvent.EndOfTimeline(TimelineId.of(Long.parseLong(rows.get(0).get(0))),
                                    Lsn.parse(rows.get(0).get(1)));
                        } catch (RuntimeException e) {
                            throw new ProtocolException("invalid end-of-timeline result " + rows + ": " + e.getMessage(), e);
                        }
                        options.timeline().ifPresent(cur -> {
                            if (t.nextTimeline().compareTo(cur) <= 0) {
                                throw new ProtocolException("server switched from timeline " + cur + " to timeline "
                                        + t.nextTimeline() + ", which is not newer");
                            }
                        });
                        if (received != options.start().value() && t.switchPoint().isAfter(Lsn.of(received))) {
                            throw new ProtocolException("timeline switch point " + t.switchPoint()
                                    + " is after the end of the WAL received (" + Lsn.of(received) + ")");
                        }
                        return t;
                    }
                    default -> throw conn.unexpected(m, "in the end-of-timeline result");
                }
            }
        }
    }

    /** In the no-COPY case the rest (CommandComplete(s), ReadyForQuery) follows the result set. */
    private void drainUntilReady() {
        while (true) {
            try (BackendMessage m = conn.next()) {
                switch (m.type()) {
                    case 'C' -> { }
                    case 'Z' -> {
                        return;
                    }
                    case 'E' -> throw errorUntilReady(m);
                    default -> throw conn.unexpected(m, "at the end of START_REPLICATION");
                }
            } catch (ConnectionLostException e) {
                // a shutting-down server may close without ReadyForQuery: the stream has ended anyway
                return;
            }
        }
    }

    private WalvaultException errorUntilReady(BackendMessage errorMessage) {
        ServerMessage sm = BackendDecoding.readServerMessage(errorMessage, "ErrorResponse");
        WalvaultException e = ServerErrors.toException(sm, conn.context(options.slot().orElse(null)));
        try {
            while (true) {
                try (BackendMessage m = conn.nextOrNull(Duration.ofSeconds(5))) {
                    if (m == null || m.type() == 'Z') {
                        break;
                    }
                }
            }
        } catch (WalvaultException ignored) {
            // a FATAL error closes the connection: the error itself is what matters
        }
        return e;
    }

    /** Reports the end of the WAL the caller has written (informational for the server). Any thread. */
    public void reportWritten(Lsn position) {
        written = advance("written", written, position);
    }

    /**
     * Reports the end of the WAL the caller holds durably. The server releases WAL before it from
     * the slot, so this must never run ahead of what is safe. Any thread.
     */
    public void reportFlushed(Lsn position) {
        flushed = advance("flushed", flushed, position);
    }

    /** Reports the applied position (informational for a physical archive). Any thread. */
    public void reportApplied(Lsn position) {
        applied = advance("applied", applied, position);
    }

    private long advance(String what, long current, Lsn next) {
        requireNonNull(next, "position is null");
        if (Long.compareUnsigned(next.value(), current) < 0) {
            throw new IllegalArgumentException(what + " position " + next + " is before the one reported already ("
                    + Lsn.of(current) + ")");
        }
        if (Long.compareUnsigned(next.value(), received) > 0) {
            throw new IllegalArgumentException(what + " position " + next + " is past the WAL received (" + Lsn.of(received) + ")");
        }
        return next.value();
    }

    /** Sends a standby status update now (for example right after a flush). Any thread. */
    public void sendStatus() {
        sendStatus(false);
    }

    private void sendStatus(boolean replyRequested) {
        if (!streaming || !conn.transport().isOpen()) {
            return;
        }
        long now = (System.currentTimeMillis() - POSTGRES_EPOCH_MILLIS) * 1000;
        conn.transport().send(FrontendMessages.standbyStatusUpdate(written, flushed, applied, now, replyRequested),
                "StandbyStatusUpdate");
    }

    /** The position just past the last WAL byte received. */
    public Lsn receivedPosition() {
        return Lsn.of(received);
    }

    private void releaseHeld() {
        if (held != null) {
            held.close();
            held = null;
        }
    }

    private void stopTimer() {
        conn.streamEnded(this);
        if (statusTimer != null) {
            statusTimer.cancel(false);
            statusTimer = null;
        }
    }

    /**
     * Stops streaming: a last status update, CopyDone, and waits (up to 10 s) for the server to
     * end the COPY; the connection is closed if it does not.
     */
    @Override
    public void close() {
        releaseHeld();
        stopTimer();
        if (!streaming) {
            return;
        }
        sendStatus(false);
        streaming = false;
        clientCopyDone = true;
        conn.transport().send(FrontendMessages.copyDone(), "CopyDone");
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        try {
            while (System.nanoTime() < deadline) {
                try (BackendMessage m = conn.nextOrNull(Duration.ofNanos(Math.max(1, deadline - System.nanoTime())))) {
                    if (m == null) {
                        break;
                    }
                    if (m.type() == 'Z') {
                        return;
                    }
                }
            }
            conn.closeQuietly();
        } catch (WalvaultException e) {
            conn.closeQuietly();
        }
    }
}
