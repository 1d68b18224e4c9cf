package io.walvault.core.replication;

import static java.util.Objects.requireNonNull;

import io.walvault.core.manifest.ManifestSummary;
import io.walvault.core.wal.Lsn;
import io.walvault.core.wal.TimelineId;
import java.util.Optional;

/**
 * A base backup that arrived completely and matches its manifest.
 *
 * @param start start position, timeline and archives
 * @param endLsn the end of the WAL the backup needs to be consistent
 * @param endTimeline its timeline
 * @param bytes archive bytes received (tar, without the manifest)
 * @param wireBytes the archives' bytes as the socket carried them: {@code bytes}, or fewer when
 *        the server compressed them
 * @param files regular files received
 * @param manifest what the verified manifest says
 * @param checksumFailure the server's data-checksum error, present only when
 *        {@link BaseBackupOptions#allowChecksumFailures} let the backup through
 */
public record BaseBackupResult(BackupStart start, Lsn endLsn, TimelineId endTimeline, long bytes, long wireBytes, long files,
                               ManifestSummary manifest, Optional<ServerMessage> checksumFailure) {
    public BaseBackupResult {
        requireNonNull(start, "start is null");
        requireNonNull(endLsn, "endLsn is null");
        requireNonNull(endTimeline, "endTimeline is null");
        requireNonNull(manifest, "manifest is null");
        requireNonNull(checksumFailure, "checksumFailure is null");
    }
}
