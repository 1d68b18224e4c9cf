package io.walvault.archiver.backup;

import static java.util.Objects.requireNonNull;

import io.walvault.core.repo.BackupInfo;
import java.time.Duration;
import java.util.Optional;

/**
 * A backup that is complete in the repository (its manifest is written).
 *
 * @param info            the manifest's header: positions, times, sizes, WAL range
 * @param elapsed         wall-clock duration, WAL included
 * @param checkpointWait  of it, the wait for the server's checkpoint before the first byte
 * @param walSegments     WAL segments the backup streamed and stored (or found already archived)
 * @param checksumFailure the server's data-checksum error when it was allowed
 */
public record BackupResult(BackupInfo info, Duration elapsed, Duration checkpointWait, long walSegments, Optional<String> checksumFailure) {
    public BackupResult {
        requireNonNull(info, "info is null");
        requireNonNull(elapsed, "elapsed is null");
        requireNonNull(checkpointWait, "checkpointWait is null");
        requireNonNull(checksumFailure, "checksumFailure is null");
    }
}
