package io.walvault.core.wal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class LsnTest {

    @Test
    void parsesBothTextFormsAndPrintsPostgresForm() {
        assertEquals(0x16B374D848L, Lsn.parse("16/B374D848").value());
        assertEquals(Lsn.parse("0/3000028"), Lsn.parse("0/03000028"));
        assertEquals("0/3000028", Lsn.parse("0/03000028").toString());
        assertEquals("FFFFFFFF/FFFFFFFF", Lsn.of(-1L).toString());
        assertEquals("16/B374D848", Lsn.parse("16/b374d848").toString());
    }

    @Test
    void ordersUnsigned() {
        assertTrue(Lsn.parse("FFFFFFFF/0").isAfter(Lsn.parse("1/0")));
        assertTrue(Lsn.parse("0/1").isBefore(Lsn.parse("0/2")));
    }

    @Test
    void segmentArithmetic() {
        long seg16 = 16L << 20;
        Lsn lsn = Lsn.parse("1/3000028");
        assertEquals(Lsn.parse("1/3000000"), lsn.segmentStart(seg16));
        assertEquals(0x28, lsn.segmentOffset(seg16));
        assertEquals((1L << 32 | 0x3000000L) / seg16, lsn.segmentNumber(seg16));
    }

    @Test
    void refusesGarbageNamingIt() {
        for (String bad : new String[] {"", "12", "/1", "1/", "x/1", "123456789/0", "0/123456789"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Lsn.parse(bad));
            assertTrue(e.getMessage().contains("'" + bad + "'"), e.getMessage());
        }
    }
}
