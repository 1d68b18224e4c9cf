package io.walvault.restore.plan;

import static java.util.Objects.requireNonNull;

import io.walvault.core.wal.Lsn;
import io.walvault.core.wal.TimelineId;
import java.time.Instant;

/**
 * What planning needs to know of one backup.
 *
 * @param id the backup's identifier in the repository
 * @param label the user's label
 * @param startLsn where recovery of the backup starts (backup_label's START WAL LOCATION)
 * @param endLsn the backup's consistent point: recovery must replay at least this far
 * @param timeline the timeline the backup was taken on
 * @param startTime when the backup started (wall clock)
 * @param endTime when the backup ended (wall clock); no commit after it is in the backup's own data
 * @param storedBytes bytes of the backup's objects in the repository
 */
public record BackupInfo(String id, String label, Lsn startLsn, Lsn endLsn, TimelineId timeline, Instant startTime,
                         Instant endTime, long storedBytes) {
    public BackupInfo {
        requireNonNull(id, "id is null");
        requireNonNull(label, "label is null");
        requireNonNull(startLsn, "startLsn is null");
        requireNonNull(endLsn, "endLsn is null");
        requireNonNull(timeline, "timeline is null");
        requireNonNull(startTime, "startTime is null");
        requireNonNull(endTime, "endTime is null");
        if (endLsn.isBefore(startLsn)) {
            throw new IllegalArgumentException("backup '" + id + "' ends at " + endLsn + " before it starts at " + startLsn);
        }
    }
}
