package io.walvault.restore.info;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.walvault.core.wal.TimelineId;
import io.walvault.core.wal.WalSegmentName;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

class TimelineWalTest {

    private static final long SEG = WalSegmentName.DEFAULT_SEGMENT_SIZE;

    @Test
    void gapsAreTheMissingRangesBetweenFirstAndLast() {
        TimelineWal w = TimelineWal.of(TimelineId.of(2), new TreeSet<>(List.of(3L, 4L, 7L, 8L, 10L)), Optional.of(11L), SEG);
        assertEquals("000000020000000000000003", w.first().fileName());
        assertEquals("00000002000000000000000A", w.last().fileName());
        assertEquals(5, w.segments());
        assertEquals(2, w.gaps().size());
        assertEquals("000000020000000000000005", w.gaps().get(0).from().fileName());
        assertEquals("000000020000000000000006", w.gaps().get(0).to().fileName());
        assertEquals(2, w.gaps().get(0).count());
        assertEquals(1, w.gaps().get(1).count());
        assertEquals("00000002000000000000000B", w.newestPartial().orElseThrow().fileName());
    }

    @Test
    void contiguousWalHasNoGap() {
        TimelineWal w = TimelineWal.of(TimelineId.FIRST, new TreeSet<>(List.of(1L, 2L, 3L)), Optional.empty(), SEG);
        assertTrue(w.gaps().isEmpty());
    }
}
