package io.walvault.core.repo;

import static java.util.Objects.requireNonNull;

import io.walvault.core.wal.Lsn;
import java.time.Instant;

/**
 * The first record of a backup manifest: what the backup is and where its WAL starts and stops.
 *
 * @param id         the backup id ({@link BackupIds})
 * @param systemId   the cluster's system identifier
 * @param pgVersion  server version number ({@code 170004})
 * @param timeline   the timeline the backup started on
 * @param startLsn   the backup's start LSN ({@code 0/2000028})
 * @param stopLsn    its stop LSN: recovery must reach it to be consistent
 * @param startTime  ISO-8601
 * @param stopTime   ISO-8601
 * @param label      the backup label
 */
public record BackupInfo(String id, long systemId, int pgVersion, long timeline, String startLsn, String stopLsn,
                         String startTime, String stopTime, String label) {
    public BackupInfo {
        BackupIds.check(id);
        requireNonNull(startLsn, "startLsn is null");
        requireNonNull(stopLsn, "stopLsn is null");
        requireNonNull(startTime, "startTime is null");
        requireNonNull(stopTime, "stopTime is null");
        Lsn.parse(startLsn);
        Lsn.parse(stopLsn);
        Instant.parse(startTime);
        Instant.parse(stopTime);
        if (timeline < 1) {
            throw new IllegalArgumentException("timeline " + timeline + " is invalid");
        }
    }
}
