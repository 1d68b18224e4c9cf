package io.walvault.core.repo;

import static java.util.Objects.requireNonNull;

import io.walvault.core.error.CorruptDataException;
import io.walvault.core.pipeline.Futures;
import io.walvault.core.pipeline.Sink;
import io.walvault.core.storage.ObjectNotFoundException;
import io.walvault.core.storage.ObjectExistsException;
import io.walvault.core.storage.ObjectInfo;
import io.walvault.core.storage.Storage;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
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
        try (Unpublished u = encode(id, data, len)) {
            return u.publish() ? Optional.of(u.result()) : Optional.empty();
        }
    }

    /**
     * Compresses and encrypts {@code len} bytes of {@code data} as chunk {@code id} (which must
     * be their name) into the store without publishing them: {@link Unpublished#publish()} makes
     * them durable and gives them the name, and may run on another thread, so that the threads
     * that encode chunks do not wait for the store. {@code data} is free again when this returns.
     */
    public Unpublished encode(ChunkId id, byte[] data, int len) throws IOException {
        ObjectWriter w = repository.codec().newHeldWriter(key(id), Storage.WriteMode.CREATE_NAME_SYNCED_LATER);
        try {
            w.write(data, 0, len);
            w.finish();
            return new Unpublished(w);
        } catch (IOException | RuntimeException | Error e) {
            try {
                w.close();
            } catch (IOException | RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    /**
     * A chunk encoded into the store and not yet published: no reader sees it, and a close
     * before {@link #publish()} discards it. One thread at a time.
     */
    public static final class Unpublished implements AutoCloseable {
        private final ObjectWriter writer;

        private Unpublished(ObjectWriter writer) {
            this.writer = writer;
        }

        /** Its plaintext and stored sizes. */
        public ObjectResult result() {
            return writer.result();
        }

        /**
         * Makes the chunk durable and publishes it under its name (the name itself durable once
         * {@link ChunkStore#syncNames()} returns); false when the repository held the chunk
         * already (another writer stored the same content first), and nothing was added.
         */
        public boolean publish() throws IOException {
            try {
                writer.publish();
                return true;
            } catch (ObjectExistsException e) {
                return false;
            }
        }

        /** Discards the chunk unless it was published. */
        @Override
        public void close() throws IOException {
            writer.close();
        }
    }

    /**
     * Makes the names of every stored chunk durable: the chunks {@link #put} stored since (their
     * content is durable when put returns, their names only from here on) and any a killed
     * writer left. A backup calls it before its manifest, which names chunks, is written.
     */
    public void syncNames() {
        repository.storage().syncNames(prefix);
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
        Sink each = Sink.of(out::write); // every chunk's read finishes its sink: out is finished once, after the last
        long stored = 0;
        long left = file.size();
        for (ChunkId id : file.chunks()) {
            long expected = Math.min(left, file.chunkSize());
            ObjectResult r = readChunk(file, id, each);
            checkSize(file, id, r.size(), expected);
            stored += Math.max(0, r.storedSize());
            left -= expected;
        }
        out.finish();
        return stored;
    }

    /**
     * {@link #readFile(ManifestFile, Sink)} with up to {@code window} chunks read ahead on
     * {@code readers} (download, decryption and decompression in parallel, each into a buffer
     * of the file's chunk size), handed to {@code out} in order: memory is {@code window}
     * buffers, whatever the file's size. {@code readers} must not be the pool that runs this call.
     */
    public long readFile(ManifestFile file, Sink out, ExecutorService readers, int window) throws IOException {
        return readFile(file, out, readers, window, Optional.empty());
    }

    /**
     * The same, over an older copy of the file at {@code localCopy} (a delta restore): a chunk
     * whose range of the copy has the chunk's name is taken from the copy instead of the store,
     * so only the chunks that changed are downloaded and decoded; it goes to {@code out} as
     * {@link Sink#writeInPlace}.
     */
    public long readFile(ManifestFile file, Sink out, ExecutorService readers, int window, Optional<Path> localCopy)
            throws IOException {
        if (!file.isChunked()) {
            throw new IllegalArgumentException("'" + file.path() + "' is not stored as chunks");
        }
        if (file.chunkSize() > MAX_CHUNK) {
            throw new CorruptDataException("'" + file.path() + "' has chunks of " + file.chunkSize() + " bytes, more than the "
                    + MAX_CHUNK + " a chunk may hold");
        }
        List<ChunkId> ids = file.chunks();
        int buffers = Math.max(1, Math.min(window, ids.size()));
        BlockingQueue<byte[]> free = new ArrayBlockingQueue<>(buffers);
        for (int i = 0; i < buffers; i++) {
            free.add(new byte[file.chunkSize()]);
        }
        ArrayDeque<Future<Piece>> ahead = new ArrayDeque<>();
        long stored = 0;
        long left = file.size();
        int next = 0;
        try {
            while (next < ids.size() && ahead.size() < buffers) {
                ahead.add(fetch(readers, file, next, ids.get(next++), free, localCopy));
            }
            for (int i = 0; i < ids.size(); i++) {
                Piece p = await(ahead.poll());
                long expected = Math.min(left, file.chunkSize());
                checkSize(file, ids.get(i), p.size(), expected);
                if (p.inPlace()) {
                    out.writeInPlace(p.bytes(), 0, p.size());
                } else {
                    out.write(p.bytes(), 0, p.size());
                }
                free.add(p.bytes());
                stored += Math.max(0, p.storedSize());
                left -= expected;
                if (next < ids.size()) {
                    ahead.add(fetch(readers, file, next, ids.get(next++), free, localCopy));
                }
            }
        } finally {
            for (Future<Piece> f : ahead) {
                f.cancel(true);
            }
        }
        out.finish();
        return stored;
    }

    /** A chunk read ahead: its plaintext in a buffer of the file's chunk size; {@code inPlace}: read from the copy. */
    private record Piece(byte[] bytes, int size, long storedSize, boolean inPlace) {
    }

    private Future<Piece> fetch(ExecutorService readers, ManifestFile file, int index, ChunkId id, BlockingQueue<byte[]> free,
                                Optional<Path> localCopy) {
        byte[] buffer = free.remove(); // one per piece in flight: never empty here
        return readers.submit(() -> {
            if (localCopy.isPresent()) {
                int len = (int) Math.min(file.chunkSize(), file.size() - (long) index * file.chunkSize());
                if (readLocal(localCopy.get(), (long) index * file.chunkSize(), buffer, len) && sameAs(file, index, id, buffer, len)) {
                    return new Piece(buffer, len, 0, true); // in place already: nothing downloaded
                }
            }
            ObjectResult r = readChunk(file, id, new ArraySink(id, buffer, file.path()));
            return new Piece(buffer, (int) r.size(), r.storedSize(), false);
        });
    }

    /**
     * Unpacks chunk {@code id} into {@code into} from its start; the result's size is the
     * plaintext's. A chunk larger than {@code into} is corrupt data naming it and {@code owner}
     * (the file it is a chunk of).
     */
    public ObjectResult readInto(ChunkId id, byte[] into, String owner) throws IOException {
        return read(id, new ArraySink(id, into, owner));
    }

    /** A chunk's plaintext into a caller's buffer, refused when it does not fit. */
    private final class ArraySink implements Sink {
        private final ChunkId id;
        private final byte[] buffer;
        private final String owner;
        private int size;

        ArraySink(ChunkId id, byte[] buffer, String owner) {
            this.id = id;
            this.buffer = buffer;
            this.owner = owner;
        }

        @Override
        public void write(byte[] b, int off, int len) {
            if (size + len > buffer.length) {
                throw new CorruptDataException("chunk '" + key(id) + "' of '" + owner + "' holds more than the "
                        + buffer.length + " bytes of its file's chunks");
            }
            System.arraycopy(b, off, buffer, size, len);
            size += len;
        }

        @Override
        public void finish() {
        }

        @Override
        public void close() {
        }
    }

    /** Unpacks chunk {@code id} of {@code file} into {@code into}; a chunk gone is corrupt data naming it and the file. */
    private ObjectResult readChunk(ManifestFile file, ChunkId id, Sink into) throws IOException {
        try {
            return read(id, into);
        } catch (ObjectNotFoundException e) {
            throw new CorruptDataException("chunk '" + key(id) + "' of '" + file.path() + "' is missing from the repository", e);
        }
    }

    /** A chunk of another plaintext size than {@code file}'s layout gives it is corrupt data naming it and the file. */
    private void checkSize(ManifestFile file, ChunkId id, long size, long expected) {
        if (size != expected) {
            throw new CorruptDataException("chunk '" + key(id) + "' of '" + file.path() + "' holds " + size + " bytes, not "
                    + expected);
        }
    }

    /**
     * Whether {@code len} bytes of {@code buffer} are chunk {@code index} of {@code file}: by the
     * chunk's XXH64 when the manifest records it (read speed), else by naming them (HMAC).
     */
    private boolean sameAs(ManifestFile file, int index, ChunkId id, byte[] buffer, int len) {
        OptionalLong hash = file.chunkHash(index);
        if (hash.isPresent()) {
            return ChunkNamer.hash(buffer, 0, len) == hash.getAsLong();
        }
        return namer().orElseThrow().name(buffer, 0, len).equals(id);
    }

    /** Reads {@code len} bytes of {@code file} at {@code position} into {@code into}; false if the file is shorter or unreadable. */
    private static boolean readLocal(Path file, long position, byte[] into, int len) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ByteBuffer b = ByteBuffer.wrap(into, 0, len);
            while (b.hasRemaining()) {
                if (ch.read(b, position + b.position()) < 0) {
                    return false;
                }
            }
            return true;
        } catch (IOException e) {
            return false; // fetched from the store instead
        }
    }

    private static Piece await(Future<Piece> f) throws IOException {
        return Futures.await(f, "reading chunks");
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
