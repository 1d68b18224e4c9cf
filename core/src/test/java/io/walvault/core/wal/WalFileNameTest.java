package io.walvault.core.wal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class WalFileNameTest {

    @Test
    void recognisesEveryKind() {
        assertEquals(WalFileName.Kind.SEGMENT, WalFileName.parse("000000010000000000000003").kind());
        WalFileName partial = WalFileName.parse("000000020000000000000003.partial");
        assertEquals(WalFileName.Kind.PARTIAL, partial.kind());
        assertEquals(TimelineId.of(2), partial.timeline());
        assertEquals("000000020000000000000003", partial.segment());
        WalFileName history = WalFileName.parse("0000000A.history");
        assertEquals(WalFileName.Kind.HISTORY, history.kind());
        assertEquals(TimelineId.of(10), history.timeline());
        WalFileName backup = WalFileName.parse("000000010000000000000003.00000028.backup");
        assertEquals(WalFileName.Kind.BACKUP_HISTORY, backup.kind());
        assertEquals("000000010000000000000003", backup.segmentName(16L << 20).orElseThrow().fileName());
    }

    @Test
    void refusesEverythingElse() {
        for (String bad : new String[] {"RECOVERYXLOG", "00000000.history", "0000000a.history",
                "000000010000000000000003.gz", "000000010000000000000003.partial.tmp", "../00000001.history",
                "000000010000000000000003.0000002.backup"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> WalFileName.parse(bad));
            assertTrue(e.getMessage().contains("'" + bad + "'"));
        }
    }
}
