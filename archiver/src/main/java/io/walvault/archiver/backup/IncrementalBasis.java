package io.walvault.archiver.backup;

import static java.util.Objects.requireNonNull;

import io.walvault.core.io.ScratchFile;
import io.walvault.core.repo.BackupCatalog;
import io.walvault.core.repo.BackupInfo;
import io.walvault.core.repo.ChunkId;
import io.walvault.core.repo.ManifestFile;
import io.walvault.core.text.JsonText;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The earlier backup an incremental read (PostgreSQL 17 and newer) builds on: the newest
 * restorable backup of this cluster taken from the same major version on one timeline. Its
 * files stored as chunks with their CRC-32Cs (manifest format 5) are what the server may send
 * incrementally; the manifest {@link #upload() handed to the server} lists those files only, so
 * every other file (small files in bundles, files of older backups) comes in full.
 *
 * <p>Memory: a map entry per such file (path and where its chunk records start); the chunks
 * themselves (name, XXH64, CRC-32C: 44 bytes each) are in a {@link ScratchFile} on local disk,
 * read back one file's worth at a time. Not thread-safe.
 */
final class IncrementalBasis implements AutoCloseable {

    /** name (32) + XXH64 (8) + CRC-32C (4). */
    private static final int RECORD = ChunkId.BYTES + 8 + 4;
    private static final DateTimeFormatter MTIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss 'GMT'")
            .withZone(ZoneOffset.UTC);

    /** A file of the earlier backup: its size, chunk size and its chunks' records. */
    record PriorFile(String path, long size, int chunkSize, int chunks, long recordOffset) {
    }

    /** One chunk of a prior file. */
    record PriorChunk(ChunkId id, long hash, int crc) {
    }

    private final BackupInfo backup;
    private final ScratchFile records;
    private final ScratchFile upload;
    private final Map<String, PriorFile> files = new HashMap<>();

    private IncrementalBasis(BackupInfo backup) throws IOException {
        this.backup = backup;
        this.records = ScratchFile.create("walvault-basis-");
        ScratchFile u;
        try {
            u = ScratchFile.create("walvault-basis-manifest-");
        } catch (IOException | RuntimeException e) {
            records.close();
            throw e;
        }
        this.upload = u;
    }

    /**
     * The backup an incremental read of a server of {@code serverVersionNum} can build on, or
     * why there is none (the reason said to the operator).
     */
    static Choice choose(BackupCatalog catalog, int serverVersionNum) {
        Optional<BackupInfo> newest = catalog.newestRestorable(b -> b.pgVersion() / 10000 == serverVersionNum / 10000);
        if (newest.isEmpty()) {
            return Choice.none("the repository holds no backup of this cluster from PostgreSQL " + serverVersionNum / 10000
                    + " to build on");
        }
        BackupInfo b = newest.get();
        if (!b.timeline().equals(b.stopTimeline())) {
            return Choice.none("the newest backup of PostgreSQL " + serverVersionNum / 10000 + ", '" + b.id()
                    + "', spans a timeline switch");
        }
        return new Choice(newest, "");
    }

    /** The chosen backup, or the reason there is none. */
    record Choice(Optional<BackupInfo> backup, String whyNot) {
        static Choice none(String why) {
            return new Choice(Optional.empty(), why);
        }
    }

    /** Reads the manifest of {@code backup} and writes the manifest to upload; files of another chunk size are left out. */
    static IncrementalBasis load(BackupCatalog catalog, BackupInfo backup, int chunkSize) throws IOException {
        return of(backup, each -> catalog.readManifest(backup.id(), each), chunkSize);
    }

    /** The entries of a backup's manifest, handed to a consumer one by one. */
    interface Entries {
        void forEach(Consumer<ManifestFile> each) throws IOException;
    }

    /** As {@link #load}, from the entries {@code entries} hands over. */
    static IncrementalBasis of(BackupInfo backup, Entries entries, int chunkSize) throws IOException {
        IncrementalBasis basis = new IncrementalBasis(requireNonNull(backup, "backup is null"));
        try {
            basis.read(entries, chunkSize);
            return basis;
        } catch (IOException | RuntimeException e) {
            basis.close();
            throw e;
        }
    }

    private void read(Entries entries, int chunkSize) throws IOException {
        MessageDigest sha;
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JDK", e);
        }
        try (OutputStream out = upload.append()) {
            ManifestOut m = new ManifestOut(out, sha);
            m.line("{ \"PostgreSQL-Backup-Manifest-Version\": 2,\n");
            m.line("\"System-Identifier\": " + Long.toUnsignedString(backup.systemId()) + ",\n");
            m.line("\"Files\": [");
            ByteBuffer record = ByteBuffer.allocate(RECORD).order(ByteOrder.LITTLE_ENDIAN);
            long[] position = {0};
            boolean[] first = {true};
            entries.forEach(f -> {
                if (!f.isChunked() || f.chunkCrcs() == null || f.chunkHashes() == null || f.chunkSize() != chunkSize) {
                    return;
                }
                try {
                    for (int i = 0; i < f.chunks().size(); i++) {
                        record.clear();
                        record.put(f.chunks().get(i).bytes()).putLong(f.chunkHash(i).getAsLong()).putInt(f.chunkCrc(i).getAsInt());
                        record.flip();
                        records.writeAt(record, position[0] + RECORD * (long) i);
                    }
                    files.put(f.path(), new PriorFile(f.path(), f.size(), f.chunkSize(), f.chunks().size(), position[0]));
                    position[0] += RECORD * (long) f.chunks().size();
                    m.line((first[0] ? "\n" : ",\n") + "{ \"Path\": " + JsonText.literal(f.path()) + ", \"Size\": " + f.size()
                            + ", \"Last-Modified\": \"" + MTIME.format(Instant.ofEpochSecond(f.mtime())) + "\" }");
                    first[0] = false;
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
            m.line("\n],\n\"WAL-Ranges\": [\n{ \"Timeline\": " + backup.timeline().value() + ", \"Start-LSN\": \""
                    + backup.startLsn() + "\", \"End-LSN\": \"" + backup.stopLsn() + "\" }\n],\n");
            out.write(("\"Manifest-Checksum\": \"" + HexFormat.of().formatHex(sha.digest()) + "\"}\n")
                    .getBytes(StandardCharsets.UTF_8));
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    /** Writes manifest text and feeds it to the manifest's checksum. */
    private record ManifestOut(OutputStream out, MessageDigest sha) {
        void line(String text) throws IOException {
            byte[] b = text.getBytes(StandardCharsets.UTF_8);
            out.write(b);
            sha.update(b);
        }
    }

    /** The earlier backup. */
    BackupInfo backup() {
        return backup;
    }

    /** How many files the server may send incrementally. */
    int files() {
        return files.size();
    }

    /** The manifest to hand the server (UPLOAD_MANIFEST); the caller closes it. */
    InputStream upload() throws IOException {
        return upload.readFrom(0);
    }

    /** The earlier backup's copy of {@code path}, if it is one the server may send incrementally. */
    Optional<PriorFile> file(String path) {
        return Optional.ofNullable(files.get(path));
    }

    /** Chunk {@code index} of {@code file}. */
    PriorChunk chunk(PriorFile file, int index) throws IOException {
        if (index < 0 || index >= file.chunks()) {
            throw new IndexOutOfBoundsException("chunk " + index + " of " + file.chunks() + " of '" + file.path() + "'");
        }
        ByteBuffer b = ByteBuffer.allocate(RECORD).order(ByteOrder.LITTLE_ENDIAN);
        records.readFully(b, file.recordOffset() + RECORD * (long) index);
        b.flip();
        byte[] id = new byte[ChunkId.BYTES];
        b.get(id);
        return new PriorChunk(ChunkId.fromBytes(id), b.getLong(), b.getInt());
    }

    @Override
    public void close() {
        try {
            records.close();
        } catch (IOException ignored) {
            // nameless: its space is freed when the process ends
        }
        try {
            upload.close();
        } catch (IOException ignored) {
            // the same
        }
    }
}
