package io.walvault.archiver.stream;

import io.walvault.core.wal.Lsn;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The agent's state as Prometheus metrics (text exposition format 0.0.4). Written by the
 * receive loop and the backup scheduler, read by the metrics server: thread-safe, every value
 * is a single atomic or volatile field.
 *
 * <p>Names (all prefixed {@code walvault_agent_}): see {@link #render()} and docs/ARCHITECTURE.md.
 */
public final class AgentMetrics {

    private volatile long serverWalEnd;
    private volatile long durable;
    private volatile long oldestUndurableMillis;
    private volatile String lastSegment = "";
    private volatile boolean streaming;
    private volatile boolean gap;
    private volatile long spoolBytes;
    private volatile long lastBackupEpochSeconds;
    private volatile int lastBackupOk = -1;
    private final AtomicLong segments = new AtomicLong();
    private final AtomicLong partials = new AtomicLong();
    private final AtomicLong reconnects = new AtomicLong();
    private final AtomicLong backupsOk = new AtomicLong();
    private final AtomicLong backupsFailed = new AtomicLong();
    private final Map<String, AtomicLong> errors = new ConcurrentHashMap<>();

    void serverWalEnd(Lsn end) {
        if (Long.compareUnsigned(end.value(), serverWalEnd) > 0) {
            serverWalEnd = end.value();
        }
    }

    /** WAL up to {@code position} is durable in the repository; {@code segment} is the newest archived. */
    void durable(Lsn position, String segment, boolean partial) {
        durable = position.value();
        if (serverWalEnd != 0 && Long.compareUnsigned(serverWalEnd, durable) < 0) {
            serverWalEnd = durable;
        }
        if (segment != null) {
            lastSegment = segment;
        }
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
        gauge(sb, "durable_lsn", "WAL position durable in the repository (the slot's flush position), as a number", durable);
        sb.append("# HELP walvault_agent_last_archived_segment_info The newest segment (or partial) stored in the repository\n")
                .append("# TYPE walvault_agent_last_archived_segment_info gauge\n")
                .append("walvault_agent_last_archived_segment_info{segment=\"").append(lastSegment).append("\"} 1\n");
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
        gauge(sb, "last_backup_timestamp_seconds", "Start of the last scheduled backup that succeeded, Unix time (0: none)",
                lastBackupEpochSeconds);
        gauge(sb, "last_backup_age_seconds", "Seconds since the last scheduled backup that succeeded (-1: none)",
                lastBackupEpochSeconds == 0 ? -1 : now / 1000 - lastBackupEpochSeconds);
        gauge(sb, "last_backup_success", "1 if the last scheduled backup succeeded, 0 if it failed, -1 if none ran", lastBackupOk);
        sb.append("# HELP walvault_agent_backups_total Scheduled backups by result\n")
                .append("# TYPE walvault_agent_backups_total counter\n")
                .append("walvault_agent_backups_total{result=\"success\"} ").append(backupsOk.get()).append('\n')
                .append("walvault_agent_backups_total{result=\"failure\"} ").append(backupsFailed.get()).append('\n');
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
