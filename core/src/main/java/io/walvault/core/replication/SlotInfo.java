package io.walvault.core.replication;

import static java.util.Objects.requireNonNull;

import io.walvault.core.wal.Lsn;
import io.walvault.core.wal.TimelineId;
import java.util.Optional;

/**
 * A physical replication slot as READ_REPLICATION_SLOT reports it.
 *
 * @param name the slot's name
 * @param restartLsn the oldest WAL the slot keeps, empty if it reserves none yet
 * @param restartTimeline the timeline of {@code restartLsn}, empty likewise
 */
public record SlotInfo(String name, Optional<Lsn> restartLsn, Optional<TimelineId> restartTimeline) {
    public SlotInfo {
        requireNonNull(name, "name is null");
        requireNonNull(restartLsn, "restartLsn is null");
        requireNonNull(restartTimeline, "restartTimeline is null");
    }
}
