package io.walvault.archiver.backup;

import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;
import io.walvault.core.hook.WorkerThreads;
import io.walvault.core.manifest.FileChecksum;
import io.walvault.core.repo.ChunkStore;
import io.walvault.core.repo.ManifestFile;
import io.walvault.core.repo.ObjectWriter;
import io.walvault.core.repo.PendingManifest;
import io.walvault.core.replication.BackupStart;
import io.walvault.core.replication.BaseBackupListener;
import io.walvault.core.replication.TablespaceArchive;
import io.walvault.core.tar.TarMember;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
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
    private static final String BACKUP_LABEL = "backup_label";
    private static final int MAX_LABEL = 64 * 1024;

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
    /** An incremental read's earlier backup, the store its chunks are read from and the manifest's rewrite; else null. */
    private final IncrementalBasis basis;
    private final ChunkStore store;
    private final WorkerThreads readers;
    private final ServerManifestRewrite rewrite;
    private IncrementalRebuild rebuild; // the current file is rebuilt from an incremental file
    private ByteArrayOutputStream label; // the current file is an incremental read's backup_label
    private int rebuiltFiles;

    BackupStreamListener(BackupWal wal, Bundles bundles, ChunkedFiles chunks, PendingManifest pending,
                         ObjectWriter serverManifest, Progress progress) {
        this(wal, bundles, chunks, pending, serverManifest, progress, null, null, null);
    }

    /** For an incremental read that builds on {@code basis}, reading the earlier chunks from {@code store} on {@code readers}. */
    BackupStreamListener(BackupWal wal, Bundles bundles, ChunkedFiles chunks, PendingManifest pending,
                         ObjectWriter serverManifest, Progress progress, IncrementalBasis basis, ChunkStore store,
                         WorkerThreads readers) {
        this.wal = wal;
        this.bundles = bundles;
        this.chunks = chunks;
        this.pending = pending;
        this.serverManifest = serverManifest;
        this.progress = progress;
        this.basis = basis;
        this.store = store;
        this.readers = readers;
        this.rewrite = basis == null ? null : new ServerManifestRewrite(serverManifest::write);
    }

    /** Files rebuilt from incremental files. */
    int rebuiltFiles() {
        return rebuiltFiles;
    }

    /** Ends the server's manifest (an incremental read's rewrite checks it found every entry). */
    void manifestEnded() throws IOException {
        if (rewrite != null) {
            rewrite.finish();
        }
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
                    checksum = null;
                    if (basis != null && startIncremental(path, m)) {
                        return;
                    }
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

    /** Starts a file that an incremental read handles differently; false for any other file. */
    private boolean startIncremental(String path, TarMember m) throws IOException {
        String target = IncrementalRebuild.rebuiltPath(path);
        if (target != null) {
            IncrementalBasis.PriorFile prior = basis.file(target).orElseThrow(() -> new WalvaultException(
                    ErrorCode.BACKUP_MANIFEST_MISMATCH, "the server sent an incremental file for '" + target + "', which the"
                    + " earlier backup '" + basis.backup().id() + "' does not hold as chunks HINT: 'walvault backup --full'"
                    + " reads every file"));
            chunks.begin();
            rebuild = new IncrementalRebuild(target, m.size(), basis, prior, chunks, store, readers);
            return true;
        }
        if (path.equals(BACKUP_LABEL)) {
            if (m.size() > MAX_LABEL) {
                throw new WalvaultException(ErrorCode.BACKUP_MANIFEST_MISMATCH, "the server's backup_label has " + m.size()
                        + " bytes, more than " + MAX_LABEL);
            }
            label = new ByteArrayOutputStream((int) m.size());
            return true;
        }
        return false;
    }

    @Override
    public void memberData(ByteBuffer data) {
        try {
            if (rebuild != null) {
                rebuild.write(data);
            } else if (label != null) {
                ByteBuffer d = data.duplicate();
                byte[] b = new byte[d.remaining()];
                d.get(b);
                label.write(b, 0, b.length);
            } else if (chunked) {
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
        try {
            if (rebuild != null) {
                endRebuild(m);
                return;
            }
            if (label != null) {
                endLabel(m);
                return;
            }
        } catch (IOException e) {
            throw Backup.failed(e);
        }
        if (checksum == null) {
            throw new WalvaultException(ErrorCode.INTERNAL, "no checksum for '" + prefix + m.path() + "'");
        }
        try {
            if (chunked) {
                ChunkedFiles.Layout layout = chunks.end();
                pending.add(ManifestFile.chunked(prefix + m.path(), m.size(), m.mode(), m.mtime(), Backup.CHECKSUM + ":" + checksum,
                        chunks.chunkSize(), layout.ids(), layout.hashes(), layout.crcs()));
            } else {
                pending.add(ManifestFile.file(prefix + m.path(), m.size(), m.mode(), m.mtime(),
                        Backup.CHECKSUM + ":" + checksum, placement.bundle(), placement.offset()));
            }
        } catch (IOException e) {
            throw Backup.failed(e);
        }
    }

    private void endRebuild(TarMember m) throws IOException {
        rebuild.end();
        ChunkedFiles.Layout layout = chunks.end();
        long size = rebuild.size();
        String crc = FileChecksum.crc32cHex(layout.fileCrc(size, chunks.chunkSize()));
        pending.add(ManifestFile.chunked(rebuild.path(), size, m.mode(), m.mtime(), Backup.CHECKSUM + ":" + crc,
                chunks.chunkSize(), layout.ids(), layout.hashes(), layout.crcs()));
        rewrite.replace(prefix + m.path(), new ServerManifestRewrite.Entry(rebuild.path(), size, crc));
        rebuild = null;
        rebuiltFiles++;
    }

    /** backup_label without the lines that make the server refuse to start from an incremental backup. */
    private void endLabel(TarMember m) throws IOException {
        byte[] text = withoutIncrementalLines(label.toString(StandardCharsets.UTF_8)).getBytes(StandardCharsets.UTF_8);
        label = null;
        Bundles.Placement p = bundles.place(text.length);
        bundles.write(ByteBuffer.wrap(text));
        FileChecksum crc = FileChecksum.of(Backup.CHECKSUM);
        crc.update(ByteBuffer.wrap(text));
        String hex = crc.hex();
        pending.add(ManifestFile.file(BACKUP_LABEL, text.length, m.mode(), m.mtime(), Backup.CHECKSUM + ":" + hex, p.bundle(),
                p.offset()));
        rewrite.replace(BACKUP_LABEL, new ServerManifestRewrite.Entry(BACKUP_LABEL, text.length, hex));
    }

    /** {@code label} without its INCREMENTAL FROM lines (what pg_combinebackup writes too). */
    static String withoutIncrementalLines(String label) {
        StringBuilder sb = new StringBuilder(label.length());
        for (String line : label.split("(?<=\n)")) {
            if (!line.startsWith("INCREMENTAL FROM LSN: ") && !line.startsWith("INCREMENTAL FROM TLI: ")) {
                sb.append(line);
            }
        }
        return sb.toString();
    }

    @Override
    public void manifestData(ByteBuffer data) {
        if (rewrite != null) {
            try {
                rewrite.write(data);
            } catch (IOException e) {
                throw Backup.failed(e);
            }
            return;
        }
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
