package io.walvault.core.repo;

import static java.util.Objects.requireNonNull;

import io.walvault.core.wal.Lsn;
import io.walvault.core.wal.WalFileName;
import java.time.Duration;
import java.time.Instant;

/**
 * The first record of a backup manifest: what the backup is and where its WAL starts and stops.
 * The fields after {@code label} came with manifest format 2 and are null in format 1.
 *
 * @param id            the backup id ({@link BackupIds})
 * @param systemId      the cluster's system identifier
 * @param pgVersion     server version number ({@code 170004})
 * @param timeline      the timeline the backup started on
 * @param startLsn      the backup's start LSN ({@code 0/2000028})
 * @param stopLsn       its stop LSN: recovery must reach it to be consistent
 * @param startTime     ISO-8601
 * @param stopTime      ISO-8601
 * @param label         the backup label
 * @param stopTimeline  the timeline of the stop LSN
 * @param serverVersion the server's {@code server_version} text
 * @param walSegmentSize the cluster's WAL segment size in bytes
 * @param firstWal      the first WAL segment the backup needs (in the WAL archive when the manifest exists)
 * @param lastWal       the last one
 * @param files         regular files in the backup
 * @param bytes         their bytes (the backup's plaintext size)
 * @param storedBytes   bytes of its bundles in the store (compressed, encrypted)
 * @param bundles       number of bundles ({@code data/00000000} to {@code bundles - 1})
 * @param serverManifest whether the server's backup_manifest is kept as the object {@code backup_manifest}
 */
public record BackupInfo(String id, long systemId, int pgVersion, long timeline, String startLsn, String stopLsn,
                         String startTime, String stopTime, String label, Long stopTimeline, String serverVersion,
                         Long walSegmentSize, String firstWal, String lastWal, Long files, Long bytes, Long storedBytes,
                         Integer bundles, Boolean serverManifest) {
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
        if (timeline < 1 || (stopTimeline != null && stopTimeline < timeline)) {
            throw new IllegalArgumentException("timeline " + timeline + " (stop " + stopTimeline + ") is invalid");
        }
        if (firstWal != null) {
            WalFileName.parse(firstWal);
        }
        if (lastWal != null) {
            WalFileName.parse(lastWal);
        }
        if ((files != null && files < 0) || (bytes != null && bytes < 0) || (bundles != null && bundles < 0)) {
            throw new IllegalArgumentException("backup '" + id + "' has negative counts");
        }
    }

    /** How long the backup took: from its start time to its stop time. */
    public Duration elapsed() {
        return Duration.between(Instant.parse(startTime), Instant.parse(stopTime));
    }

    /** A format-1 record: identity and WAL positions only. */
    public BackupInfo(String id, long systemId, int pgVersion, long timeline, String startLsn, String stopLsn,
                      String startTime, String stopTime, String label) {
        this(id, systemId, pgVersion, timeline, startLsn, stopLsn, startTime, stopTime, label,
                null, null, null, null, null, null, null, null, null, null);
    }
}
