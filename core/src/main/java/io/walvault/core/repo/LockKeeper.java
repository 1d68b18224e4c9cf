package io.walvault.core.repo;

import static java.util.Objects.requireNonNull;

import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Holds a {@link RepositoryLock} for a long-running operation (backup, expire, the streaming
 * agent): takes it, refreshes its heartbeat every {@link Timing#heartbeat()} on a thread of its
 * own, and tells the holder once, through {@link Listener#lost}, when the lock stops being
 * safely its own:
 *
 * <ul>
 *   <li>a refresh finds it taken over ({@link LockHeldException}: another process judged it
 *       stale, or removed it), or
 *   <li>refreshes failed (the store is down) for so long that the next one would come after
 *       {@link Timing#staleAfter()}: from then on another process may take the lock over at any
 *       moment, so the holder can no longer count on being alone. The error is the last
 *       failure's code ({@code STORAGE} for a store that is down).
 * </ul>
 *
 * <p>After that it refreshes no more. What the holder does is its own decision: a backup cancels
 * itself, the agent stops, expire stops removing at its next step ({@link #checkHeld()}).
 * {@link #close()} stops the heartbeat and releases the lock if it is still ours; a refresh in
 * flight is waited for, so a heartbeat is never written after the release.
 *
 * <pre>{@code
 * try (LockKeeper lock = LockKeeper.acquire(cluster, "backup", LockKeeper.Timing.BACKUP, why -> cancel())) {
 *     ... the work ...
 * }
 * }</pre>
 *
 * <p>Thread-safety: {@link #close()}, {@link #lostBecause()} and {@link #checkHeld()} may be
 * called from any thread; the listener runs on the keeper's thread, never while it holds the
 * keeper's monitor (it may call {@link #close()}).
 */
public final class LockKeeper implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(LockKeeper.class);

    /**
     * How the lock is kept.
     *
     * @param staleAfter others take the lock over once its heartbeat is older than this
     * @param heartbeat  how often the heartbeat is written; shorter than {@code staleAfter}
     */
    public record Timing(Duration staleAfter, Duration heartbeat) {

        /** Backup and expire, which share the cluster's {@code backup} lock: stale after 10 min, a heartbeat a minute. */
        public static final Timing BACKUP = new Timing(Duration.ofMinutes(10), Duration.ofMinutes(1));

        public Timing {
            requireNonNull(staleAfter, "staleAfter is null");
            requireNonNull(heartbeat, "heartbeat is null");
            if (heartbeat.isNegative() || heartbeat.isZero() || heartbeat.compareTo(staleAfter) >= 0) {
                throw new IllegalArgumentException("a heartbeat every " + heartbeat + " does not keep a lock that is stale after "
                        + staleAfter);
            }
        }
    }

    /** What the holder of the lock is told. */
    @FunctionalInterface
    public interface Listener {

        /**
         * The lock is no longer safely ours: {@code why} is the {@link LockHeldException} of a
         * take-over, or the last refresh failure. Called once, on the keeper's thread.
         */
        void lost(WalvaultException why);

        /** A refresh failed; the keeper tries again at the next heartbeat. Logged already. */
        default void refreshFailed(RuntimeException e) {
        }
    }

    /** What the keeper refreshes and releases: a {@link RepositoryLock}, or a stand-in in tests. */
    interface Held {
        void refresh();

        void release();
    }

    private final String name;
    private final Held held;
    private final Timing timing;
    private final Listener listener;
    private final LongSupplier nanoClock;
    private ScheduledExecutorService timer;
    private long lastRefreshed;
    private int failures;
    private boolean closed;
    private volatile WalvaultException lost;

    LockKeeper(String name, Held held, Timing timing, Listener listener, LongSupplier nanoClock) {
        this.name = requireNonNull(name, "name is null");
        this.held = requireNonNull(held, "held is null");
        this.timing = requireNonNull(timing, "timing is null");
        this.listener = requireNonNull(listener, "listener is null");
        this.nanoClock = requireNonNull(nanoClock, "nanoClock is null");
        this.lastRefreshed = nanoClock.getAsLong();
    }

    /**
     * Takes the lock {@code name} of {@code cluster} (failing with {@link LockHeldException} if
     * a live process holds it) and keeps it until {@link #close()}.
     */
    public static LockKeeper acquire(ClusterCatalog cluster, String name, Timing timing, Listener listener) {
        requireNonNull(timing, "timing is null");
        RepositoryLock lock = cluster.lock(name, timing.staleAfter());
        LockKeeper k;
        try {
            k = new LockKeeper(name, new Held() {
                @Override
                public void refresh() {
                    lock.refresh();
                }

                @Override
                public void release() {
                    lock.close();
                }
            }, timing, listener, System::nanoTime);
        } catch (RuntimeException e) {
            lock.close();
            throw e;
        }
        k.start();
        return k;
    }

    private synchronized void start() {
        timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "walvault-lock-" + name);
            t.setDaemon(true);
            return t;
        });
        long every = timing.heartbeat().toNanos();
        timer.scheduleAtFixedRate(this::beat, every, every, TimeUnit.NANOSECONDS);
    }

    /** One heartbeat: refreshes the lock, or decides that it is lost. The timer's task; tests call it directly. */
    void beat() {
        WalvaultException why;
        synchronized (this) {
            if (closed || lost != null) {
                return;
            }
            why = refreshOrJudge();
            if (why == null) {
                return;
            }
            lost = why;
        }
        try {
            listener.lost(why);
        } catch (RuntimeException e) {
            LOG.error("after losing the lock '{}': {}", name, e.toString());
        }
    }

    /** Refreshes; null while the lock is ours, else why it is lost. Under the monitor, so close() waits for it. */
    private WalvaultException refreshOrJudge() {
        try {
            held.refresh();
            lastRefreshed = nanoClock.getAsLong();
            failures = 0;
            return null;
        } catch (LockHeldException e) {
            LOG.error("the lock '{}' was taken over: {}", name, e.getMessage());
            return e;
        } catch (RuntimeException e) {
            failures++;
            Duration since = Duration.ofNanos(nanoClock.getAsLong() - lastRefreshed);
            if (since.plus(timing.heartbeat()).compareTo(timing.staleAfter()) < 0) {
                LOG.warn("cannot refresh the lock '{}' ({} failed in a row, the last refresh {} s ago): {}", name, failures,
                        since.toSeconds(), e.getMessage());
                notifyFailure(e);
                return null;
            }
            // the next refresh would come after others may take the lock over: it is no longer safely ours
            WalvaultException why = new WalvaultException(e instanceof WalvaultException w ? w.code() : ErrorCode.STORAGE,
                    "the lock '" + name + "' could not be refreshed for " + since.toSeconds() + " s (" + failures
                    + " attempts), so another process may take it over: " + e.getMessage(), e);
            LOG.error("{}", why.getMessage());
            return why;
        }
    }

    private void notifyFailure(RuntimeException e) {
        try {
            listener.refreshFailed(e);
        } catch (RuntimeException ignored) {
            // a listener's own failure must not stop the heartbeat
        }
    }

    /** Why the lock was lost, or null while it is held. */
    public WalvaultException lostBecause() {
        return lost;
    }

    /** Throws why the lock was lost ({@link LockHeldException} for a take-over), if it was: for work done in steps. */
    public void checkHeld() {
        WalvaultException l = lost;
        if (l != null) {
            throw l;
        }
    }

    /** Stops the heartbeat (waiting for a refresh in flight) and releases the lock if it is still ours. Idempotent. */
    @Override
    public void close() {
        ScheduledExecutorService t;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            t = timer;
        }
        if (t != null) {
            t.shutdown(); // a refresh in flight finished before closed was set: none can follow the release
        }
        held.release();
    }
}
