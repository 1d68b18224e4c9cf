package io.walvault.archiver.backup;

import static java.util.Objects.requireNonNull;

import io.walvault.core.hook.WorkerThreads;
import io.walvault.core.manifest.Crc32cCombine;
import io.walvault.core.repo.BackupInfo;
import io.walvault.core.repo.ChunkId;
import io.walvault.core.repo.ChunkNamer;
import io.walvault.core.repo.ChunkStore;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Phaser;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.CRC32C;

/**
 * Cuts the large files of a backup into chunks of {@code chunkSize} bytes and stores each chunk
 * the repository does not hold yet: named by {@link ChunkNamer} (a keyed hash of its
 * plaintext), looked up, and only when absent compressed, encrypted and uploaded. A chunk the
 * repository holds costs one existence check and nothing else, which is what makes a backup
 * of a mostly unchanged cluster cheap while every backup stays complete on its own.
 *
 * <pre>
 * stream thread: begin ─ write(bytes)* ─▶ chunk buffers ─▶ pool of {@code uploads} threads:
 *                end ◀─ names ◀─────────────────────────── name ▶ exists? ▶ (absent) compress ▶ encrypt ▶ write
 *                                                            ─▶ {@value #PUBLISHERS} publishing threads: durable ▶ named
 * </pre>
 *
 * <p>Publishing waits on the store (a local directory's fsync of each chunk, an S3 PUT), so it
 * runs on threads of its own: the chunk threads go on with the next chunk instead of waiting,
 * and several publications overlap (a file system commits concurrent fsyncs together).
 *
 * <p>Memory is bounded: {@code uploads + 1} buffers of {@code chunkSize} bytes, reused; the
 * stream thread waits for a free one (backpressure onto the replication connection). At most
 * {@value #UNPUBLISHED} chunks wait to be published (each an open temporary file, or for S3 its
 * encoded bytes in memory, at most twice the chunk size); a chunk thread waits for a slot. One
 * thread calls {@link #begin}, {@link #write}, {@link #end} and {@link #finish}.
 */
final class ChunkedFiles implements AutoCloseable {

    /** Threads that publish encoded chunks (mostly waiting on the store). */
    static final int PUBLISHERS = 4;

    /** Chunks encoded and not yet published, at most. */
    static final int UNPUBLISHED = 2 * PUBLISHERS;

    private final ChunkStore store;
    private final Optional<ChunkNamer> namer;
    private final int buffers;
    private int allocated;
    private final int chunkSize;
    private final WorkerThreads pool;
    private final WorkerThreads publishers = new WorkerThreads("walvault-chunk-publish", PUBLISHERS);
    private final Semaphore unpublishedSlots = new Semaphore(UNPUBLISHED);
    private final Set<ChunkStore.Unpublished> unpublished = ConcurrentHashMap.newKeySet();
    private final BlockingQueue<byte[]> free;
    private final Phaser inFlight = new Phaser(1);
    private final UploadFailure failure = new UploadFailure("a chunk upload");
    private final AtomicLong chunkedBytes = new AtomicLong();
    private final AtomicLong newBytes = new AtomicLong();
    private final AtomicLong newStoredBytes = new AtomicLong();
    private final AtomicLong sharedBytes = new AtomicLong();
    private final List<CompletableFuture<Named>> names = new ArrayList<>();
    private byte[] buffer;
    private int fill;

    /**
     * @param namer     empty when this host cannot name chunks (a public-key repository): every
     *                  file then goes into bundles
     * @param chunkSize a multiple of PostgreSQL's 8 KiB pages
     * @param uploads   chunks stored at once
     */
    ChunkedFiles(ChunkStore store, Optional<ChunkNamer> namer, int chunkSize, int uploads) {
        this.store = requireNonNull(store, "store is null");
        this.namer = requireNonNull(namer, "namer is null");
        if (chunkSize < 8192 || chunkSize % 8192 != 0) {
            throw new IllegalArgumentException("chunk size " + chunkSize + " is not a multiple of 8 KiB pages");
        }
        this.chunkSize = chunkSize;
        this.buffers = uploads + 1;
        this.free = new ArrayBlockingQueue<>(buffers);
        this.pool = new WorkerThreads("walvault-chunks", uploads);
    }

    int chunkSize() {
        return chunkSize;
    }

    /** Whether a file of {@code size} bytes is stored as chunks (else it goes into a bundle). */
    boolean takes(long size) {
        return namer.isPresent() && size >= chunkSize;
    }

    /** Starts a file. */
    void begin() {
        names.clear();
        fill = 0;
    }

    /** The next bytes of the file begun last. */
    void write(ByteBuffer data) throws IOException {
        ByteBuffer d = data.duplicate();
        while (d.hasRemaining()) {
            if (buffer == null) {
                buffer = take();
                fill = 0;
            }
            int n = Math.min(d.remaining(), chunkSize - fill);
            d.get(buffer, fill, n);
            fill += n;
            if (fill == chunkSize) {
                seal();
            }
        }
    }

    /** Ends the current chunk where it is (the last, shorter chunk of a file written chunk by chunk). */
    void sealPartial() {
        if (buffer != null && fill > 0) {
            seal();
        }
    }

    /** A chunk's name, its XXH64 and its CRC-32C. */
    private record Named(ChunkId id, long hash, int crc) {
    }

    /** A file's chunks: their names, hashes and CRC-32Cs, in order. */
    record Layout(List<ChunkId> ids, long[] hashes, int[] crcs) {

        /** The CRC-32C of the whole file, {@code size} bytes in chunks of {@code chunkSize}, from its chunks' CRCs. */
        int fileCrc(long size, int chunkSize) {
            int crc = 0;
            Crc32cCombine.Shift whole = Crc32cCombine.shift(chunkSize);
            for (int i = 0; i < crcs.length; i++) {
                long len = Math.min(chunkSize, size - (long) i * chunkSize);
                crc = i == 0 ? crcs[0] : len == chunkSize ? whole.combine(crc, crcs[i]) : Crc32cCombine.combine(crc, crcs[i], len);
            }
            return crc;
        }
    }

    /**
     * Takes chunk {@code id} of an earlier backup, {@code len} bytes, as the next chunk of the
     * file begun last, without its bytes (a file rebuilt from an incremental backup). It must
     * start at a chunk boundary. The chunk is checked to be in the store (on the pool), so a
     * backup never names a chunk an earlier damage removed.
     */
    void reuse(ChunkId id, long hash, int crc, int len) throws IOException {
        if (buffer != null && fill > 0) {
            throw new IllegalStateException("a reused chunk must start at a chunk boundary");
        }
        rethrow();
        CompletableFuture<Named> name = CompletableFuture.completedFuture(new Named(id, hash, crc));
        names.add(name);
        chunkedBytes.addAndGet(len);
        inFlight.register();
        pool.submit(() -> {
            try {
                if (store.stored(id).isEmpty()) {
                    throw new IOException("chunk " + id.hex() + " of the previous backup is missing from the repository"
                            + " (run 'walvault verify --all'; 'walvault backup --full' takes a backup that does not reuse it)");
                }
                sharedBytes.addAndGet(len);
            } catch (IOException | RuntimeException | Error e) {
                failure.set(e);
            } finally {
                inFlight.arriveAndDeregister();
            }
            return null;
        });
    }

    /** Ends the file: its chunks, in order (once named; their storing may still run). */
    Layout end() throws IOException {
        sealPartial();
        List<ChunkId> ids = new ArrayList<>(names.size());
        long[] hashes = new long[names.size()];
        int[] crcs = new int[names.size()];
        for (int i = 0; i < names.size(); i++) {
            Named n = await(names.get(i));
            ids.add(n.id());
            hashes[i] = n.hash();
            crcs[i] = n.crc();
        }
        names.clear();
        return new Layout(ids, hashes, crcs);
    }

    /**
     * Waits until every chunk is stored (or known to be), reports the first failure, and makes
     * the chunks' names durable ({@link ChunkStore#syncNames}: a local repository fsyncs each
     * chunk directory once here instead of once per chunk).
     */
    void finish() throws IOException {
        int phase = inFlight.arrive();
        try {
            while (true) {
                try {
                    inFlight.awaitAdvanceInterruptibly(phase, 100, TimeUnit.MILLISECONDS);
                    break;
                } catch (TimeoutException e) {
                    rethrow();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while the chunks were being stored");
        }
        rethrow();
        store.syncNames(); // the chunks' names durable before any manifest names them
    }

    /** What the chunks hold and cost; after {@link #finish}. */
    BackupInfo.ChunkUse use() {
        return new BackupInfo.ChunkUse(chunkedBytes.get(), newBytes.get(), newStoredBytes.get(), sharedBytes.get());
    }

    /** Bytes of new chunks in the store so far. */
    long storedBytes() {
        return newStoredBytes.get();
    }

    private void seal() {
        byte[] b = buffer;
        int len = fill;
        buffer = null;
        fill = 0;
        CompletableFuture<Named> name = new CompletableFuture<>();
        names.add(name);
        chunkedBytes.addAndGet(len);
        inFlight.register();
        pool.submit(() -> {
            try {
                ChunkId id = namer.orElseThrow().name(b, 0, len);
                CRC32C crc = new CRC32C();
                crc.update(b, 0, len);
                name.complete(new Named(id, ChunkNamer.hash(b, 0, len), (int) crc.getValue()));
                if (!failure.happened()) {
                    store(id, b, len);
                }
            } catch (IOException | RuntimeException | Error e) {
                failure.set(e);
                name.completeExceptionally(e);
            } finally {
                free.offer(b);
                inFlight.arriveAndDeregister();
            }
            return null;
        });
    }

    private void store(ChunkId id, byte[] b, int len) throws IOException {
        if (store.stored(id).isPresent()) {
            sharedBytes.addAndGet(len);
            return;
        }
        acquireSlot();
        ChunkStore.Unpublished u;
        try {
            u = store.encode(id, b, len);
        } catch (IOException | RuntimeException | Error e) {
            unpublishedSlots.release();
            throw e;
        }
        unpublished.add(u);
        inFlight.register();
        publishers.submit(() -> {
            try (u) {
                if (!failure.happened()) {
                    if (u.publish()) {
                        newBytes.addAndGet(len);
                        newStoredBytes.addAndGet(Math.max(0, u.result().storedSize()));
                    } else {
                        sharedBytes.addAndGet(len); // an identical chunk stored a moment ago (the same content twice in this backup)
                    }
                }
            } catch (IOException | RuntimeException | Error e) {
                failure.set(e);
            } finally {
                unpublished.remove(u);
                unpublishedSlots.release();
                inFlight.arriveAndDeregister();
            }
            return null;
        });
    }

    /** Waits for a slot among the {@value #UNPUBLISHED} chunks that may wait to be published. */
    private void acquireSlot() throws IOException {
        try {
            while (!unpublishedSlots.tryAcquire(100, TimeUnit.MILLISECONDS)) {
                rethrow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting to publish a chunk");
        }
    }

    private byte[] take() throws IOException {
        byte[] spare = free.poll();
        if (spare != null) {
            return spare;
        }
        if (allocated < buffers) {
            allocated++;
            return new byte[chunkSize];
        }
        try {
            while (true) {
                byte[] b = free.poll(100, TimeUnit.MILLISECONDS);
                if (b != null) {
                    return b;
                }
                rethrow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting for a chunk upload");
        }
    }

    private Named await(CompletableFuture<Named> f) throws IOException {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while naming chunks");
        } catch (ExecutionException e) {
            rethrow();
            throw new IOException("a chunk could not be named: " + e.getCause(), e.getCause());
        }
    }

    private void rethrow() throws IOException {
        failure.rethrow();
    }

    /**
     * Stops the uploads and discards the chunks not published yet; chunks stored already stay
     * (expire removes those no backup names).
     */
    @Override
    public void close() {
        pool.close();
        publishers.close();
        for (ChunkStore.Unpublished u : unpublished) {
            try {
                u.close();
            } catch (IOException | RuntimeException e) {
                // a temporary file left behind: removed with the other abandoned writes
            }
        }
    }
}
