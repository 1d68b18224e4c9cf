package io.walvault.restore.extract;

import static java.util.Objects.requireNonNull;

import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Makes restored files durable off the extraction threads: each written and closed file is
 * fsynced by one of a few threads while extraction goes on, so that the many fsyncs of a restore
 * overlap (the file system commits them together) instead of stalling each bundle in turn.
 * {@link #await()} returns once every file handed over is on disk, or fails naming the first
 * file that could not be synced. At most {@code 4 × threads} files wait at once (handing over
 * blocks beyond), so memory is bounded. Thread-safe; one per restore.
 */
public final class Flusher implements AutoCloseable {

    private final ExecutorService pool;
    private final Semaphore pending;
    private final int capacity;
    private final AtomicReference<WalvaultException> failure = new AtomicReference<>();

    public Flusher(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be at least 1, not " + threads);
        }
        this.capacity = 4 * threads;
        this.pending = new Semaphore(capacity);
        this.pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "walvault-restore-fsync");
            t.setDaemon(true);
            return t;
        });
    }

    /** Queues {@code file} (written and closed) to be fsynced. */
    public void flush(Path file) {
        requireNonNull(file, "file is null");
        try {
            pending.acquire();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new WalvaultException(ErrorCode.INTERRUPTED, "interrupted while restoring");
        }
        pool.execute(() -> {
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
                ch.force(true);
            } catch (IOException | RuntimeException e) {
                failure.compareAndSet(null, new WalvaultException(ErrorCode.RESTORE_WRITE_FAILED, "cannot make '" + file
                        + "' durable (fsync): " + e.getMessage() + " HINT: check the file system of the restored directory", e));
            } finally {
                pending.release();
            }
        });
    }

    /** Waits until every queued file is durable; throws the first failure. */
    public void await() {
        try {
            pending.acquire(capacity);
            pending.release(capacity);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new WalvaultException(ErrorCode.INTERRUPTED, "interrupted while restoring");
        }
        WalvaultException e = failure.get();
        if (e != null) {
            throw e;
        }
    }

    @Override
    public void close() {
        pool.shutdownNow();
        try {
            pool.awaitTermination(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
