package io.walvault.core.wal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The transaction ids a segment's commits and aborts carry, as a range on the circle of 32-bit ids. */
class XidSpanTest {

    @Test
    void aSpanHoldsTheIdsBetweenItsOldestAndNewest() {
        XidSpan s = XidSpan.of(1000).with(1005).with(998).with(1001);
        assertEquals(new XidSpan(998, 1005, false), s);
        assertTrue(s.mayHold(998) && s.mayHold(1002) && s.mayHold(1005));
        assertFalse(s.mayHold(997) || s.mayHold(1006) || s.mayHold(3));
        // only the low 32 bits count: a target given with its epoch
        assertTrue(s.mayHold((7L << 32) | 1000));
    }

    @Test
    void aSpanAcrossTheWraparoundHoldsTheIdsOnBothSides() {
        XidSpan s = XidSpan.of(0xFFFFFFF0L).with(5).with(0xFFFFFFFEL);
        assertEquals(new XidSpan(0xFFFFFFF0L, 5, false), s);
        assertTrue(s.mayHold(0xFFFFFFFFL) && s.mayHold(0) && s.mayHold(3) && s.mayHold(0xFFFFFFF0L));
        assertFalse(s.mayHold(6) || s.mayHold(0xFFFFFFEFL) || s.mayHold(0x80000000L));
    }

    @Test
    void anyHoldsEveryIdAndStaysAny() {
        assertTrue(XidSpan.ANY.mayHold(3) && XidSpan.ANY.mayHold(0xFFFFFFFFL));
        assertEquals(XidSpan.ANY, XidSpan.ANY.with(42));
        assertEquals("any", XidSpan.ANY.toString());
        assertEquals("998..1005", new XidSpan(998, 1005, false).toString());
    }

    @Test
    void aSpanOfHalfTheCircleOrMoreIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> new XidSpan(10, 10 + 0x80000000L, false));
        assertThrows(IllegalArgumentException.class, () -> XidSpan.of(10).with(10 + 0x80000001L).with(10 + 0x40000000L));
        assertThrows(IllegalArgumentException.class, () -> new XidSpan(-1, 3, false));
        assertThrows(IllegalArgumentException.class, () -> new XidSpan(1, 3, true));
    }
}
