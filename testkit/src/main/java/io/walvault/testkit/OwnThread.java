package io.walvault.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.concurrent.CompletableFuture;

/**
 * A blocking call (a hook's worker, a read that waits) run on a thread of its own, as a future:
 * the common pool may be busy or tiny, and a test must not wait on a call that never started.
 */
public final class OwnThread {

    /** The call: may throw what the code under test throws. */
    @FunctionalInterface
    public interface Call<T> {
        T call() throws IOException;
    }

    private OwnThread() {
    }

    /** Starts {@code call} on a new thread named {@code name}; an IOException completes the future exceptionally. */
    public static <T> CompletableFuture<T> start(String name, Call<T> call) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return call.call();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }, r -> new Thread(r, name).start());
    }
}
