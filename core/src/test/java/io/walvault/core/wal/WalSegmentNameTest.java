package io.walvault.core.wal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class WalSegmentNameTest {

    private static final long MB16 = 16L << 20;

    @Test
    void nameDependsOnSegmentSize() {
        Lsn lsn = Lsn.parse("1/3000028");
        assertEquals("000000020000000100000003", WalSegmentName.of(TimelineId.of(2), lsn, MB16).fileName());
        // with 1 GiB segments there are only 4 segments per 4 GiB "log"
        assertEquals("000000020000000100000000", WalSegmentName.of(TimelineId.of(2), lsn, 1L << 30).fileName());
        assertEquals("000000010000000000000030", WalSegmentName.of(TimelineId.FIRST, Lsn.parse("0/3000000"), 1L << 20).fileName());
    }

    @Test
    void namesAreWhatTheFormatterGaveAtEveryDigitAndSize() {
        SplittableRandom r = new SplittableRandom(42);
        long[] sizes = {1L << 20, MB16, 1L << 30};
        long[] edges = {0, 1, 9, 10, 15, 16, 0xFF, 0x100, 0x7FFFFFFFL, 0x80000000L, 0xFFFFFFFEL, 0xFFFFFFFFL};
        for (int i = 0; i < 20_000; i++) {
            long size = sizes[i % sizes.length];
            long perLog = 0x100000000L / size;
            long tli = i < edges.length ? Math.max(1, edges[i]) : 1 + r.nextLong(0xFFFFFFFFL);
            long log = i < edges.length ? edges[i] : r.nextLong(0x100000000L);
            long seg = r.nextLong(perLog);
            WalSegmentName n = new WalSegmentName(TimelineId.of(tli), log * perLog + seg, size);
            String expected = String.format("%08X%08X%08X", tli, log, seg);
            assertEquals(expected, n.fileName());
            assertEquals(n, WalSegmentName.parse(expected, size));
            assertEquals(String.format("%08X", tli), TimelineId.of(tli).hex());
        }
        assertThrows(IllegalArgumentException.class, () -> WalSegmentName.hex8(0x100000000L, new char[8], 0));
    }

    @Test
    void roundTripsAcrossTheLogBoundary() {
        WalSegmentName last = WalSegmentName.parse("0000000100000000000000FF", MB16);
        WalSegmentName next = last.next();
        assertEquals("000000010000000100000000", next.fileName());
        assertEquals(last, next.previous());
        assertEquals(next.startLsn(), last.endLsn());
        assertEquals(Lsn.parse("1/0"), next.startLsn());
    }

    @Test
    void refusesSegmentPartTooLargeForTheSize() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> WalSegmentName.parse("000000010000000000000100", MB16));
        assertTrue(e.getMessage().contains("not a valid segment name for 16 MiB segments"), e.getMessage());
    }

    @Test
    void refusesBadSizesAndNames() {
        assertThrows(IllegalArgumentException.class, () -> WalSegmentName.parse("000000010000000000000001", 3L << 20));
        assertFalse(WalSegmentName.isSegmentName("00000001000000000000000a"));
        assertFalse(WalSegmentName.isSegmentName("0000000100000000000001"));
        assertThrows(IllegalArgumentException.class, () -> WalSegmentName.parse("000000000000000000000001", MB16));
    }

    @Test
    void ordersBySegmentThenTimeline() {
        WalSegmentName a = WalSegmentName.parse("000000020000000000000003", MB16);
        WalSegmentName b = WalSegmentName.parse("000000010000000000000004", MB16);
        WalSegmentName c = WalSegmentName.parse("000000010000000000000003", MB16);
        assertTrue(a.compareTo(b) < 0);
        assertTrue(c.compareTo(a) < 0);
    }
}
