package io.walvault.archiver.backup;

import static java.util.Objects.requireNonNull;

import io.walvault.core.config.ClusterGuard;
import java.time.Duration;
import java.util.OptionalLong;

/**
 * What {@link Backup} is asked to do.
 *
 * @param label          the backup label (backup_label's LABEL line)
 * @param fastCheckpoint an immediate checkpoint instead of a spread one
 * @param maxRateKbps    the server's throttle in kB/s (BASE_BACKUP MAX_RATE), 0 for none
 * @param allowChecksumFailures keep a backup in which the server found data-checksum failures
 * @param bundleSize     a bundle is closed once it holds this many bytes (a larger file gets a bundle of its own)
 * @param uploads        bundles compressed, encrypted and uploaded at the same time
 * @param walTimeout     how long to wait, after the data, for the WAL up to the backup's end
 * @param progressInterval how often to report progress
 * @param systemIdentifier the cluster the configuration names, if any: the server must be it
 * @param serverCompression what the server compresses with
 * @param guard          the configuration's {@code [cluster NAME]} section's guard, checked once the
 *                       server's system identifier is known and before anything is written
 * @param full           read every file even where the server could send only the changed blocks
 *                       (PostgreSQL 17 and newer with summarize_wal on)
 * @param chunkSize      the size of the chunks files of at least that size are cut into: a power
 *                       of two from 64 KiB to 16 MiB (a multiple of PostgreSQL's 8 KiB pages)
 */
public record BackupOptions(String label, boolean fastCheckpoint, int maxRateKbps, boolean allowChecksumFailures,
                            long bundleSize, int uploads, Duration walTimeout, Duration progressInterval,
                            OptionalLong systemIdentifier, ServerCompressionChoice serverCompression, ClusterGuard guard,
                            boolean full, int chunkSize) {

    /**
     * The size of the chunks large files are cut into (files of this size or more; smaller ones
     * go into bundles): 128 pages, so that a change touches one chunk object of reasonable size
     * while a 2 TB cluster stays at two million objects (docs/PERFORMANCE.md, "Backups that cost
     * what changed", measures other sizes).
     */
    public static final int DEFAULT_CHUNK_SIZE = 1024 * 1024;

    public BackupOptions {
        requireNonNull(label, "label is null");
        requireNonNull(walTimeout, "walTimeout is null");
        requireNonNull(progressInterval, "progressInterval is null");
        requireNonNull(systemIdentifier, "systemIdentifier is null");
        requireNonNull(serverCompression, "serverCompression is null");
        requireNonNull(guard, "guard is null");
        if (bundleSize < 1024 * 1024 || bundleSize > 4L * 1024 * 1024 * 1024) {
            throw new IllegalArgumentException("bundle size " + bundleSize + " is outside 1 MiB to 4 GiB");
        }
        if (uploads < 1 || uploads > 16) {
            throw new IllegalArgumentException("uploads " + uploads + " is outside 1 to 16");
        }
        if (chunkSize < 64 * 1024 || chunkSize > 16 * 1024 * 1024 || Integer.bitCount(chunkSize) != 1) {
            throw new IllegalArgumentException("chunk size " + chunkSize + " is not a power of two from 64 KiB to 16 MiB");
        }
    }

    /** Label "walvault", spread checkpoint, no throttle, 64 MiB bundles, 2 uploads, 5 minutes for the WAL. */
    public static BackupOptions defaults() {
        return new BackupOptions("walvault", false, 0, false, 64L * 1024 * 1024, 2, Duration.ofMinutes(5),
                Duration.ofSeconds(10), OptionalLong.empty(), ServerCompressionChoice.auto(), ClusterGuard.NONE, false,
                DEFAULT_CHUNK_SIZE);
    }

    public BackupOptions label(String l) {
        return new BackupOptions(l, fastCheckpoint, maxRateKbps, allowChecksumFailures, bundleSize, uploads, walTimeout, progressInterval, systemIdentifier, serverCompression, guard, full, chunkSize);
    }

    public BackupOptions fastCheckpoint(boolean b) {
        return new BackupOptions(label, b, maxRateKbps, allowChecksumFailures, bundleSize, uploads, walTimeout, progressInterval, systemIdentifier, serverCompression, guard, full, chunkSize);
    }

    public BackupOptions maxRateKbps(int r) {
        return new BackupOptions(label, fastCheckpoint, r, allowChecksumFailures, bundleSize, uploads, walTimeout, progressInterval, systemIdentifier, serverCompression, guard, full, chunkSize);
    }

    public BackupOptions allowChecksumFailures(boolean b) {
        return new BackupOptions(label, fastCheckpoint, maxRateKbps, b, bundleSize, uploads, walTimeout, progressInterval, systemIdentifier, serverCompression, guard, full, chunkSize);
    }

    public BackupOptions bundleSize(long s) {
        return new BackupOptions(label, fastCheckpoint, maxRateKbps, allowChecksumFailures, s, uploads, walTimeout, progressInterval, systemIdentifier, serverCompression, guard, full, chunkSize);
    }

    public BackupOptions uploads(int n) {
        return new BackupOptions(label, fastCheckpoint, maxRateKbps, allowChecksumFailures, bundleSize, n, walTimeout, progressInterval, systemIdentifier, serverCompression, guard, full, chunkSize);
    }

    public BackupOptions walTimeout(Duration d) {
        return new BackupOptions(label, fastCheckpoint, maxRateKbps, allowChecksumFailures, bundleSize, uploads, d, progressInterval, systemIdentifier, serverCompression, guard, full, chunkSize);
    }

    /** The cluster the configuration names ({@code system-identifier}): the server must be it, and it may join a repository of others. */
    public BackupOptions systemIdentifier(OptionalLong id) {
        return new BackupOptions(label, fastCheckpoint, maxRateKbps, allowChecksumFailures, bundleSize, uploads, walTimeout,
                progressInterval, id, serverCompression, guard, full, chunkSize);
    }

    public BackupOptions progressInterval(Duration d) {
        return new BackupOptions(label, fastCheckpoint, maxRateKbps, allowChecksumFailures, bundleSize, uploads, walTimeout, d, systemIdentifier, serverCompression, guard, full, chunkSize);
    }

    /** What the server compresses the backup with ({@code backup-server-compression}). */
    public BackupOptions serverCompression(ServerCompressionChoice c) {
        return new BackupOptions(label, fastCheckpoint, maxRateKbps, allowChecksumFailures, bundleSize, uploads, walTimeout,
                progressInterval, systemIdentifier, c, guard, full, chunkSize);
    }

    /** The configuration section's guard: the server must be the cluster the section was first used with. */
    public BackupOptions guard(ClusterGuard g) {
        return new BackupOptions(label, fastCheckpoint, maxRateKbps, allowChecksumFailures, bundleSize, uploads, walTimeout,
                progressInterval, systemIdentifier, serverCompression, g, full, chunkSize);
    }

    /** Read every file, not only the blocks that changed since the last backup ({@code --full}). */
    public BackupOptions full(boolean b) {
        return new BackupOptions(label, fastCheckpoint, maxRateKbps, allowChecksumFailures, bundleSize, uploads, walTimeout,
                progressInterval, systemIdentifier, serverCompression, guard, b, chunkSize);
    }

    /** Files of at least {@code size} bytes are cut into chunks of that size. */
    public BackupOptions chunkSize(int size) {
        return new BackupOptions(label, fastCheckpoint, maxRateKbps, allowChecksumFailures, bundleSize, uploads, walTimeout,
                progressInterval, systemIdentifier, serverCompression, guard, full, size);
    }
}
