package io.walvault.core.pipeline;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Callable;
import java.util.concurrent.Future;
import java.util.concurrent.FutureTask;

/**
 * Work handed to another thread: started on a daemon thread of its own, and waited for, its
 * failure thrown as it was thrown there.
 */
public final class Futures {

    private Futures() {
    }

    /**
     * Starts {@code task} on a new daemon thread named {@code threadName} (work a process does
     * beside its start-up, which must not keep it alive); {@link #join} or {@link #await} its result.
     */
    public static <T> FutureTask<T> startOnDaemon(String threadName, Callable<T> task) {
        FutureTask<T> f = new FutureTask<>(task);
        Thread t = new Thread(f, threadName);
        t.setDaemon(true);
        t.start();
        return f;
    }

    /**
     * The result of {@code f}; its IOException, RuntimeException or Error as thrown by the task
     * (anything else wrapped in an IOException), an interrupt as an InterruptedIOException saying
     * it came while {@code waitingFor} ("reading chunks").
     */
    public static <T> T await(Future<T> f, String waitingFor) throws IOException {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while " + waitingFor);
        } catch (ExecutionException e) {
            Throwable c = checkedCause(e);
            if (c instanceof IOException io) {
                throw io;
            }
            throw new IOException(c);
        }
    }

    /**
     * The result of {@code f} for callers whose work throws no checked exception: its
     * RuntimeException or Error as thrown by the task (a checked one wrapped in an
     * IllegalStateException); an interrupt as an IllegalStateException saying it came while
     * {@code waitingFor}, with the thread's interrupt flag set again.
     */
    public static <T> T join(Future<T> f, String waitingFor) {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while " + waitingFor, e);
        } catch (ExecutionException e) {
            throw new IllegalStateException(checkedCause(e));
        }
    }

    /** The task's failure: thrown here when it is a RuntimeException or an Error, else returned. */
    private static Throwable checkedCause(ExecutionException e) {
        Throwable c = e.getCause();
        if (c instanceof RuntimeException r) {
            throw r;
        }
        if (c instanceof Error err) {
            throw err;
        }
        return c;
    }
}
