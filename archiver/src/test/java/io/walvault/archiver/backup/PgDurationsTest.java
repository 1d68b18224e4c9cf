package io.walvault.archiver.backup;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class PgDurationsTest {

    @Test
    void readsTheUnitsShowPrints() {
        assertEquals(Optional.of(Duration.ofMinutes(5)), PgDurations.parse("5min"));
        assertEquals(Optional.of(Duration.ofSeconds(30)), PgDurations.parse("30s"));
        assertEquals(Optional.of(Duration.ofSeconds(30)), PgDurations.parse(" 30 "));
        assertEquals(Optional.of(Duration.ofHours(1)), PgDurations.parse("1h"));
        assertEquals(Optional.of(Duration.ofMillis(500)), PgDurations.parse("500ms"));
        assertEquals(Optional.of(Duration.ofDays(1)), PgDurations.parse("1d"));
        assertEquals(Optional.empty(), PgDurations.parse("soon"));
    }
}
