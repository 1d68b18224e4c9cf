package io.walvault.archiver.stream;

import static java.util.Objects.requireNonNull;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * What {@link Agent} is asked to do.
 *
 * @param slot            the physical replication slot to stream from (created if missing)
 * @param spool           the local spool directory (created 0700)
 * @param partialInterval how often the segment in progress is uploaded as {@code .partial} when it grew
 * @param synchronous     report the write position as soon as WAL is fsynced in the spool (for
 *                        {@code synchronous_standby_names} with {@code synchronous_commit = remote_write})
 * @param statusInterval  standby status updates are sent at least this often
 * @param reconnectMin    first wait before reconnecting after a failure
 * @param reconnectMax    longest wait between reconnection attempts (the wait doubles up to it, jittered)
 * @param slotBusyGrace   how long a slot that is active for another process is retried before the
 *                        agent gives up ({@code AGENT_ALREADY_RUNNING}): a walsender of a killed agent
 *                        may take a moment to notice
 * @param acceptGap       start past a gap (after a new backup) instead of stopping at it
 * @param metricsListen   where to serve {@code /metrics} and {@code /health}, if anywhere
 */
public record AgentOptions(String slot, Path spool, Duration partialInterval, boolean synchronous, Duration statusInterval,
                           Duration reconnectMin, Duration reconnectMax, Duration slotBusyGrace, boolean acceptGap,
                           Optional<InetSocketAddress> metricsListen) {

    public AgentOptions {
        requireNonNull(slot, "slot is null");
        requireNonNull(spool, "spool is null");
        requireNonNull(partialInterval, "partialInterval is null");
        requireNonNull(statusInterval, "statusInterval is null");
        requireNonNull(reconnectMin, "reconnectMin is null");
        requireNonNull(reconnectMax, "reconnectMax is null");
        requireNonNull(slotBusyGrace, "slotBusyGrace is null");
        requireNonNull(metricsListen, "metricsListen is null");
        if (partialInterval.compareTo(Duration.ofMillis(100)) < 0 || partialInterval.compareTo(Duration.ofHours(1)) > 0) {
            throw new IllegalArgumentException("partial interval " + partialInterval + " is outside 100 ms to 1 h");
        }
        if (reconnectMin.isNegative() || reconnectMin.isZero() || reconnectMax.compareTo(reconnectMin) < 0) {
            throw new IllegalArgumentException("reconnect backoff " + reconnectMin + " to " + reconnectMax + " is not a range");
        }
    }

    /** Slot {@code walvault}, partials every 3 s, not synchronous, status every 10 s, reconnect 0.5 s to 30 s. */
    public static AgentOptions defaults(Path spool) {
        return new AgentOptions("walvault", spool, Duration.ofSeconds(3), false, Duration.ofSeconds(10), Duration.ofMillis(500),
                Duration.ofSeconds(30), Duration.ofSeconds(30), false, Optional.empty());
    }

    public AgentOptions slot(String s) {
        return new AgentOptions(s, spool, partialInterval, synchronous, statusInterval, reconnectMin, reconnectMax, slotBusyGrace,
                acceptGap, metricsListen);
    }

    public AgentOptions partialInterval(Duration d) {
        return new AgentOptions(slot, spool, d, synchronous, statusInterval, reconnectMin, reconnectMax, slotBusyGrace,
                acceptGap, metricsListen);
    }

    public AgentOptions synchronous(boolean b) {
        return new AgentOptions(slot, spool, partialInterval, b, statusInterval, reconnectMin, reconnectMax, slotBusyGrace,
                acceptGap, metricsListen);
    }

    public AgentOptions reconnect(Duration min, Duration max) {
        return new AgentOptions(slot, spool, partialInterval, synchronous, statusInterval, min, max, slotBusyGrace,
                acceptGap, metricsListen);
    }

    public AgentOptions slotBusyGrace(Duration d) {
        return new AgentOptions(slot, spool, partialInterval, synchronous, statusInterval, reconnectMin, reconnectMax, d,
                acceptGap, metricsListen);
    }

    public AgentOptions acceptGap(boolean b) {
        return new AgentOptions(slot, spool, partialInterval, synchronous, statusInterval, reconnectMin, reconnectMax, slotBusyGrace,
                b, metricsListen);
    }

    public AgentOptions metricsListen(InetSocketAddress a) {
        return new AgentOptions(slot, spool, partialInterval, synchronous, statusInterval, reconnectMin, reconnectMax, slotBusyGrace,
                acceptGap, Optional.of(a));
    }
}
