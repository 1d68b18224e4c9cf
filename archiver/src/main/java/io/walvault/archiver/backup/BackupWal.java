package io.walvault.archiver.backup;

import static java.util.Objects.requireNonNull;

import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;
import io.walvault.core.replication.ReplicationConnection;
import io.walvault.core.replication.StartReplicationOptions;
import io.walvault.core.replication.TimelineHistoryFile;
import io.walvault.core.replication.WalEvent;
import io.walvault.core.replication.WalStream;
import io.walvault.core.replication.conn.ConnectionSettings;
import io.walvault.core.repo.WalArchive;
import io.walvault.core.wal.Lsn;
import io.walvault.core.wal.TimelineId;
import io.walvault.core.wal.WalFileName;
import io.walvault.core.wal.WalSegmentName;
import io.walvault.core.wal.WalSegmentValidator;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Streams a backup's WAL into the WAL archive over a replication connection of its own, as
 * {@code pg_basebackup -X stream} does, so the backup never waits for the server's archiver.
 *
 * <p>Lifecycle: {@link Slot#reserve} opens the connection and creates a temporary physical slot
 * before BASE_BACKUP starts (the server keeps the WAL from then on, even across checkpoints);
 * the backup does that on a thread of its own while it sets up the rest. {@link #begin} starts a
 * thread streaming from the start LSN's segment on the start timeline; {@link #stopAt} names the
 * backup's end LSN once BASE_BACKUP has returned; {@link #await} waits until every segment up to
 * the one holding the end has been validated ({@link WalSegmentValidator}) and stored
 * (create-if-absent: an identical segment already archived by archive_command is fine).
 * {@link #close()} ends the stream and the connection, which drops the temporary slot.
 *
 * <p>Each segment is assembled in one buffer of the segment size (16 MiB by default) and stored
 * only when complete; the flush position is reported only for stored segments. The server
 * switches to a new segment at the end of a backup taken from a primary, so the last segment
 * completes on its own; from a standby it completes only with later WAL (the wait is bounded by
 * the caller's timeout). A timeline switch during the backup fails it.
 */
final class BackupWal implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(BackupWal.class);
    private static final long MAX_BUFFERED_SEGMENT = 256L * 1024 * 1024;

    private final ReplicationConnection connection;
    private final WalArchive archive;
    private final long systemId;
    private final long segmentSize;
    private final String slot;
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private volatile Lsn stopAt;
    private volatile boolean closed;
    private volatile long segmentsStored;
    private volatile WalSegmentName first;
    private volatile WalSegmentName last;
    private Thread thread;
    private WalStream stream;

    /**
     * A replication connection holding a temporary physical slot that reserves WAL; closing it
     * drops the slot.
     *
     * @param connection the connection the WAL will stream on
     * @param name       the slot's name
     */
    record Slot(ReplicationConnection connection, String name) implements AutoCloseable {
        Slot {
            requireNonNull(connection, "connection is null");
            requireNonNull(name, "name is null");
        }

        /** Opens a connection with {@code settings} and creates the slot that keeps the backup's WAL on the server. */
        static Slot reserve(ConnectionSettings settings) {
            String name = "walvault_backup_" + ProcessHandle.current().pid() + "_" + Long.toHexString(System.nanoTime() & 0xffffff);
            ReplicationConnection c = ReplicationConnection.open(settings);
            try {
                c.createPhysicalSlot(name, true);
                return new Slot(c, name);
            } catch (RuntimeException e) {
                c.close();
                throw e;
            }
        }

        @Override
        public void close() {
            connection.close();
        }
    }

    BackupWal(Slot reserved, WalArchive archive, long systemId, long segmentSize) {
        this.connection = reserved.connection();
        this.archive = requireNonNull(archive, "archive is null");
        this.systemId = systemId;
        this.segmentSize = segmentSize;
        if (segmentSize > MAX_BUFFERED_SEGMENT) {
            reserved.close();
            throw new WalvaultException(ErrorCode.CONFIG, "wal_segment_size of " + segmentSize
                    + " bytes is larger than the " + MAX_BUFFERED_SEGMENT + " bytes walvault backup assembles in memory");
        }
        this.slot = reserved.name();
    }

    /** Starts streaming from {@code start}'s segment on {@code timeline}. */
    void begin(Lsn start, TimelineId timeline) {
        first = WalSegmentName.of(timeline, start, segmentSize);
        thread = new Thread(() -> {
            try {
                stream(first);
            } catch (Throwable t) {
                if (!closed) {
                    failure.compareAndSet(null, t);
                }
            }
        }, "walvault-backup-wal");
        thread.setDaemon(true);
        thread.start();
    }

    /** The backup's end: stream until the segment holding the byte before it is stored. */
    void stopAt(Lsn end) {
        stopAt = requireNonNull(end, "end is null");
    }

    /** Waits until the WAL up to {@link #stopAt} is stored; the first and last segment. */
    WalSegmentName[] await(Duration timeout) {
        try {
            thread.join(timeout.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new WalvaultException(ErrorCode.INTERRUPTED, "interrupted while waiting for the backup's WAL");
        }
        if (closed) {
            throw new WalvaultException(ErrorCode.INTERRUPTED, "the backup was cancelled while its WAL was streamed");
        }
        Throwable t = failure.get();
        if (t != null) {
            throw new WalvaultException(ErrorCode.BACKUP_WAL_INCOMPLETE, "the backup's WAL could not be stored: "
                    + t.getMessage(), t);
        }
        if (thread.isAlive()) {
            throw new WalvaultException(ErrorCode.BACKUP_WAL_INCOMPLETE, "the backup's WAL up to " + stopAt
                    + " did not arrive within " + timeout.toSeconds() + " s (" + segmentsStored + " segments stored, up to "
                    + last + ") HINT: a backup from a standby waits for the primary to fill the last segment;"
                    + " run pg_switch_wal() on the primary or raise --wal-timeout");
        }
        // the segment holding the backup's last byte: the stream may have stored a segment more (WAL
        // that went by before the end was known), which is archived but is not the backup's
        WalSegmentName lastNeeded = last;
        if (stopAt != null && last != null) {
            WalSegmentName end = WalSegmentName.of(last.timeline(), Lsn.of(stopAt.value() - 1), segmentSize);
            if (end.compareTo(last) < 0) {
                lastNeeded = end;
            }
        }
        return new WalSegmentName[] {first, lastNeeded};
    }

    /** Segments stored so far. */
    long segmentsStored() {
        return segmentsStored;
    }

    private void stream(WalSegmentName from) throws IOException {
        TimelineId tli = from.timeline();
        if (tli.value() > 1) {
            TimelineHistoryFile h = connection.timelineHistory(tli);
            archive.putHistory(tli, h.content());
        }
        byte[] buffer = new byte[(int) segmentSize];
        WalSegmentName segment = from;
        long filled = 0;
        stream = connection.startReplication(StartReplicationOptions.of(slot, from.startLsn(), tli));
        while (!closed) {
            Lsn end = stopAt;
            if (end != null && last != null && !last.endLsn().isBefore(end)) {
                return;
            }
            WalEvent e = stream.read(Duration.ofMillis(100)); // short: the end may be set while the last segment is already stored
            if (e == null) {
                continue;
            }
            if (!(e instanceof WalEvent.WalData data)) {
                throw new WalvaultException(ErrorCode.BACKUP_WAL_INCOMPLETE, "the server ended timeline " + tli
                        + " while the backup's WAL was streamed (" + e + ")"
                        + " HINT: the server was promoted or shut down during the backup; take the backup again");
            }
            for (WalEvent.WalData piece : data.bySegment(segmentSize)) {
                long at = piece.start().minus(segment.startLsn());
                if (at != filled) {
                    throw new WalvaultException(ErrorCode.PROTOCOL_VIOLATION, "WAL at " + piece.start()
                            + " does not continue segment " + segment.fileName() + " at offset " + filled);
                }
                int n = piece.data().remaining();
                piece.data().duplicate().get(buffer, (int) filled, n);
                filled += n;
                if (filled == segmentSize) {
                    store(segment, buffer);
                    stream.reportWritten(segment.endLsn());
                    stream.reportFlushed(segment.endLsn());
                    last = segment;
                    segmentsStored++;
                    segment = segment.next();
                    filled = 0;
                }
            }
        }
    }

    private void store(WalSegmentName segment, byte[] buffer) throws IOException {
        WalFileName name = WalFileName.parse(segment.fileName());
        WalArchive.PutResult r = archive.put(name, () -> new ByteArrayInputStream(buffer)); // checked by the archive's chain
        LOG.debug("backup WAL {} {}", name, r.alreadyPresent() ? "was already archived" : "stored");
    }

    @Override
    public synchronized void close() {
        closed = true;
        if (thread != null) {
            try {
                thread.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        try {
            if (stream != null) {
                stream.close();
            }
        } catch (RuntimeException e) {
            LOG.debug("closing the WAL stream: {}", e.toString());
        }
        connection.close();
    }
}
