package io.walvault.archiver.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.walvault.core.wal.Lsn;
import io.walvault.core.wal.TimelineHistory;
import io.walvault.core.wal.TimelineId;
import io.walvault.core.wal.WalFileName;
import java.util.Arrays;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ResumePointTest {

    static final long SEG = 16L * 1024 * 1024;
    static final TimelineId T1 = TimelineId.of(1);
    static final TimelineId T2 = TimelineId.of(2);

    static Optional<ResumePoint> end(TimelineHistory h, String... names) {
        return ResumePoint.endOfArchive(Arrays.stream(names).map(WalFileName::parse).iterator(), h, SEG);
    }

    @Test
    void emptyArchiveHasNoEnd() {
        assertTrue(end(TimelineHistory.first()).isEmpty());
        assertTrue(end(TimelineHistory.first(), "00000001.history").isEmpty());
    }

    @Test
    void afterTheNewestSegmentOrAtTheStartOfTheNewestPartial() {
        assertEquals(new ResumePoint(Lsn.parse("0/4000000"), T1), end(TimelineHistory.first(),
                "000000010000000000000002", "000000010000000000000003").orElseThrow());
        assertEquals(new ResumePoint(Lsn.parse("0/4000000"), T1), end(TimelineHistory.first(),
                "000000010000000000000003", "000000010000000000000004.partial").orElseThrow());
        assertEquals(new ResumePoint(Lsn.parse("1/0"), T1), end(TimelineHistory.first(),
                "0000000100000000000000FF").orElseThrow());
    }

    @Test
    void ancestorSegmentsCountOnlyUpToTheirSwitchPoint() {
        // timeline 1 ended at 0/3800000 (inside segment 3): segment 3 of timeline 1 belongs to the abandoned branch
        TimelineHistory h2 = TimelineHistory.parse(T2, "1\t0/3800000\tno recovery target specified\n");
        assertEquals(new ResumePoint(Lsn.parse("0/3000000"), T1), end(h2,
                "000000010000000000000002", "000000010000000000000003", "000000010000000000000004").orElseThrow());
        // the old timeline's last partial: streaming resumes on timeline 1 at that segment, which ends in the switch
        assertEquals(new ResumePoint(Lsn.parse("0/3000000"), T1), end(h2,
                "000000010000000000000002", "000000010000000000000003.partial").orElseThrow());
        // the new timeline's segments win
        assertEquals(new ResumePoint(Lsn.parse("0/5000000"), T2), end(h2,
                "000000010000000000000002", "000000010000000000000003.partial", "000000020000000000000003",
                "000000020000000000000004").orElseThrow());
    }

    @Test
    void timelinesOutsideTheHistoryDoNotCount() {
        TimelineHistory h2 = TimelineHistory.parse(T2, "1\t0/3800000\tno recovery target specified\n");
        assertEquals(new ResumePoint(Lsn.parse("0/3000000"), T1), end(h2,
                "000000010000000000000002", "000000030000000000000009").orElseThrow());
    }
}
