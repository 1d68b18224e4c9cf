package io.walvault.archiver.stream;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Reconnection delays: exponential from {@code min}, capped at {@code max}, with full jitter on
 * the upper half (so many agents restarted together do not reconnect in step). Not thread-safe.
 */
final class Backoff {

    private final long minMillis;
    private final long maxMillis;
    private long current;

    Backoff(Duration min, Duration max) {
        this.minMillis = Math.max(1, min.toMillis());
        this.maxMillis = Math.max(minMillis, max.toMillis());
        this.current = minMillis;
    }

    /** The next wait: between half and all of the current step, which then doubles up to the cap. */
    Duration next() {
        long step = current;
        current = Math.min(maxMillis, current * 2);
        long half = step / 2;
        return Duration.ofMillis(half + ThreadLocalRandom.current().nextLong(step - half + 1));
    }

    /** After a session that streamed: start again from the smallest step. */
    void reset() {
        current = minMillis;
    }
}
