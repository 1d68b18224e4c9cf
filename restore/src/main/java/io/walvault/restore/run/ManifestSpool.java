package io.walvault.restore.run;

import static java.util.Objects.requireNonNull;

import io.walvault.core.io.ScratchFile;
import io.walvault.core.repo.BackupCatalog;
import io.walvault.core.repo.BackupInfo;
import io.walvault.core.repo.ChunkId;
import io.walvault.core.repo.ManifestFile;
import java.io.ByteArrayOutputStream;
import java.io.DataInput;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * A backup's manifest read once and kept so that a restore or a verify can take the files of
 * one bundle at a time without holding millions of entries in memory: regular files go to a
 * {@link ScratchFile} (private, nameless, gone with the process however it ends), with, per
 * bundle, only the positions of its entries (8 bytes a file), and the positions of the files
 * stored as chunks; directories, links and the top-level files walvault treats specially
 * (backup_label, tablespace_map) stay in memory.
 *
 * <p>Built by one thread; then {@link #filesOf} may be called from several threads at once.
 */
final class ManifestSpool implements AutoCloseable {

    private final ScratchFile file;
    private final Map<Integer, long[]> positions = new TreeMap<>();
    private final Map<Integer, Integer> counts = new HashMap<>();
    /** Positions of the files stored as chunks (each read on its own), in manifest order. */
    private long[] chunked = new long[16];
    private int chunkedCount;
    private final List<ManifestFile> directories = new ArrayList<>();
    private final List<ManifestFile> links = new ArrayList<>();
    private final Map<String, ManifestFile> topLevel = new HashMap<>();
    private final ByteArrayOutputStream record = new ByteArrayOutputStream(256);
    private final DataOutputStream recordOut = new DataOutputStream(record);
    private BackupInfo info;
    private long files;
    private long bytes;

    private ManifestSpool() throws IOException {
        file = ScratchFile.create("walvault-restore-");
    }

    /** Reads the manifest of {@code backupId} from {@code catalog}. */
    static ManifestSpool read(BackupCatalog catalog, String backupId) throws IOException {
        ManifestSpool s = new ManifestSpool();
        try (OutputStream out = s.file.append()) {
            long[] written = {0};
            s.info = catalog.readManifest(backupId, f -> {
                try {
                    written[0] += s.add(out, written[0], f);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (IOException | RuntimeException e) {
            s.close();
            throw e;
        }
        return s;
    }

    private int add(OutputStream out, long position, ManifestFile f) throws IOException {
        switch (f.type()) {
            case ManifestFile.DIRECTORY -> directories.add(f);
            case ManifestFile.LINK -> links.add(f);
            default -> {
                if (!f.path().contains("/")) {
                    topLevel.put(f.path(), f);
                }
                if (f.isChunked()) {
                    if (chunkedCount == chunked.length) {
                        chunked = Arrays.copyOf(chunked, chunked.length * 2);
                    }
                    chunked[chunkedCount++] = position;
                } else {
                    int n = counts.merge(f.bundle(), 1, Integer::sum);
                    long[] p = positions.computeIfAbsent(f.bundle(), b -> new long[16]);
                    if (n > p.length) {
                        p = Arrays.copyOf(p, p.length * 2);
                        positions.put(f.bundle(), p);
                    }
                    p[n - 1] = position;
                }
                files++;
                bytes += f.size();
                record.reset();
                write(recordOut, f);
                record.writeTo(out);
                return record.size();
            }
        }
        return 0;
    }

    private static void write(DataOutputStream out, ManifestFile f) throws IOException {
        out.writeUTF(f.path());
        out.writeLong(f.size());
        out.writeInt(f.mode() == null ? -1 : f.mode());
        out.writeLong(f.mtime());
        out.writeUTF(f.sha256() == null ? "" : f.sha256());
        out.writeUTF(f.checksum() == null ? "" : f.checksum());
        out.writeInt(f.bundle());
        out.writeLong(f.offset());
        out.writeInt(f.isChunked() ? f.chunkSize() : 0);
        if (f.isChunked()) {
            out.writeInt(f.chunks().size());
            for (ChunkId c : f.chunks()) {
                out.write(c.bytes());
            }
            out.writeBoolean(f.chunkHashes() != null);
            if (f.chunkHashes() != null) {
                for (int i = 0; i < f.chunks().size(); i++) {
                    out.writeLong(f.chunkHash(i).getAsLong());
                }
            }
        }
    }

    private static ManifestFile readEntry(DataInput in) throws IOException {
        Fixed e = Fixed.read(in);
        List<ChunkId> chunks = null;
        String hashes = null;
        if (e.chunkSize() > 0) {
            int n = in.readInt();
            chunks = new ArrayList<>(n);
            byte[] b = new byte[ChunkId.BYTES];
            for (int i = 0; i < n; i++) {
                in.readFully(b);
                chunks.add(ChunkId.fromBytes(b));
            }
            if (in.readBoolean()) {
                long[] h = new long[n];
                for (int i = 0; i < n; i++) {
                    h[i] = in.readLong();
                }
                hashes = ManifestFile.hashesHex(h);
            }
        }
        return new ManifestFile(e.path(), ManifestFile.FILE, e.size(), e.mode() < 0 ? null : e.mode(), e.mtime(),
                e.sha().isEmpty() ? null : e.sha(), e.checksum().isEmpty() ? null : e.checksum(), null, e.bundle(), e.offset(),
                e.chunkSize() > 0 ? e.chunkSize() : null, chunks, hashes, null);
    }

    /** An entry's fields before its chunks' names and hashes (those follow when {@code chunkSize} > 0). */
    private record Fixed(String path, long size, int mode, long mtime, String sha, String checksum, int bundle, long offset,
                         int chunkSize) {

        static Fixed read(DataInput in) throws IOException {
            return new Fixed(in.readUTF(), in.readLong(), in.readInt(), in.readLong(), in.readUTF(), in.readUTF(), in.readInt(),
                    in.readLong(), in.readInt());
        }
    }

    /** The backup's header record. */
    BackupInfo info() {
        return info;
    }

    /** The bundles that hold files, in order. */
    List<Integer> bundles() {
        return List.copyOf(positions.keySet());
    }

    /** How many files are stored as chunks. */
    int chunkedFiles() {
        return chunkedCount;
    }

    /** The {@code i}th file stored as chunks, in manifest order. Thread-safe. */
    ManifestFile chunkedFile(int i) throws IOException {
        if (i < 0 || i >= chunkedCount) {
            throw new IndexOutOfBoundsException(i);
        }
        try (DataInputStream in = new DataInputStream(file.readFrom(chunked[i], 8192))) {
            return readEntry(in);
        }
    }

    /** Regular files in the backup. */
    long files() {
        return files;
    }

    /** Their bytes. */
    long bytes() {
        return bytes;
    }

    List<ManifestFile> directories() {
        return List.copyOf(directories);
    }

    List<ManifestFile> links() {
        return List.copyOf(links);
    }

    /** A regular file directly in the data directory ({@code backup_label}, {@code tablespace_map}). */
    Optional<ManifestFile> topLevelFile(String name) {
        return Optional.ofNullable(topLevel.get(name));
    }

    /** The files of bundle {@code bundle}. Thread-safe. */
    List<ManifestFile> filesOf(int bundle) throws IOException {
        long[] p = positions.get(bundle);
        if (p == null) {
            return List.of();
        }
        int n = counts.get(bundle);
        List<ManifestFile> out = new ArrayList<>(n);
        long[] sorted = Arrays.copyOf(p, n);
        Arrays.sort(sorted);
        try (DataInputStream in = new DataInputStream(file.readFrom(sorted[0]))) {
            // the buffered stream reads ahead: count what the entries consumed, not what was read
            long at = sorted[0];
            for (int i = 0; i < n; i++) {
                if (sorted[i] > at) {
                    in.skipNBytes(sorted[i] - at);
                    at = sorted[i];
                }
                ManifestFile f = readEntry(in);
                out.add(f);
                at += entryLength(f);
            }
        }
        return out;
    }

    /** The bytes {@link #write} takes for {@code f}. */
    private static long entryLength(ManifestFile f) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream(256);
        write(new DataOutputStream(b), f);
        return b.size();
    }

    /** A regular file's path and size: what a pass over every file often needs, without its chunks' names. */
    record FileHead(String path, long size) {
    }

    /** Every regular file's {@link FileHead}, in manifest order: the chunks' names and hashes are skipped, not decoded. */
    void forEachHead(Consumer<FileHead> each) throws IOException {
        try (DataInputStream in = new DataInputStream(file.readFrom(0))) {
            for (long i = 0; i < files; i++) {
                Fixed e = Fixed.read(in);
                if (e.chunkSize() > 0) { // the chunks' names, then maybe their hashes
                    int n = in.readInt();
                    in.skipNBytes((long) n * ChunkId.BYTES);
                    if (in.readBoolean()) {
                        in.skipNBytes((long) n * Long.BYTES);
                    }
                }
                each.accept(new FileHead(e.path(), e.size()));
            }
        }
    }

    /** Every regular file, in manifest order. */
    void forEachFile(Consumer<ManifestFile> each) throws IOException {
        try (DataInputStream in = new DataInputStream(file.readFrom(0))) {
            for (long i = 0; i < files; i++) {
                each.accept(readEntry(in));
            }
        }
    }

    @Override
    public void close() throws IOException {
        file.close();
    }
}
