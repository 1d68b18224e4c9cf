package io.walvault.restore.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.walvault.core.wal.Lsn;
import io.walvault.core.wal.TimelineHistory;
import io.walvault.core.wal.TimelineId;
import io.walvault.core.wal.WalFileName;
import io.walvault.core.wal.WalSegmentName;
import java.util.List;
import org.junit.jupiter.api.Test;

class TimelineDivergenceTest {

    private static final long SEG = WalSegmentName.DEFAULT_SEGMENT_SIZE;
    private static final TimelineId T1 = TimelineId.of(1);
    private static final TimelineId T2 = TimelineId.of(2);
    private static final TimelineId T3 = TimelineId.of(3);

    private static void segments(WalArchiveListing a, TimelineId tli, long from, long to) {
        for (long s = from; s <= to; s++) {
            a.add(WalFileName.parse(new WalSegmentName(tli, s, SEG).fileName()), 100);
        }
    }

    private static void branch(WalArchiveListing a, TimelineId child, TimelineId parent, long segment, long offset) {
        a.addHistory(TimelineHistory.parse(child, parent.value() + "\t" + Lsn.of(segment * SEG + offset) + "\tpromoted\n"));
    }

    @Test
    void aChildThatLeftItsParentBeforeTheParentsLastArchivedSegmentIsReported() {
        WalArchiveListing a = new WalArchiveListing(SEG);
        segments(a, T1, 1, 9);
        // a restore planned to segment 9 whose recovery ended in segment 5 and promoted
        branch(a, T2, T1, 5, 0x100);
        segments(a, T2, 5, 7);

        List<TimelineDivergence> found = TimelineDivergence.in(a);

        assertEquals(List.of(new TimelineDivergence(T2, T1, Lsn.of(5 * SEG + 0x100), new WalSegmentName(T1, 9, SEG))), found);
        String line = found.get(0).describe();
        assertTrue(line.contains("timeline 2 branched from timeline 1") && line.contains("'000000010000000000000009'")
                && line.contains("--target-timeline 1"), line);
    }

    @Test
    void aBranchInTheParentsLastSegmentIsTheNormalEndOfAFailoverOrRestore() {
        WalArchiveListing a = new WalArchiveListing(SEG);
        segments(a, T1, 1, 9);
        // the old primary's segment 9 holds the branch point: archived as it was when the new primary took over
        branch(a, T2, T1, 9, 0x2000);
        segments(a, T2, 9, 12);
        // a timeline whose parent has no complete segment in the archive: nothing to lose
        branch(a, TimelineId.of(5), TimelineId.of(4), 3, 0);

        assertEquals(List.of(), TimelineDivergence.in(a));
    }

    @Test
    void everyDivergingTimelineIsReportedAgainstItsOwnParent() {
        WalArchiveListing a = new WalArchiveListing(SEG);
        segments(a, T1, 1, 9);
        branch(a, T2, T1, 4, 0);
        segments(a, T2, 4, 8);
        // timeline 3 left timeline 2 in segment 6, but timeline 2 goes on to 8
        a.addHistory(TimelineHistory.parse(T3, "1\t" + Lsn.of(4 * SEG) + "\tpromoted\n2\t" + Lsn.of(6 * SEG + 8) + "\tpromoted\n"));
        segments(a, T3, 6, 6);

        List<TimelineDivergence> found = TimelineDivergence.in(a);

        assertEquals(List.of(T2, T3), found.stream().map(TimelineDivergence::child).toList());
        assertEquals(new WalSegmentName(T1, 9, SEG), found.get(0).parentEnd());
        assertEquals(T2, found.get(1).parent());
        assertEquals(new WalSegmentName(T2, 8, SEG), found.get(1).parentEnd());
    }
}
