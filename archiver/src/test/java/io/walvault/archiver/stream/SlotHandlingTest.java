package io.walvault.archiver.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.walvault.core.error.ErrorCode;
import io.walvault.core.replication.ServerErrorException;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** {@link SlotHandling#refusedAsActive}: how long the slot has been busy, across reconnections, until a stream starts. */
class SlotHandlingTest {

    static final ServerErrorException BUSY = RefusalClassifierTest.refusal(ErrorCode.SLOT_IN_USE, "55006",
            "replication slot \"wv\" is active for PID 4242");
    static final ServerErrorException OTHER = RefusalClassifierTest.refusal(ErrorCode.SERVER_ERROR, "XX000", "other");

    @Test
    void theBusyTimeCountsFromTheFirstRefusalUntilAStreamStarts() {
        SlotHandling s = new SlotHandling("wv");
        long t = 5_000_000_000L;
        assertEquals(Duration.ZERO, s.refusedAsActive(BUSY, t));
        assertEquals(Duration.ofSeconds(3), s.refusedAsActive(BUSY, t + 3_000_000_000L));
        assertEquals(Duration.ZERO, s.refusedAsActive(OTHER, t + 4_000_000_000L), "another refusal is not a busy slot");
        assertEquals(Duration.ofSeconds(31), s.refusedAsActive(BUSY, t + 31_000_000_000L), "the count goes on");
        s.streamStarted();
        assertEquals(Duration.ZERO, s.refusedAsActive(BUSY, t + 40_000_000_000L), "starts over after a stream");
        assertEquals(Duration.ofSeconds(1), s.refusedAsActive(BUSY, t + 41_000_000_000L));
    }
}
