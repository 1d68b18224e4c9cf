package io.walvault.restore.get;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.walvault.core.error.ErrorCode;
import io.walvault.core.wal.Lsn;
import io.walvault.core.wal.TimelineId;
import io.walvault.core.wal.WalFileName;
import io.walvault.core.wal.WalSegmentName;
import io.walvault.restore.recovery.RecoveryExpectation;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class MissingAnswerTest {

    private static final long SEG = 16L << 20;
    /** The backup's WAL and what follows, 1/0x10 to 1/0x14; the restore targets timeline 1. */
    private static final Optional<RecoveryExpectation> PLAN = Optional.of(RecoveryExpectation.of(7, SEG,
            List.of(f("000000010000000000000010"), f("000000010000000000000011"), f("000000010000000000000012"),
                    f("000000010000000000000013"), f("000000010000000000000014")), TimelineId.of(1), TimelineId.of(1)));

    @Test
    void withoutAPlanEverythingMissingIsTheEndOfTheArchive() {
        assertEquals(MissingAnswer.Kind.NOT_ARCHIVED, MissingAnswer.of(Optional.empty(), f("000000010000000000000012"),
                Optional.empty()));
    }

    @Test
    void aSegmentThePlanNeedsIsAGap() {
        assertEquals(MissingAnswer.Kind.GAP, MissingAnswer.of(PLAN, f("000000010000000000000012"), Optional.of(s("000000010000000000000011"))));
        assertEquals(MissingAnswer.Kind.NOT_ARCHIVED, MissingAnswer.of(PLAN, f("000000010000000000000015"),
                Optional.of(s("000000010000000000000014"))), "past the plan: recovery's normal end");
    }

    @Test
    void theProbeForTheNextTimelineIsAllowedAtTheStartAndAtThePlansEndOnly() {
        WalFileName probe = f("00000002.history");
        assertEquals(MissingAnswer.Kind.NOT_ARCHIVED, MissingAnswer.of(PLAN, probe, Optional.empty()), "the start of a run");
        assertEquals(MissingAnswer.Kind.ENDS_SHORT, MissingAnswer.of(PLAN, probe, Optional.of(s("000000010000000000000012"))));
        assertEquals(MissingAnswer.Kind.NOT_ARCHIVED, MissingAnswer.of(PLAN, probe, Optional.of(s("000000010000000000000015"))));
    }

    @Test
    void aStopBeforeARecordThatContinuesIntoTheLastSegmentEndsInTheSegmentBefore() {
        // recovery stops before a commit record at 1/0x13... that runs on into 1/0x14: it reads 0x14 to decide, replays up
        // to the record before, and reads that record's segment once more as it ends
        Lsn stopRecordStart = Lsn.of(0x13L * SEG + SEG - 4096);
        Optional<RecoveryExpectation> plan = Optional.of(RecoveryExpectation.of(7, SEG,
                List.of(f("000000010000000000000010"), f("000000010000000000000011"), f("000000010000000000000012"),
                        f("000000010000000000000013"), f("000000010000000000000014")), TimelineId.of(1), TimelineId.of(1),
                Optional.of(stopRecordStart)));
        WalFileName probe = f("00000002.history");
        assertEquals(MissingAnswer.Kind.NOT_ARCHIVED, MissingAnswer.of(plan, probe, Optional.of(s("000000010000000000000013"))),
                "the end it reads once more");
        assertEquals(MissingAnswer.Kind.ENDS_SHORT, MissingAnswer.of(plan, probe, Optional.of(s("000000010000000000000012"))));
        assertEquals(MissingAnswer.Kind.GAP, MissingAnswer.of(plan, f("000000010000000000000014"),
                Optional.of(s("000000010000000000000013"))), "the stop record's end is still needed");
        // a record that ends exactly at the segment's end: that segment, not the next
        assertEquals(s("000000010000000000000013"), RecoveryExpectation.of(7, SEG, List.of(f("000000010000000000000013"),
                f("000000010000000000000014")), TimelineId.of(1), TimelineId.of(1), Optional.of(Lsn.of(0x14L * SEG))).end());
    }

    @Test
    void refusalsStopRecoveryAndSayWhy() {
        var gap = MissingAnswer.refusal(MissingAnswer.Kind.GAP, PLAN.get(), f("000000010000000000000012"), Optional.empty());
        assertEquals(ErrorCode.RECOVERY_STOPPED, gap.code());
        assertTrue(gap.getMessage().contains("000000010000000000000012"), gap.getMessage());
        var shortEnd = MissingAnswer.refusal(MissingAnswer.Kind.ENDS_SHORT, PLAN.get(), f("00000002.history"),
                Optional.of(s("000000010000000000000012")));
        assertEquals(ErrorCode.RECOVERY_STOPPED, shortEnd.code());
        assertTrue(shortEnd.getMessage().contains("000000010000000000000014"), "names the plan's end: " + shortEnd.getMessage());
    }

    private static WalFileName f(String n) {
        return WalFileName.parse(n);
    }

    private static WalSegmentName s(String n) {
        return WalSegmentName.parse(n, SEG);
    }
}
