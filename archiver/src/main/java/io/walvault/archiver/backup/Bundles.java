package io.walvault.archiver.backup;

import static java.util.Objects.requireNonNull;

import io.walvault.core.repo.BackupCatalog;
import io.walvault.core.repo.ObjectResult;
import io.walvault.core.repo.ObjectWriter;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Packs the files of a backup into bundles and writes each bundle on a thread of its own, so
 * compression, encryption and upload run in parallel with the replication stream.
 *
 * <pre>
 * stream thread: place(size) ─ write(bytes)* ─▶ 1 MiB chunks ─▶ bounded queue ─▶ bundle thread:
 *                                                                 ObjectWriter (compress ▶ encrypt ▶ store)
 * </pre>
 *
 * <p>Memory is bounded: at most {@code uploads} bundles are open, each with at most
 * {@value #QUEUED_CHUNKS} queued chunks of {@value #CHUNK} bytes (the arrays are reused) plus what its storage driver
 * buffers (S3: (part concurrency + 1) × part size). When they are full the stream thread waits,
 * which stops reading from the server (backpressure onto the replication connection).
 *
 * <p>A file starts a new bundle when the current one is not empty and the file would take it past
 * the bundle size; a file larger than the bundle size therefore has a bundle of its own. One
 * thread calls {@link #place}, {@link #write} and {@link #finish}; {@link #close} may come from
 * any thread and abandons what is not finished (nothing half-written becomes visible).
 */
final class Bundles implements AutoCloseable {

    static final int CHUNK = 1024 * 1024;
    static final int QUEUED_CHUNKS = 4;
    private static final Chunk END = new Chunk(new byte[0], 0);

    /** {@code length} bytes at the start of {@code data}. */
    private record Chunk(byte[] data, int length) {
    }

    /** Where a file goes. */
    record Placement(int bundle, long offset) {
    }

    private final BackupCatalog catalog;
    private final String backupId;
    private final long bundleSize;
    private final Semaphore slots;
    private final List<Uploader> uploaders = new ArrayList<>();
    private final UploadFailure failure = new UploadFailure("a bundle upload");
    private final AtomicLong storedBytes = new AtomicLong();
    private final AtomicLong uploadedBytes = new AtomicLong();
    /**
     * Chunks the bundle threads are done with, for the stream thread to fill again: a 1 MiB
     * array is a humongous object to G1 with a small heap, and allocating one per MiB kept its
     * collector busy. Bounded by what can be in flight (queued, being filled, being written).
     */
    private final BlockingQueue<byte[]> free;
    private Uploader current;
    private int nextBundle;
    private byte[] chunk;
    private int chunkFill;
    private volatile boolean closed;

    Bundles(BackupCatalog catalog, String backupId, long bundleSize, int uploads) {
        this.catalog = requireNonNull(catalog, "catalog is null");
        this.backupId = requireNonNull(backupId, "backupId is null");
        this.bundleSize = bundleSize;
        this.slots = new Semaphore(uploads);
        this.free = new ArrayBlockingQueue<>(uploads * (QUEUED_CHUNKS + 2));
    }

    /** Chooses the bundle and offset of the next file, of {@code size} bytes, opening a bundle if needed. */
    Placement place(long size) throws IOException {
        if (current == null || (current.size > 0 && current.size + size > bundleSize)) {
            endCurrent();
            open();
        }
        return new Placement(current.number, current.size);
    }

    /** The next bytes of the file placed last. */
    void write(ByteBuffer data) throws IOException {
        ByteBuffer d = data.duplicate();
        current.size += d.remaining();
        while (d.hasRemaining()) {
            if (chunk == null) {
                chunk = free.poll();
                if (chunk == null) {
                    chunk = new byte[CHUNK];
                }
                chunkFill = 0;
            }
            int n = Math.min(d.remaining(), CHUNK - chunkFill);
            d.get(chunk, chunkFill, n);
            chunkFill += n;
            if (chunkFill == CHUNK) {
                hand(new Chunk(chunk, CHUNK));
                chunk = null;
            }
        }
    }

    /** Ends the last bundle and waits until every bundle is stored; returns the number of bundles. */
    int finish() throws IOException {
        endCurrent();
        for (Uploader u : uploaders) {
            try {
                u.thread.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while the bundles were being stored");
            }
        }
        rethrow();
        return uploaders.size();
    }

    /** What each bundle stored, in bundle order; after {@link #finish}. */
    List<ObjectResult> results() {
        List<ObjectResult> r = new ArrayList<>();
        for (Uploader u : uploaders) {
            r.add(requireNonNull(u.result, "bundle not finished"));
        }
        return r;
    }

    /** Bytes of the bundles in the store so far. */
    long storedBytes() {
        return storedBytes.get();
    }

    /** Plaintext bytes the bundle threads have taken so far. */
    long uploadedBytes() {
        return uploadedBytes.get();
    }

    private void open() throws IOException {
        acquire();
        rethrow();
        Uploader u = new Uploader(nextBundle++);
        uploaders.add(u);
        current = u;
        u.thread.start();
    }

    private void endCurrent() throws IOException {
        if (current == null) {
            return;
        }
        if (chunk != null && chunkFill > 0) {
            hand(new Chunk(chunk, chunkFill));
        }
        chunk = null;
        hand(END);
        current = null;
    }

    private void acquire() throws IOException {
        try {
            while (!slots.tryAcquire(100, TimeUnit.MILLISECONDS)) {
                rethrow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting for a bundle upload");
        }
    }

    private void hand(Chunk b) throws IOException {
        try {
            while (!current.queue.offer(b, 100, TimeUnit.MILLISECONDS)) {
                rethrow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while handing data to a bundle upload");
        }
        rethrow();
    }

    private void rethrow() throws IOException {
        failure.rethrow();
    }

    /** Abandons bundles that are not finished; published bundles stay (the caller removes them). */
    @Override
    public void close() {
        closed = true;
        for (Uploader u : uploaders) {
            u.thread.interrupt();
        }
        for (Uploader u : uploaders) {
            try {
                u.thread.join(30_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** One bundle: takes chunks from its queue and writes them through the codec. */
    private final class Uploader implements Runnable {
        final int number;
        final BlockingQueue<Chunk> queue = new ArrayBlockingQueue<>(QUEUED_CHUNKS);
        final Thread thread;
        long size; // written by the stream thread only
        ObjectResult result; // written by this thread, read after it ended (finish joins it)

        Uploader(int number) {
            this.number = number;
            this.thread = new Thread(this, "walvault-bundle-" + number);
            this.thread.setDaemon(true);
        }

        @Override
        public void run() {
            try (ObjectWriter w = catalog.newBundle(backupId, number)) {
                while (true) {
                    Chunk c = queue.take();
                    if (c == END) {
                        break;
                    }
                    if (closed || failure.happened()) {
                        return; // abandoned: closing the writer without finishing publishes nothing
                    }
                    w.write(c.data(), 0, c.length());
                    uploadedBytes.addAndGet(c.length());
                    free.offer(c.data()); // dropped when the pool is full
                }
                ObjectResult r = w.finishWithResult();
                result = r;
                storedBytes.addAndGet(Math.max(0, r.storedSize())); // -1: the store did not say
            } catch (InterruptedException e) {
                failure.set(new InterruptedIOException("bundle " + number + " was cancelled"));
            } catch (IOException | RuntimeException | Error e) {
                failure.set(e);
            } finally {
                slots.release();
            }
        }
    }
}
