package io.walvault.archiver.backup;

import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;
import io.walvault.core.repo.ManifestFile;
import io.walvault.core.repo.ObjectWriter;
import io.walvault.core.repo.PendingManifest;
import io.walvault.core.replication.BackupStart;
import io.walvault.core.replication.BaseBackupListener;
import io.walvault.core.replication.TablespaceArchive;
import io.walvault.core.tar.TarMember;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns a base backup's stream into the backup: files into bundle bytes and manifest entries
 * (with the CRC-32C the replication client computed for its manifest check), directories and
 * links into entries, the server's backup_manifest into its object, the start into the WAL
 * thread's start and progress into the progress report. On the stream thread; an I/O failure
 * cancels the stream ({@link Backup#failed}).
 */
final class BackupStreamListener implements BaseBackupListener {

    private static final Logger LOG = LoggerFactory.getLogger(BackupStreamListener.class);

    private final BackupWal wal;
    private final Bundles bundles;
    private final ChunkedFiles chunks;
    private final PendingManifest pending;
    private final ObjectWriter serverManifest;
    private final Progress progress;
    private String prefix = "";
    private String checksum; // of the current file, from the client's manifest check
    private Bundles.Placement placement;
    private boolean chunked; // the current file goes to chunks
    private volatile Instant startedAt;

    BackupStreamListener(BackupWal wal, Bundles bundles, ChunkedFiles chunks, PendingManifest pending,
                         ObjectWriter serverManifest, Progress progress) {
        this.wal = wal;
        this.bundles = bundles;
        this.chunks = chunks;
        this.pending = pending;
        this.serverManifest = serverManifest;
        this.progress = progress;
    }

    @Override
    public void started(BackupStart start) {
        startedAt = Instant.now();
        progress.streamStarted();
        wal.begin(start.startLsn(), start.startTimeline());
    }

    /** When the server began to send (its checkpoint done), if it has. */
    Optional<Instant> startedAt() {
        return Optional.ofNullable(startedAt);
    }

    @Override
    public void archiveStarted(TablespaceArchive archive) {
        prefix = archive.oid().isPresent() ? "pg_tblspc/" + archive.oid().getAsLong() + "/" : "";
    }

    @Override
    public void memberStarted(TarMember m) {
        String path = prefix + m.path();
        if (m.path().isEmpty()) {
            return;
        }
        try {
            switch (m.type()) {
                case FILE -> {
                    chunked = chunks.takes(m.size());
                    if (chunked) {
                        chunks.begin();
                    } else {
                        placement = bundles.place(m.size());
                    }
                    checksum = null;
                }
                case DIRECTORY -> pending.add(ManifestFile.directory(path, m.mode(), m.mtime()));
                case SYMLINK -> pending.add(ManifestFile.link(path, m.linkTarget(), m.mtime()));
                default -> LOG.warn("skipping '{}': a {} in the base backup", path, m.type());
            }
        } catch (IOException e) {
            throw Backup.failed(e);
        }
    }

    @Override
    public void memberData(ByteBuffer data) {
        try {
            if (chunked) {
                chunks.write(data);
            } else {
                bundles.write(data);
            }
        } catch (IOException e) {
            throw Backup.failed(e);
        }
    }

    @Override
    public void memberChecksum(TarMember m, String algorithm, String hex) {
        if (!algorithm.equals(Backup.CHECKSUM)) {
            throw new WalvaultException(ErrorCode.INTERNAL, "the client computed " + algorithm + " for '" + m.path()
                    + "', not " + Backup.CHECKSUM);
        }
        checksum = hex;
    }

    @Override
    public void memberEnded(TarMember m) {
        if (!m.isFile() || m.path().isEmpty()) {
            return;
        }
        if (checksum == null) {
            throw new WalvaultException(ErrorCode.INTERNAL, "no checksum for '" + prefix + m.path() + "'");
        }
        try {
            if (chunked) {
                ChunkedFiles.Layout layout = chunks.end();
                pending.add(ManifestFile.chunked(prefix + m.path(), m.size(), m.mode(), m.mtime(), Backup.CHECKSUM + ":" + checksum,
                        chunks.chunkSize(), layout.ids(), layout.hashes()));
            } else {
                pending.add(ManifestFile.file(prefix + m.path(), m.size(), m.mode(), m.mtime(),
                        Backup.CHECKSUM + ":" + checksum, placement.bundle(), placement.offset()));
            }
        } catch (IOException e) {
            throw Backup.failed(e);
        }
    }

    @Override
    public void manifestData(ByteBuffer data) {
        ByteBuffer d = data.duplicate();
        byte[] b = new byte[d.remaining()];
        d.get(b);
        try {
            serverManifest.write(b, 0, b.length);
        } catch (IOException e) {
            throw Backup.failed(e);
        }
    }

    @Override
    public void progress(long doneBytes, long totalBytes) {
        progress.update(doneBytes, totalBytes, bundles.storedBytes() + chunks.storedBytes());
    }
}
