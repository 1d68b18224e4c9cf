package io.walvault.restore.get;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.walvault.core.error.ErrorCode;
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
