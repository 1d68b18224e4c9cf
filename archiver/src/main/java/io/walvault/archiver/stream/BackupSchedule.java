package io.walvault.archiver.stream;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalTime;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.Optional;

/**
 * When the agent takes its backups: every {@code every} from the agent's start, and/or each
 * day at {@code at} (UTC); the next slot is the earliest of the two. A failed backup is simply
 * retried at the next slot.
 *
 * @param every interval between backups, counted from the agent's start
 * @param at    time of day, UTC
 */
public record BackupSchedule(Optional<Duration> every, Optional<LocalTime> at) {

    public BackupSchedule {
        requireNonNull(every, "every is null");
        requireNonNull(at, "at is null");
        every.ifPresent(d -> {
            if (d.compareTo(Duration.ofSeconds(1)) < 0) {
                throw new IllegalArgumentException("backup interval " + d + " is shorter than 1 s");
            }
        });
    }

    /** No scheduled backups. */
    public static BackupSchedule none() {
        return new BackupSchedule(Optional.empty(), Optional.empty());
    }

    public boolean isEmpty() {
        return every.isEmpty() && at.isEmpty();
    }

    /**
     * The first slot strictly after {@code after}: for {@code every}, the next multiple of the
     * interval from {@code origin}; for {@code at}, the next such time of day in UTC.
     */
    public Optional<Instant> next(Instant origin, Instant after) {
        Instant best = null;
        if (every.isPresent()) {
            long step = every.get().toMillis();
            long since = Math.max(0, after.toEpochMilli() - origin.toEpochMilli());
            best = origin.plusMillis((since / step + 1) * step);
        }
        if (at.isPresent()) {
            ZonedDateTime t = after.atZone(ZoneOffset.UTC).with(at.get()).withNano(at.get().getNano());
            if (!t.toInstant().isAfter(after)) {
                t = t.plusDays(1);
            }
            Instant daily = t.toInstant();
            best = best == null || daily.isBefore(best) ? daily : best;
        }
        return Optional.ofNullable(best);
    }
}
