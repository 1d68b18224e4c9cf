package io.walvault.core.wal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class TimelineHistoryTest {

    private static final String THREE = "1\t0/3000160\tno recovery target specified\n"
            + "\n# a comment\n"
            + "2\t0/50000A0\tat restore point \"before_upgrade\"\n";

    @Test
    void parsesAncestorsAndSwitchPoints() {
        TimelineHistory h = TimelineHistory.parse(TimelineId.of(3), THREE);
        assertEquals(2, h.entries().size());
        assertEquals(Lsn.parse("0/3000160"), h.endOf(TimelineId.of(1)).orElseThrow());
        assertEquals(Lsn.parse("0/50000A0"), h.branchPoint().orElseThrow());
        assertTrue(h.includes(TimelineId.of(1)));
        assertTrue(h.includes(TimelineId.of(3)));
        assertFalse(h.includes(TimelineId.of(4)));
        assertEquals(TimelineId.of(1), h.timelineAt(Lsn.parse("0/300015F")));
        assertEquals(TimelineId.of(2), h.timelineAt(Lsn.parse("0/3000160")));
        assertEquals(TimelineId.of(3), h.timelineAt(Lsn.parse("0/6000000")));
    }

    @Test
    void formatRoundTrips() {
        TimelineHistory h = TimelineHistory.parse(TimelineId.of(3), THREE);
        assertEquals(h, TimelineHistory.parse(TimelineId.of(3), h.format()));
    }

    @Test
    void refusesNonAncestorsAndGarbage() {
        assertThrows(IllegalArgumentException.class,
                () -> TimelineHistory.parse(TimelineId.of(2), "2\t0/3000000\tself\n"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TimelineHistory.parse(TimelineId.of(2), "1\tnot-an-lsn\treason\n"));
        assertTrue(e.getMessage().contains("line 1"), e.getMessage());
    }
}
