package io.walvault.core.pipeline;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;

/** Waiting for work handed to other threads, its failure thrown as it was thrown there. */
public final class Futures {

    private Futures() {
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
