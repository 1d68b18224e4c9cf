package io.walvault.core.replication;

import static java.util.Objects.requireNonNull;

import io.walvault.core.wal.Lsn;
import io.walvault.core.wal.TimelineId;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/** What {@link WalStream#read} returns: WAL bytes, the end of the timeline, or the end of the stream. */
public sealed interface WalEvent permits WalEvent.WalData, WalEvent.EndOfTimeline, WalEvent.EndOfStream {

    /**
     * WAL bytes from {@code start} (XLogData). {@code data} is a read-only view valid until the
     * next call to {@link WalStream#read} or {@link WalStream#close}: copy or write it before.
     * One message may cross a segment boundary; the receiver splits it.
     *
     * @param start position of the first byte
     * @param serverWalEnd the server's WAL end when it sent this
     * @param sendTimeMicros the server's clock, microseconds since 2000-01-01 UTC
     */
    record WalData(Lsn start, Lsn serverWalEnd, long sendTimeMicros, ByteBuffer data) implements WalEvent {
        public WalData {
            requireNonNull(start, "start is null");
            requireNonNull(serverWalEnd, "serverWalEnd is null");
            requireNonNull(data, "data is null");
        }

        /** The position just past the last byte. */
        public Lsn end() {
            return start.plus(data.remaining());
        }

        /**
         * This data cut at segment boundaries: one piece per segment it touches, each a view of
         * the same bytes (valid as long as this one is).
         */
        public List<WalData> bySegment(long segmentSize) {
            List<WalData> out = new ArrayList<>(2);
            ByteBuffer rest = data.duplicate();
            Lsn at = start;
            while (rest.hasRemaining()) {
                int n = (int) Math.min(rest.remaining(), segmentSize - at.segmentOffset(segmentSize));
                ByteBuffer piece = rest.slice();
                piece.limit(n);
                out.add(new WalData(at, serverWalEnd, sendTimeMicros, piece));
                rest.position(rest.position() + n);
                at = at.plus(n);
            }
            return out;
        }
    }

    /**
     * The timeline being streamed ended (the server was promoted, or this was a historic
     * timeline): stream on from {@code switchPoint} on {@code nextTimeline}. The connection is
     * ready for the next command; the stream is finished.
     */
    record EndOfTimeline(TimelineId nextTimeline, Lsn switchPoint) implements WalEvent {
        public EndOfTimeline {
            requireNonNull(nextTimeline, "nextTimeline is null");
            requireNonNull(switchPoint, "switchPoint is null");
        }
    }

    /**
     * The server ended streaming without a timeline switch (a controlled shutdown: it sent all
     * WAL it had and the reported positions caught up). Reconnect later and resume.
     */
    record EndOfStream(String commandTag) implements WalEvent {
        public EndOfStream {
            requireNonNull(commandTag, "commandTag is null");
        }
    }
}
