package io.walvault.core.manifest;

import static java.util.Objects.requireNonNull;

import io.walvault.core.wal.Lsn;
import io.walvault.core.wal.TimelineId;

/** One entry of a backup_manifest's {@code WAL-Ranges}: the WAL needed to make the backup consistent. */
public record WalRange(TimelineId timeline, Lsn start, Lsn end) {
    public WalRange {
        requireNonNull(timeline, "timeline is null");
        requireNonNull(start, "start is null");
        requireNonNull(end, "end is null");
    }
}
