package io.walvault.core.hook;

import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * The threads a hook's worker pushes or fetches with: daemon threads, and a close that stops
 * them and waits for them, so that whatever they use (the repository) is closed only after
 * them: open it before this, in the same try-with-resources.
 */
public final class WorkerThreads implements AutoCloseable {

    private final ExecutorService pool;

    /** {@code threads} threads named {@code name}. */
    public WorkerThreads(String name, int threads) {
        this.pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        });
    }

    /** Runs {@code task} on one of the threads. */
    public <T> Future<T> submit(Callable<T> task) {
        return pool.submit(task);
    }

    /** Interrupts what runs and waits up to 30 s for it to stop. */
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
