package io.walvault.archiver.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.walvault.core.wal.Lsn;
import org.junit.jupiter.api.Test;

/** {@link FeedbackPositions}: what the agent reports to the server, and what it never reports. */
class FeedbackPositionsTest {

    static final Lsn RECEIVED = Lsn.parse("0/5000000");

    @Test
    void aNewStreamReportsNothing() {
        FeedbackPositions f = FeedbackPositions.start(false);
        assertEquals(Lsn.INVALID, f.written());
        assertEquals(Lsn.INVALID, f.flushed());
        assertEquals(Lsn.INVALID, f.applied());
    }

    @Test
    void flushedIsNeverReportedBeforeTheRepositoryHoldsTheWal() {
        for (boolean synchronous : new boolean[] {false, true}) {
            FeedbackPositions f = FeedbackPositions.start(synchronous).spoolFsynced(Lsn.parse("0/4800000"), RECEIVED);
            assertEquals(Lsn.INVALID, f.flushed(), "fsynced in the spool is not durable in the repository");
            f = f.durable(Lsn.parse("0/3000000"), Lsn.parse("0/4800000"), RECEIVED);
            assertEquals(Lsn.parse("0/3000000"), f.flushed(), "the end of what the repository holds");
            assertEquals(Lsn.parse("0/4800000"), f.written(), "written: what the spool fsynced beyond it");
            assertEquals(Lsn.INVALID, f.applied(), "an archive applies nothing");
        }
    }

    @Test
    void withoutSynchronousTheWritePositionWaitsForAnUpload() {
        FeedbackPositions f = FeedbackPositions.start(false);
        assertSame(f, f.spoolFsynced(Lsn.parse("0/4800000"), RECEIVED));
        f = f.durable(Lsn.parse("0/3000000"), Lsn.parse("0/3000000"), RECEIVED);
        assertEquals(Lsn.parse("0/3000000"), f.written());
    }

    @Test
    void withSynchronousTheWritePositionIsWhatTheSpoolFsynced() {
        FeedbackPositions f = FeedbackPositions.start(true).spoolFsynced(Lsn.parse("0/1000100"), RECEIVED);
        assertEquals(Lsn.parse("0/1000100"), f.written(), "a commit waiting for remote_write returns now");
        f = f.spoolFsynced(Lsn.parse("0/1000200"), RECEIVED);
        assertEquals(Lsn.parse("0/1000200"), f.written());
        assertEquals(Lsn.INVALID, f.flushed());
    }

    @Test
    void positionsNeverMoveBackwards() {
        FeedbackPositions f = FeedbackPositions.start(true).durable(Lsn.parse("0/4000000"), Lsn.parse("0/4800000"), RECEIVED);
        FeedbackPositions later = f.durable(Lsn.parse("0/3000000"), Lsn.parse("0/3000000"), RECEIVED)
                .spoolFsynced(Lsn.parse("0/2000000"), RECEIVED);
        assertEquals(Lsn.parse("0/4000000"), later.flushed());
        assertEquals(Lsn.parse("0/4800000"), later.written());
    }

    @Test
    void positionsNeverPassTheWalReceivedOnTheStream() {
        // a segment stored from an earlier stream may end past what this stream received yet
        FeedbackPositions f = FeedbackPositions.start(true).durable(Lsn.parse("0/6000000"), Lsn.parse("0/6000000"), RECEIVED);
        assertEquals(Lsn.INVALID, f.flushed());
        assertEquals(Lsn.INVALID, f.written());
        f = f.spoolFsynced(Lsn.parse("0/5000001"), RECEIVED);
        assertEquals(Lsn.INVALID, f.written());
        f = f.durable(RECEIVED, RECEIVED, RECEIVED);
        assertEquals(RECEIVED, f.flushed(), "up to what was received, inclusive");
    }
}
