package io.walvault.core.replication;

import static java.util.Objects.requireNonNull;

import io.walvault.core.wal.Lsn;
import io.walvault.core.wal.TimelineId;
import java.time.Duration;
import java.util.Optional;

/**
 * What START_REPLICATION PHYSICAL asks for.
 *
 * @param slot the physical slot to stream from (recommended: it keeps the WAL until the caller
 *        reports it flushed), or empty
 * @param start where to start; by convention the start of a segment
 * @param timeline the timeline to stream, or empty for the server's current one
 * @param statusInterval how often a standby status update is sent even when nothing changed
 *        (keep it well under the server's wal_sender_timeout, 60 s by default)
 */
public record StartReplicationOptions(Optional<String> slot, Lsn start, Optional<TimelineId> timeline,
                                      Duration statusInterval) {

    public StartReplicationOptions {
        requireNonNull(slot, "slot is null");
        requireNonNull(start, "start is null");
        requireNonNull(timeline, "timeline is null");
        requireNonNull(statusInterval, "statusInterval is null");
        slot.ifPresent(ReplicationConnection::checkSlotName);
        if (statusInterval.compareTo(Duration.ofMillis(100)) < 0) {
            throw new IllegalArgumentException("status interval " + statusInterval + " is shorter than 100 ms");
        }
    }

    /** From {@code start} on {@code timeline}, through {@code slot}, with a 10-second status interval. */
    public static StartReplicationOptions of(String slot, Lsn start, TimelineId timeline) {
        return new StartReplicationOptions(Optional.of(slot), start, Optional.of(timeline), Duration.ofSeconds(10));
    }

    public StartReplicationOptions statusInterval(Duration interval) {
        return new StartReplicationOptions(slot, start, timeline, interval);
    }

    String command() {
        return "START_REPLICATION" + slot.map(s -> " SLOT " + s).orElse("") + " PHYSICAL " + start
                + timeline.map(t -> " TIMELINE " + t.value()).orElse("");
    }
}
