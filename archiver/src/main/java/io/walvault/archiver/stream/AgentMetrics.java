package io.walvault.archiver.stream;

import static java.util.Objects.requireNonNull;

import io.walvault.core.BuildInfo;
import io.walvault.core.wal.Lsn;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * The agent's state as Prometheus metrics (text exposition format 0.0.4). Written by the
 * receive loop and the backup scheduler, read by the metrics server: thread-safe, every value
 * is a single atomic or volatile field.
 *
 * <p>Names (all prefixed {@code walvault_agent_}): see {@link #render()} and docs/ARCHITECTURE.md.
 * Units are in the names; what is unknown (no backup scheduled yet) has no sample, never a
 * sentinel value; no label takes a new value per segment. {@code walvault_build_info} and the
 * repository's {@code walvault_status_*} gauges follow.
 */
public final class AgentMetrics {

    private volatile long serverWalEnd;
    private volatile long durable;
    private volatile long oldestUndurableMillis;
    private volatile long lastArchiveMillis;
    private volatile boolean streaming;
    private volatile boolean gap;
    private volatile long spoolBytes;
    private volatile long lastBackupEpochSeconds;
    private volatile int lastBackupOk = NONE_RAN;
    private final AtomicLong segments = new AtomicLong();
    private final AtomicLong partials = new AtomicLong();
    private final AtomicLong reconnects = new AtomicLong();
    private final AtomicLong backupsOk = new AtomicLong();
    private final AtomicLong backupsFailed = new AtomicLong();
    private final Map<String, AtomicLong> errors = new ConcurrentHashMap<>();
    private volatile Supplier<String> repositoryGauges = () -> "";
    private static final int NONE_RAN = -1;

    /**
     * Adds {@code gauges} (the repository's state, as {@code walvault status --prometheus} prints
     * it) to every answer; called once at start-up. They must come from a cache: a scrape never
     * waits for the repository.
     */
    public void repositoryGauges(Supplier<String> gauges) {
        repositoryGauges = requireNonNull(gauges, "gauges is null");
    }

    void serverWalEnd(Lsn end) {
        if (Long.compareUnsigned(end.value(), serverWalEnd) > 0) {
            serverWalEnd = end.value();
        }
    }

    /** WAL up to {@code position} is durable in the repository, with a segment or partial stored just now. */
    void durable(Lsn position, boolean partial) {
        durable = position.value();
        if (serverWalEnd != 0 && Long.compareUnsigned(serverWalEnd, durable) < 0) {
            serverWalEnd = durable;
        }
        lastArchiveMillis = System.currentTimeMillis();
        (partial ? partials : segments).incrementAndGet();
    }

    /** Received WAL that is not durable yet exists since {@code millis} (0: none). */
    void oldestUndurable(long millis) {
        oldestUndurableMillis = millis;
    }

    long oldestUndurable() {
        return oldestUndurableMillis;
    }

    void streaming(boolean b) {
        streaming = b;
    }

    void gap(boolean b) {
        gap = b;
    }

    void spoolBytes(long n) {
        spoolBytes = n;
    }

    void reconnect() {
        reconnects.incrementAndGet();
    }

    void error(String kind) {
        errors.computeIfAbsent(kind, k -> new AtomicLong()).incrementAndGet();
    }

    void backup(boolean ok, long epochSeconds) {
        lastBackupOk = ok ? 1 : 0;
        if (ok) {
            lastBackupEpochSeconds = epochSeconds;
            backupsOk.incrementAndGet();
        } else {
            backupsFailed.incrementAndGet();
        }
    }

    /** Whether the agent is healthy: streaming, and no gap. */
    public boolean healthy() {
        return streaming && !gap;
    }

    /** The position durable in the repository. */
    public Lsn durable() {
        return Lsn.of(durable);
    }

    /** The metrics in Prometheus text format 0.0.4. */
    public String render() {
        long now = System.currentTimeMillis();
        StringBuilder sb = new StringBuilder(2048);
        long lagBytes = serverWalEnd == 0 ? 0 : Math.max(0, serverWalEnd - durable);
        long oldest = oldestUndurableMillis;
        gauge(sb, "archive_lag_bytes", "WAL the server has written that is not durable in the repository yet, in bytes", lagBytes);
        gauge(sb, "archive_lag_seconds", "Age of the oldest received WAL not durable in the repository yet (0 when caught up)",
                oldest == 0 ? 0 : (now - oldest) / 1000.0);
        gauge(sb, "durable_lsn_bytes", "WAL position durable in the repository (the slot's flush position): bytes since the start of WAL", durable);
        if (lastArchiveMillis != 0) {
            gauge(sb, "last_archive_timestamp_seconds", "When the agent last stored a segment or partial in the repository,"
                    + " Unix time", lastArchiveMillis / 1000.0);
        }
        counter(sb, "segments_archived_total", "WAL segments stored in the repository", segments.get());
        counter(sb, "partials_archived_total", "Uploads of the segment in progress as .partial", partials.get());
        gauge(sb, "streaming", "1 while a replication stream is open", streaming ? 1 : 0);
        gauge(sb, "gap_detected", "1 when WAL the repository lacks is no longer on the server (the archive has a gap)", gap ? 1 : 0);
        gauge(sb, "spool_bytes", "WAL in the local spool", spoolBytes);
        counter(sb, "reconnects_total", "Replication connections opened again after a failure or the end of a stream",
                reconnects.get());
        sb.append("# HELP walvault_agent_errors_total Errors met by the agent, by kind\n")
                .append("# TYPE walvault_agent_errors_total counter\n");
        Map<String, AtomicLong> sorted = new TreeMap<>(errors);
        for (String kind : new String[] {"connection", "server", "storage", "spool", "backup"}) {
            sorted.putIfAbsent(kind, new AtomicLong());
        }
        sorted.forEach((k, v) -> sb.append("walvault_agent_errors_total{kind=\"").append(k).append("\"} ").append(v.get()).append('\n'));
        if (lastBackupEpochSeconds != 0) {
            // backups taken elsewhere are the repository's gauges' (walvault_status_newest_backup_*)
            gauge(sb, "last_backup_timestamp_seconds", "Start of the agent's last scheduled backup that succeeded, Unix time",
                    lastBackupEpochSeconds);
            gauge(sb, "last_backup_age_seconds", "Seconds since the agent's last scheduled backup that succeeded",
                    now / 1000 - lastBackupEpochSeconds);
        }
        if (lastBackupOk != NONE_RAN) {
            gauge(sb, "last_backup_success", "1 if the agent's last scheduled backup succeeded, 0 if it failed", lastBackupOk);
        }
        sb.append("# HELP walvault_agent_backups_total Scheduled backups by result\n")
                .append("# TYPE walvault_agent_backups_total counter\n")
                .append("walvault_agent_backups_total{result=\"success\"} ").append(backupsOk.get()).append('\n')
                .append("walvault_agent_backups_total{result=\"failure\"} ").append(backupsFailed.get()).append('\n');
        sb.append(BuildInfo.prometheus());
        sb.append(repositoryGauges.get());
        return sb.toString();
    }

    private static void gauge(StringBuilder sb, String name, String help, double value) {
        metric(sb, name, help, "gauge", value);
    }

    private static void counter(StringBuilder sb, String name, String help, double value) {
        metric(sb, name, help, "counter", value);
    }

    private static void metric(StringBuilder sb, String name, String help, String type, double value) {
        String full = "walvault_agent_" + name;
        sb.append("# HELP ").append(full).append(' ').append(help).append('\n')
                .append("# TYPE ").append(full).append(' ').append(type).append('\n')
                .append(full).append(' ');
        if (value == Math.rint(value) && Math.abs(value) < 1e18) {
            sb.append((long) value);
        } else {
            sb.append(String.format(Locale.ROOT, "%.3f", value));
        }
        sb.append('\n');
    }
}
