package io.walvault.core.repo;

import static java.util.Objects.requireNonNull;

import io.walvault.core.error.CorruptDataException;
import io.walvault.core.pipeline.Sink;
import io.walvault.core.storage.ObjectNotFoundException;
import io.walvault.core.storage.ObjectExistsException;
import io.walvault.core.storage.ObjectInfo;
import io.walvault.core.storage.Storage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * A cluster's content-addressed chunks, {@code clusters/<system-id>/chunks/<aa>/<name><ext>}
 * ({@code <aa>} the name's first two hex digits): pieces of the large files of its backups,
 * each stored once however many backups hold it. A chunk is written create-if-absent and never
 * changes; {@code expire} removes the chunks no backup names (docs/FORMAT.md). Thread-safe.
 */
public final class ChunkStore {

    /** The largest chunk a reader accepts: 16 MiB (walvault writes 1 MiB). */
    static final int MAX_CHUNK = 16 * 1024 * 1024;

    private final Repository repository;
    private final String prefix;

    ChunkStore(Repository repository, long systemId) {
        this.repository = requireNonNull(repository, "repository is null");
        this.prefix = RepositoryLayout.cluster(systemId) + "chunks/";
    }

    /** The namer of this repository's chunks, or empty when this host cannot name them (public-key repositories). */
    public Optional<ChunkNamer> namer() {
        return repository.codec().chunkNamer();
    }

    /** The object key of chunk {@code id}. */
    public String key(ChunkId id) {
        return prefix + id.hex().substring(0, 2) + "/" + id.hex() + repository.codec().extension();
    }

    /** The stored chunk {@code id}, if the repository holds it. */
    public Optional<ObjectInfo> stored(ChunkId id) {
        return repository.storage().info(key(id));
    }

    /**
     * Stores {@code len} bytes of {@code data} as chunk {@code id} (which must be their name);
     * empty when the repository held it already (another writer stored it first).
     */
    public Optional<ObjectResult> put(ChunkId id, byte[] data, int len) throws IOException {
        try {
            return Optional.of(repository.codec().put(key(id), new ByteArrayInputStream(data, 0, len), Storage.WriteMode.CREATE,
                    false));
        } catch (ObjectExistsException e) {
            return Optional.empty();
        }
    }

    /** Unpacks chunk {@code id} into {@code out}. */
    public ObjectResult read(ChunkId id, Sink out) throws IOException {
        return repository.codec().read(key(id), out, false);
    }

    /**
     * Unpacks the chunks of {@code file} (a file stored as chunks) into {@code out}, in order,
     * and finishes it; returns the bytes read from the store. A chunk that is missing or of
     * another size than the file's layout says is corrupt data naming the chunk and the file.
     */
    public long readFile(ManifestFile file, Sink out) throws IOException {
        if (!file.isChunked()) {
            throw new IllegalArgumentException("'" + file.path() + "' is not stored as chunks");
        }
        Sink each = new Sink() {
            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                out.write(b, off, len);
            }

            @Override
            public void finish() {
            }

            @Override
            public void close() {
            }
        };
        long stored = 0;
        long left = file.size();
        for (ChunkId id : file.chunks()) {
            long expected = Math.min(left, file.chunkSize());
            ObjectResult r;
            try {
                r = read(id, each);
            } catch (ObjectNotFoundException e) {
                throw new CorruptDataException("chunk '" + key(id) + "' of '" + file.path() + "' is missing from the repository", e);
            }
            if (r.size() != expected) {
                throw new CorruptDataException("chunk '" + key(id) + "' of '" + file.path() + "' holds " + r.size()
                        + " bytes, not " + expected);
            }
            stored += Math.max(0, r.storedSize());
            left -= expected;
        }
        out.finish();
        return stored;
    }

    /**
     * Reads chunk {@code id} whole (authenticated decryption, decompression) and names its
     * plaintext again: a chunk whose content is not the one it was named for is corrupt data.
     * Returns its plaintext size. Needs the repository's key (as any read of an encrypted one).
     */
    public long check(ChunkId id) throws IOException {
        ChunkNamer n = namer().orElseThrow(() -> new IllegalStateException("this repository has no chunk names"));
        BoundedBuffer plain = new BoundedBuffer();
        read(id, plain);
        if (!n.name(plain.bytes, 0, plain.size).equals(id)) {
            throw new CorruptDataException("chunk '" + key(id) + "' is not the content it was named for");
        }
        return plain.size;
    }

    /** A chunk's plaintext, at most {@value #MAX_CHUNK} bytes (a larger one is not a chunk walvault wrote). */
    private final class BoundedBuffer implements Sink {
        byte[] bytes = new byte[64 * 1024];
        int size;

        @Override
        public void write(byte[] b, int off, int len) {
            if (size + len > MAX_CHUNK) {
                throw new CorruptDataException("a chunk holds more than " + MAX_CHUNK + " bytes");
            }
            if (size + len > bytes.length) {
                bytes = Arrays.copyOf(bytes, Math.max(size + len, Math.min(MAX_CHUNK, bytes.length * 2)));
            }
            System.arraycopy(b, off, bytes, size, len);
            size += len;
        }

        @Override
        public void finish() {
        }

        @Override
        public void close() {
        }
    }

    /** Every chunk stored, with its stored size and time (unordered). */
    public void forEach(Consumer<StoredChunk> each) {
        try (Stream<ObjectInfo> s = repository.storage().list(prefix)) {
            s.forEach(o -> parse(o).ifPresent(each));
        }
    }

    /** A stored chunk. */
    public record StoredChunk(ChunkId id, ObjectInfo object) {
    }

    private Optional<StoredChunk> parse(ObjectInfo o) {
        String rest = o.key().substring(prefix.length());
        int slash = rest.indexOf('/');
        String ext = repository.codec().extension();
        if (slash != 2 || !rest.endsWith(ext)) {
            return Optional.empty();
        }
        String name = rest.substring(3, rest.length() - ext.length());
        return ChunkId.isChunkId(name) && name.startsWith(rest.substring(0, 2))
                ? Optional.of(new StoredChunk(new ChunkId(name), o)) : Optional.empty();
    }

    /** Removes chunk {@code id} (nothing happens if it is gone already). */
    public void remove(ChunkId id) {
        repository.storage().remove(key(id));
    }
}
