package io.walvault.archiver.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalTime;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class BackupScheduleTest {

    static final Instant ORIGIN = Instant.parse("2026-11-21T10:17:00Z");

    @Test
    void everyCountsFromTheOriginAndSkipsMissedSlots() {
        BackupSchedule s = new BackupSchedule(Optional.of(Duration.ofHours(6)), Optional.empty());
        assertEquals(Instant.parse("2026-11-21T16:17:00Z"), s.next(ORIGIN, ORIGIN).orElseThrow());
        assertEquals(Instant.parse("2026-11-21T22:17:00Z"), s.next(ORIGIN, Instant.parse("2026-11-21T16:17:00Z")).orElseThrow());
        // a backup that ran long past two slots: the next slot after it, not the missed ones
        assertEquals(Instant.parse("2026-11-22T10:17:00Z"), s.next(ORIGIN, Instant.parse("2026-11-22T05:00:00Z")).orElseThrow());
    }

    @Test
    void atIsTheNextSuchTimeOfDayInUtc() {
        BackupSchedule s = new BackupSchedule(Optional.empty(), Optional.of(LocalTime.of(2, 30)));
        assertEquals(Instant.parse("2026-11-22T02:30:00Z"), s.next(ORIGIN, ORIGIN).orElseThrow());
        assertEquals(Instant.parse("2026-11-23T02:30:00Z"), s.next(ORIGIN, Instant.parse("2026-11-22T02:30:00Z")).orElseThrow());
        BackupSchedule later = new BackupSchedule(Optional.empty(), Optional.of(LocalTime.of(23, 0)));
        assertEquals(Instant.parse("2026-11-21T23:00:00Z"), later.next(ORIGIN, ORIGIN).orElseThrow());
    }

    @Test
    void bothTakeTheEarlierSlot() {
        BackupSchedule s = new BackupSchedule(Optional.of(Duration.ofHours(24)), Optional.of(LocalTime.of(12, 0)));
        assertEquals(Instant.parse("2026-11-21T12:00:00Z"), s.next(ORIGIN, ORIGIN).orElseThrow());
        assertEquals(Instant.parse("2026-11-22T10:17:00Z"), s.next(ORIGIN, Instant.parse("2026-11-21T12:00:00Z")).orElseThrow());
    }

    @Test
    void noneHasNoSlotAndTinyIntervalsAreRefused() {
        assertTrue(BackupSchedule.none().isEmpty());
        assertTrue(BackupSchedule.none().next(ORIGIN, ORIGIN).isEmpty());
        assertThrows(IllegalArgumentException.class, () -> new BackupSchedule(Optional.of(Duration.ofMillis(10)), Optional.empty()));
    }
}
