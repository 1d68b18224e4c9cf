package io.walvault.core.pipeline;

import static java.util.Objects.requireNonNull;

import java.io.IOException;

/**
 * The base of every transforming step of a pipeline: it holds the {@code next} sink and runs
 * the lifecycle, so a subclass implements only {@link #write} and, if it has a footer or
 * buffered data, {@link #onFinish}.
 *
 * <p>{@link #finish} calls {@link #onFinish} and then {@code next.finish()}; {@link #close}
 * calls {@link #release} and then {@code next.close()}, even if {@code release} failed (that
 * failure is kept as a suppressed exception). Not thread-safe, like every {@link Sink}.
 */
public abstract class Stage implements Sink {

    /** Where this stage's output goes. */
    protected final Sink next;
    private boolean finished;
    private boolean closed;

    protected Stage(Sink next) {
        this.next = requireNonNull(next, "next is null");
    }

    @Override
    public final void finish() throws IOException {
        if (finished) {
            throw new IllegalStateException(getClass().getSimpleName() + " is already finished");
        }
        if (closed) {
            throw new IllegalStateException(getClass().getSimpleName() + " is closed");
        }
        onFinish();
        finished = true;
        next.finish();
    }

    /** Flushes what this stage still holds (footers, the last block) to {@link #next}. */
    protected void onFinish() throws IOException {
    }

    /** Fails a write after {@link #finish} or {@link #close}: a programming error. */
    protected final void checkWritable() {
        if (finished || closed) {
            throw new IllegalStateException(getClass().getSimpleName() + " is " + (closed ? "closed" : "finished"));
        }
    }

    @Override
    public final void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        Throwable failure = null;
        try {
            release();
        } catch (IOException | RuntimeException | Error e) {
            failure = e;
        }
        try {
            next.close();
        } catch (IOException | RuntimeException | Error e) {
            if (failure == null) {
                failure = e;
            } else {
                failure.addSuppressed(e);
            }
        }
        if (failure instanceof IOException io) {
            throw io;
        } else if (failure instanceof RuntimeException re) {
            throw re;
        } else if (failure instanceof Error er) {
            throw er;
        }
    }

    /** Frees this stage's own resources (buffers, native memory); called once by {@link #close}. */
    protected void release() throws IOException {
    }
}
