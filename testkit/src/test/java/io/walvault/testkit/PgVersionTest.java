package io.walvault.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class PgVersionTest {

    @Test
    void allSelectsEverySupportedMajorOldestFirst() {
        List<PgVersion> all = PgVersion.parse("all");
        assertEquals(PgVersion.SUPPORTED_MAJORS, all.stream().map(PgVersion::major).toList());
    }

    @Test
    void listIsSortedAndDeduplicated() {
        List<PgVersion> v = PgVersion.parse(" 18, 14 ,18");
        assertEquals(List.of(14, 18), v.stream().map(PgVersion::major).toList());
    }

    @Test
    void binariesVersionBelongsToItsMajor() {
        for (int major : PgVersion.SUPPORTED_MAJORS) {
            assertTrue(PgVersion.of(major).binariesVersion().startsWith(major + "."));
        }
    }

    @Test
    void unsupportedOrGarbageIsRefusedWithTheReason() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PgVersion.parse("13"));
        assertTrue(e.getMessage().contains("unsupported PostgreSQL major 13"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> PgVersion.parse("14,latest"));
        assertTrue(e.getMessage().contains("'latest'"), e.getMessage());
    }
}
