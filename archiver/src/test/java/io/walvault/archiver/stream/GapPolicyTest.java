package io.walvault.archiver.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.walvault.core.error.ErrorCode;
import io.walvault.core.replication.ServerErrorException;
import io.walvault.core.replication.SlotInfo;
import io.walvault.core.replication.SystemIdentity;
import io.walvault.core.wal.Lsn;
import io.walvault.core.wal.TimelineId;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** {@link GapPolicy}: a gap stops the agent, unless --accept-gap accepts it once; where streaming goes on after it. */
class GapPolicyTest {

    static final long SEG = 16L * 1024 * 1024;
    static final ResumePoint AT = new ResumePoint(Lsn.parse("0/3000000"), TimelineId.of(1));
    static final ServerErrorException REMOVED = RefusalClassifierTest.refusal(ErrorCode.SERVER_ERROR, "58P01",
            "requested WAL segment 000000010000000000000003 has already been removed");
    static final SystemIdentity SERVER = new SystemIdentity("7400000000000000001", TimelineId.of(2), Lsn.parse("0/9123456"));
    static final Optional<SlotInfo> SLOT_15 = Optional.of(new SlotInfo("wv", Optional.of(Lsn.parse("0/7654321")),
            Optional.of(TimelineId.of(2))));

    @Test
    void withoutAcceptGapTheAgentStopsWith57AndNamesThePosition() {
        GapPolicy p = new GapPolicy(false);
        for (int i = 0; i < 2; i++) {
            GapPolicy.Refuse r = assertInstanceOf(GapPolicy.Refuse.class, p.onGap(AT, REMOVED));
            assertEquals(ErrorCode.AGENT_WAL_GAP, r.error().code());
            String m = r.error().getMessage();
            assertTrue(m.contains("gap in the archive: the repository holds WAL up to 0/3000000 on timeline 1"), m);
            assertTrue(m.contains("has already been removed") && m.contains("nothing past it was acknowledged"), m);
            assertTrue(m.contains("HINT: ") && m.contains("--accept-gap"), m);
            assertSame(REMOVED, r.error().getCause());
        }
        assertEquals(Optional.empty(), p.resumePastGap(SLOT_15, SERVER, SEG), "never streams past a refused gap");
    }

    @Test
    void acceptGapAcceptsTheFirstGapOnceAndStreamsOnFromTheSlot() {
        GapPolicy p = new GapPolicy(true);
        assertEquals(Optional.empty(), p.resumePastGap(SLOT_15, SERVER, SEG), "no gap yet");
        GapPolicy.Accept a = assertInstanceOf(GapPolicy.Accept.class, p.onGap(AT, REMOVED));
        assertTrue(a.warning().contains("the archive has a gap after 0/3000000 on timeline 1"), a.warning());
        assertTrue(a.warning().contains("--accept-gap") && a.warning().contains("Restores cannot cross the gap"), a.warning());
        assertEquals(ErrorCode.SERVER_ERROR, a.reconnect().code(), "the session ends and is retried, no error is fatal");
        // the next connection streams from the slot's restart position (READ_REPLICATION_SLOT, 15+), at a segment start
        assertEquals(Optional.of(new ResumePoint(Lsn.parse("0/7000000"), TimelineId.of(2))), p.resumePastGap(SLOT_15, SERVER, SEG));
        assertEquals(Optional.empty(), p.resumePastGap(SLOT_15, SERVER, SEG), "once");
        // a second gap in the same process is one more than the DBA accepted
        assertInstanceOf(GapPolicy.Refuse.class, p.onGap(AT, REMOVED));
    }

    @Test
    void onPostgres14TheAcceptedGapResumesAtTheServersFlushPosition() {
        // no READ_REPLICATION_SLOT: no slot information, so IDENTIFY_SYSTEM's flush position and timeline
        GapPolicy p = new GapPolicy(true);
        assertInstanceOf(GapPolicy.Accept.class, p.onGap(AT, REMOVED));
        assertEquals(Optional.of(new ResumePoint(Lsn.parse("0/9000000"), TimelineId.of(2))),
                p.resumePastGap(Optional.empty(), SERVER, SEG));
    }

    @Test
    void aSlotReservingNothingYetFallsBackToTheServer() {
        GapPolicy p = new GapPolicy(true);
        p.onGap(AT, REMOVED);
        assertEquals(Optional.of(new ResumePoint(Lsn.parse("0/9000000"), TimelineId.of(2))),
                p.resumePastGap(Optional.of(new SlotInfo("wv", Optional.empty(), Optional.empty())), SERVER, SEG));
    }
}
