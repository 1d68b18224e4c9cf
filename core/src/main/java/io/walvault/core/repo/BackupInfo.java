package io.walvault.core.repo;

import static java.util.Objects.requireNonNull;

import io.walvault.core.wal.Lsn;
import io.walvault.core.wal.TimelineId;
import io.walvault.core.wal.WalSegmentName;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * What a backup is and where its WAL starts and stops: its header, read from its commit record
 * or manifest (stored as {@link BackupInfoJson}). Backups written by manifest format 1 lack
 * the fields after {@code stopTime}: their segment size and WAL range are empty, their counts 0.
 *
 * @param id             the backup id ({@link BackupIds})
 * @param systemId       the cluster's system identifier
 * @param pgVersion      server version number ({@code 170004})
 * @param serverVersion  the server's {@code server_version} text
 * @param label          the backup label ("" when none)
 * @param timeline       the timeline the backup started on
 * @param startLsn       the backup's start LSN: recovery starts there
 * @param stopTimeline   the timeline of the stop LSN
 * @param stopLsn        its stop LSN: recovery must reach it to be consistent
 * @param startTime      when it started
 * @param stopTime       when it ended: no commit after it is in the backup's own data
 * @param walSegmentSize the cluster's WAL segment size
 * @param firstWal       the first WAL segment the backup needs (in the archive once the backup exists)
 * @param lastWal        the last one
 * @param files          regular files in the backup
 * @param bytes          their bytes (the backup's plaintext size)
 * @param storedBytes    bytes of its bundles in the store (compressed, encrypted)
 * @param bundles        number of bundles ({@code data/00000000} to {@code bundles - 1})
 * @param serverManifest whether the server's backup_manifest is kept as the object {@code backup_manifest}
 * @param chunks         what its files stored as chunks hold and cost (manifest format 4; {@link ChunkUse#NONE} before)
 */
public record BackupInfo(String id, long systemId, int pgVersion, String serverVersion, String label, TimelineId timeline,
                         Lsn startLsn, TimelineId stopTimeline, Lsn stopLsn, Instant startTime, Instant stopTime,
                         OptionalLong walSegmentSize, Optional<WalSegmentName> firstWal, Optional<WalSegmentName> lastWal,
                         long files, long bytes, long storedBytes, int bundles, boolean serverManifest, ChunkUse chunks) {

    /**
     * What a backup's chunked files hold and what they cost the repository.
     *
     * @param chunkedBytes plaintext bytes of its files stored as chunks (the rest is in its bundles)
     * @param newBytes     of those, the plaintext bytes of the chunks this backup stored
     * @param newStoredBytes the stored size of those chunks
     * @param sharedBytes  the plaintext bytes of the chunks the repository held already (shared with other backups)
     */
    public record ChunkUse(long chunkedBytes, long newBytes, long newStoredBytes, long sharedBytes) {
        public static final ChunkUse NONE = new ChunkUse(0, 0, 0, 0);

        public ChunkUse {
            if (chunkedBytes < 0 || newBytes < 0 || newStoredBytes < 0 || sharedBytes < 0) {
                throw new IllegalArgumentException("negative chunk counts");
            }
        }
    }

    public BackupInfo {
        BackupIds.check(id);
        requireNonNull(serverVersion, "serverVersion is null");
        requireNonNull(label, "label is null");
        requireNonNull(timeline, "timeline is null");
        requireNonNull(startLsn, "startLsn is null");
        requireNonNull(stopTimeline, "stopTimeline is null");
        requireNonNull(stopLsn, "stopLsn is null");
        requireNonNull(startTime, "startTime is null");
        requireNonNull(stopTime, "stopTime is null");
        requireNonNull(walSegmentSize, "walSegmentSize is null");
        requireNonNull(firstWal, "firstWal is null");
        requireNonNull(lastWal, "lastWal is null");
        if (stopTimeline.compareTo(timeline) < 0) {
            throw new IllegalArgumentException("backup '" + id + "' stops on timeline " + stopTimeline + ", before its start's "
                    + timeline);
        }
        if (stopLsn.isBefore(startLsn)) {
            throw new IllegalArgumentException("backup '" + id + "' stops at " + stopLsn + ", before it starts at " + startLsn);
        }
        requireNonNull(chunks, "chunks is null");
        if (files < 0 || bytes < 0 || storedBytes < 0 || bundles < 0) {
            throw new IllegalArgumentException("backup '" + id + "' has negative counts");
        }
    }

    /** A backup without chunks (manifest formats 1 to 3). */
    public BackupInfo(String id, long systemId, int pgVersion, String serverVersion, String label, TimelineId timeline,
                      Lsn startLsn, TimelineId stopTimeline, Lsn stopLsn, Instant startTime, Instant stopTime,
                      OptionalLong walSegmentSize, Optional<WalSegmentName> firstWal, Optional<WalSegmentName> lastWal,
                      long files, long bytes, long storedBytes, int bundles, boolean serverManifest) {
        this(id, systemId, pgVersion, serverVersion, label, timeline, startLsn, stopTimeline, stopLsn, startTime, stopTime,
                walSegmentSize, firstWal, lastWal, files, bytes, storedBytes, bundles, serverManifest, ChunkUse.NONE);
    }

    /** The bytes this backup added to the repository: its bundles and the chunks it stored first. */
    public long addedBytes() {
        return storedBytes + chunks.newStoredBytes();
    }

    /**
     * About what a restore of this backup reads from the repository: its bundles and every chunk
     * it names, those shared at the compression ratio of the ones it stored.
     */
    public long restoreReadBytes() {
        double ratio = chunks.newBytes() > 0 ? (double) chunks.newStoredBytes() / chunks.newBytes() : 1.0;
        return storedBytes + chunks.newStoredBytes() + Math.round(chunks.sharedBytes() * ratio);
    }

    /** A backup's identity and WAL positions only (what manifest format 1 recorded); for tests and old backups. */
    public static BackupInfo of(String id, long systemId, int pgVersion, TimelineId timeline, Lsn startLsn, Lsn stopLsn,
                                Instant startTime, Instant stopTime, String label) {
        return new BackupInfo(id, systemId, pgVersion, versionText(pgVersion), label, timeline, startLsn, timeline,
                stopLsn, startTime, stopTime, OptionalLong.empty(), Optional.empty(), Optional.empty(), 0, 0, 0, 0, false);
    }

    /** {@code server_version} as PostgreSQL 10 and later print it, from {@code server_version_num} ({@code 140010}: 14.10). */
    static String versionText(int pgVersion) {
        return pgVersion / 10000 + "." + pgVersion % 100;
    }

    /** How long the backup took: from its start time to its stop time. */
    public Duration elapsed() {
        return Duration.between(startTime, stopTime);
    }
}
