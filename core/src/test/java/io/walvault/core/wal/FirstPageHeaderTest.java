package io.walvault.core.wal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.walvault.testkit.WalSegments;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class FirstPageHeaderTest {

    private static final long SIZE = 1L << 20;

    @Test
    void collectsTheLongHeaderAcrossWritesOfAnySizeAndTakesNothingPastIt() {
        byte[] seg = WalSegments.segment("000000010000000300000009", SIZE, 77, 1);
        FirstPageHeader first = new FirstPageHeader();
        assertThrows(IllegalStateException.class, first::header, "no header before its bytes");
        int took = 0;
        for (int i = 0; i < WalFormat.LONG_PAGE_HEADER_SIZE - 1; i++) {
            took += first.take(seg, i, 1); // one byte a write
            assertFalse(first.complete());
        }
        assertEquals(1, first.take(seg, took, 2), "of two bytes offered, only the one it lacks");
        assertTrue(first.complete());
        assertEquals(WalFormat.LONG_PAGE_HEADER_SIZE, first.length());
        assertArrayEquals(Arrays.copyOf(seg, WalFormat.LONG_PAGE_HEADER_SIZE), first.bytes());
        assertEquals(SIZE, first.header().segmentSize());
        assertTrue(first.header().isLong());
        assertEquals(0, first.take(seg, 0, seg.length));
    }
}
