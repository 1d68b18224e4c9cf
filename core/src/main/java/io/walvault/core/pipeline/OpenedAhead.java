package io.walvault.core.pipeline;

import static java.util.Objects.requireNonNull;

import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;

/**
 * A resource opened on a thread of its own while the caller sets up the rest, so that the
 * opening's round trips (a connection's authentication, a slot's creation) overlap the caller's
 * work. The caller {@link #take}s it when it needs it and then owns it; if it never does (it
 * failed first), {@link #close()} waits for the opening to end and closes what it opened.
 *
 * <pre>{@code
 * try (OpenedAhead<Connection> ahead = OpenedAhead.start("walvault-connect", () -> Connection.open(settings))) {
 *     ... other set-up ...
 *     try (Connection c = ahead.take()) { ... }
 * }
 * }</pre>
 *
 * <p>Thread-safety: one caller thread; the opening runs on a daemon thread.
 */
public final class OpenedAhead<T extends AutoCloseable> implements AutoCloseable {

    private final FutureTask<T> task;
    private boolean taken;

    private OpenedAhead(FutureTask<T> task) {
        this.task = task;
    }

    /** Starts {@code open} on a daemon thread named {@code threadName}. */
    public static <T extends AutoCloseable> OpenedAhead<T> start(String threadName, Callable<T> open) {
        requireNonNull(open, "open is null");
        return new OpenedAhead<>(Futures.startOnDaemon(requireNonNull(threadName, "threadName is null"), open));
    }

    /**
     * Waits for the opening and hands over what it opened, which the caller closes from then on.
     * The opening's RuntimeException or Error is thrown as it was thrown there (a checked one
     * wrapped in an IllegalStateException); an interrupt while waiting is an
     * IllegalStateException with the interrupt flag set again.
     */
    public T take() {
        if (taken) {
            throw new IllegalStateException("already taken");
        }
        taken = true;
        return Futures.join(task, "waiting for an opening");
    }

    /** Closes what was opened unless it was taken: waits for the opening to end first. */
    @Override
    public void close() {
        if (taken) {
            return;
        }
        taken = true;
        boolean interrupted = false;
        while (true) {
            try {
                T opened = task.get();
                opened.close();
                break;
            } catch (InterruptedException e) {
                interrupted = true; // the opening ends on its own (its connect has a timeout): wait for it, then close
            } catch (ExecutionException e) {
                break; // nothing was opened
            } catch (Exception e) {
                break; // closing what the caller never used failed: nothing of the caller's is lost
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
