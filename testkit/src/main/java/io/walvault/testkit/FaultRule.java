package io.walvault.testkit;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * A rule installed in a {@link FaultProxy}: which requests it matches, which of those it
 * takes, and the {@link Fault} it applies to them. Build one with {@link FaultProxy#rule()}:
 *
 * <pre>{@code
 * // the second and third UploadPart of any key under archive/ answer 503 SlowDown
 * FaultRule r = proxy.rule().method("PUT").key("^archive/").query("partNumber")
 *         .skip(1).times(2).inject(Fault.slowDown());
 * ... run the code under test ...
 * assertEquals(2, r.fired());
 * }</pre>
 *
 * <p>Counting is that of {@link S3Server#failCalls}: every request the rule matches is counted,
 * and the rule fires on the matches numbered {@code skip} to {@code skip + times - 1} (from 0).
 * The proxy asks its rules in order (outages first, then in the order installed); the first
 * that fires takes the request, and the rules after it do not see (or count) it. A rule made
 * {@link Builder#activeFor(Duration) active for} a while, or {@link #remove() removed}, neither
 * matches nor counts any more.
 *
 * <p>Thread-safe: rules are matched from the proxy's connection threads while a test adds,
 * reads and removes them.
 */
public final class FaultRule {

    private final FaultProxy proxy;
    private final String description;
    private final Predicate<ProxiedRequest> match;
    private final long skip;
    private final long times;
    private final long installedNanos;
    private final long activeNanos;
    private final Fault fault;
    private long matched;
    private long fired;
    private boolean removed;

    private FaultRule(FaultProxy proxy, String description, Predicate<ProxiedRequest> match, long skip, long times,
            Duration activeFor, Fault fault) {
        this.proxy = proxy;
        this.description = description;
        this.match = match;
        this.skip = skip;
        this.times = times;
        this.installedNanos = System.nanoTime();
        this.activeNanos = activeFor == null ? Long.MAX_VALUE : activeFor.toNanos();
        this.fault = fault;
    }

    /** A rule matching every request, firing on all of them for {@code duration} (null: until removed): an outage. */
    static FaultRule everything(FaultProxy proxy, Fault fault, Duration duration) {
        return new FaultRule(proxy, duration == null ? "outage" : "outage for " + duration, r -> true, 0, Long.MAX_VALUE,
                duration, fault);
    }

    /** The fault this rule applies. */
    public Fault fault() {
        return fault;
    }

    /** How many requests the rule applied its fault to so far. */
    public synchronized int fired() {
        return (int) Math.min(Integer.MAX_VALUE, fired);
    }

    /** How many requests the rule matched so far, those it skipped or no longer fires on included. */
    public synchronized int matched() {
        return (int) Math.min(Integer.MAX_VALUE, matched);
    }

    /** Whether the rule can still fire: not removed, not expired, not spent. */
    public synchronized boolean active() {
        return !removed && !expired() && matched < skip + times;
    }

    /** Takes the rule out of its proxy (an outage ends); its counts stay readable. */
    public void remove() {
        synchronized (this) {
            removed = true;
            notifyAll();
        }
        proxy.removeRule(this);
    }

    /**
     * Waits until the rule has fired {@code count} times.
     *
     * @throws IllegalStateException if it has not within {@code timeout}
     */
    public synchronized void awaitFired(int count, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (fired < count) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new IllegalStateException("rule " + this + " fired " + fired + " times, not " + count
                        + ", within " + timeout);
            }
            wait(Math.max(1, left / 1_000_000));
        }
    }

    /** Counts {@code r} if the rule matches it, and says whether the rule fires on it. */
    synchronized boolean take(ProxiedRequest r) {
        if (removed || expired() || !match.test(r)) {
            return false;
        }
        long n = matched++;
        if (n >= skip && n - skip < times) {
            fired++;
            notifyAll();
            return true;
        }
        return false;
    }

    private boolean expired() {
        return System.nanoTime() - installedNanos >= activeNanos;
    }

    @Override
    public synchronized String toString() {
        return description + (skip > 0 ? " skip " + skip : "") + (times == Long.MAX_VALUE ? " always" : " times " + times)
                + ": " + fault + " (matched " + matched + ", fired " + fired + (removed ? ", removed" : "") + ")";
    }

    /**
     * Chooses the requests of a new rule; every condition given must hold. Regular expressions
     * are searched for ({@code find}), so anchor them with {@code ^} and {@code $} to match whole
     * strings. Without conditions the rule matches every request; without {@link #skip},
     * {@link #times} or {@link #always} it fires on the first match only.
     */
    public static final class Builder {
        private final FaultProxy proxy;
        private final List<Predicate<ProxiedRequest>> conditions = new ArrayList<>();
        private final List<String> described = new ArrayList<>();
        private long skip;
        private long times = 1;
        private Duration activeFor;

        Builder(FaultProxy proxy) {
            this.proxy = proxy;
        }

        /** Requests with method {@code method} (GET, PUT, HEAD, POST, DELETE; any case). */
        public Builder method(String method) {
            String m = requireNonNull(method, "method is null").toUpperCase(Locale.ROOT);
            return condition(m, r -> r.method().equals(m));
        }

        /** Requests whose decoded path ({@code /bucket/key}) contains a match of {@code regex}. */
        public Builder path(String regex) {
            Pattern p = Pattern.compile(requireNonNull(regex, "regex is null"));
            return condition("path~'" + regex + "'", r -> p.matcher(r.path()).find());
        }

        /** Requests to bucket {@code name}. */
        public Builder bucket(String name) {
            requireNonNull(name, "name is null");
            return condition("bucket " + name, r -> r.bucket().equals(name));
        }

        /** Requests whose decoded object key contains a match of {@code regex} (bucket requests have the key ""). */
        public Builder key(String regex) {
            Pattern p = Pattern.compile(requireNonNull(regex, "regex is null"));
            return condition("key~'" + regex + "'", r -> p.matcher(r.key()).find());
        }

        /** Requests with query parameter {@code name} ({@code uploads}, {@code partNumber}, {@code list-type}...). */
        public Builder query(String name) {
            requireNonNull(name, "name is null");
            return condition("?" + name, r -> r.query().containsKey(name));
        }

        /** Requests with query parameter {@code name} equal to {@code value} ({@code partNumber=2}). */
        public Builder query(String name, String value) {
            requireNonNull(name, "name is null");
            requireNonNull(value, "value is null");
            return condition("?" + name + "=" + value, r -> value.equals(r.query().get(name)));
        }

        /** Requests without query parameter {@code name}: PutObject is a PUT without {@code uploadId}. */
        public Builder withoutQuery(String name) {
            requireNonNull(name, "name is null");
            return condition("!?" + name, r -> !r.query().containsKey(name));
        }

        /** Requests that {@code condition} accepts. */
        public Builder when(Predicate<ProxiedRequest> condition) {
            return condition("when(...)", requireNonNull(condition, "condition is null"));
        }

        /** Lets the first {@code count} matches through. */
        public Builder skip(int count) {
            if (count < 0) {
                throw new IllegalArgumentException("skip count " + count + " is negative");
            }
            skip = count;
            return this;
        }

        /** Fires on {@code count} matches (after those skipped). */
        public Builder times(int count) {
            if (count < 1) {
                throw new IllegalArgumentException("fire count " + count + " is below 1");
            }
            times = count;
            return this;
        }

        /** Fires on every match (after those skipped). */
        public Builder always() {
            times = Long.MAX_VALUE;
            return this;
        }

        /** Makes the rule lapse {@code duration} after it is installed. */
        public Builder activeFor(Duration duration) {
            requireNonNull(duration, "duration is null");
            if (duration.isNegative() || duration.isZero()) {
                throw new IllegalArgumentException("duration " + duration + " is not positive");
            }
            activeFor = duration;
            return this;
        }

        /** Installs the rule with {@code fault} in the proxy (after the rules already there) and returns it. */
        public FaultRule inject(Fault fault) {
            requireNonNull(fault, "fault is null");
            List<Predicate<ProxiedRequest>> all = List.copyOf(conditions);
            Predicate<ProxiedRequest> match = r -> {
                for (Predicate<ProxiedRequest> c : all) {
                    if (!c.test(r)) {
                        return false;
                    }
                }
                return true;
            };
            String d = described.isEmpty() ? "any request" : String.join(" ", described);
            if (activeFor != null) {
                d += " for " + activeFor;
            }
            FaultRule rule = new FaultRule(proxy, d, match, skip, times, activeFor, fault);
            proxy.addRule(rule, false);
            return rule;
        }

        private Builder condition(String description, Predicate<ProxiedRequest> condition) {
            described.add(description);
            conditions.add(condition);
            return this;
        }
    }
}
