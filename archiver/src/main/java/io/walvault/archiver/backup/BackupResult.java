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
 * @param read            how the server read the files: every file, or only the blocks changed since an earlier backup
 */
public record BackupResult(BackupInfo info, Duration elapsed, Duration checkpointWait, long walSegments, Optional<String> checksumFailure,
                           Read read) {

    /**
     * How the server read the cluster.
     *
     * @param incrementalFrom the earlier backup the server sent only changed blocks against (PostgreSQL 17+), if it did
     * @param rebuiltFiles    files rebuilt from the changed blocks and the earlier backup's chunks
     * @param why             why the read was a full one, when it could have been incremental; empty otherwise
     */
    public record Read(Optional<String> incrementalFrom, int rebuiltFiles, String why) {
        public static Read full(String why) {
            return new Read(Optional.empty(), 0, why);
        }
    }

    public BackupResult {
        requireNonNull(read, "read is null");
        requireNonNull(info, "info is null");
        requireNonNull(elapsed, "elapsed is null");
        requireNonNull(checkpointWait, "checkpointWait is null");
        requireNonNull(checksumFailure, "checksumFailure is null");
    }
}
