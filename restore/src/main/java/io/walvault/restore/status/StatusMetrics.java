package io.walvault.restore.status;

import io.walvault.restore.status.StatusProblem.Kind;
import java.time.Instant;
import java.util.Locale;

/**
 * A {@link StatusReport} as Prometheus gauges (text format 0.0.4), for node_exporter's textfile
 * collector: {@code walvault status --prometheus}. Every series carries the cluster's
 * {@code system_identifier}; units are in the names; what is unknown (the RPO without a server,
 * the age of a backup that does not exist) has no sample rather than a sentinel value.
 */
public final class StatusMetrics {

    private StatusMetrics() {
    }

    public static String render(StatusReport r) {
        String id = "system_identifier=\"" + Long.toUnsignedString(r.systemId()) + "\"";
        StringBuilder sb = new StringBuilder(2048);
        gauge(sb, "healthy", "1 when status finds nothing wrong, else 0", id, r.healthy() ? 1 : 0);
        head(sb, "problems", "Problems status found, by kind");
        for (Kind k : Kind.values()) {
            sample(sb, "problems", id + ",kind=\"" + k.name() + "\"", r.problems().stream().filter(p -> p.kind() == k).count());
        }
        gauge(sb, "measured_timestamp_seconds", "When status measured, Unix time", id, epoch(r.at()));
        r.rpo().ifPresent(p -> gauge(sb, "rpo_bytes", "WAL the server has written past the end of the latest recovery window",
                id, p.bytes()));
        r.rpo().filter(p -> p.seconds().isPresent()).ifPresent(p -> gauge(sb, "rpo_seconds", "Seconds since the latest"
                + " recovery window's last WAL file reached the repository, while the server wrote past it (0 when it did not)",
                id, p.seconds().getAsLong()));
        r.rto().seconds().ifPresent(s -> gauge(sb, "rto_seconds", "Estimated seconds a restore to the end of the latest"
                + " recovery window would take, from earlier restores' and drills' throughput", id, s));
        r.newestWal().ifPresent(w -> {
            gauge(sb, "newest_wal_timestamp_seconds", "When the newest archived WAL file reached the repository, Unix time", id,
                    epoch(w.archivedAt()));
            gauge(sb, "newest_wal_age_seconds", "Seconds since the newest archived WAL file reached the repository", id,
                    r.newestWalAge().orElseThrow().toMillis() / 1000.0);
        });
        r.newestBackup().ifPresent(b -> {
            gauge(sb, "newest_backup_end_timestamp_seconds", "When the newest restorable backup ended, Unix time", id,
                    epoch(b.stopTime()));
            gauge(sb, "newest_backup_age_seconds", "Seconds since the newest restorable backup ended", id,
                    r.newestBackupAge().orElseThrow().toMillis() / 1000.0);
        });
        gauge(sb, "recovery_windows", "Stretches one can recover to (more than one when the WAL has gaps)", id, r.windows().size());
        if (!r.windows().isEmpty()) {
            gauge(sb, "recovery_window_start_timestamp_seconds", "The earliest point one can recover to, Unix time", id,
                    epoch(r.windows().get(0).startTime()));
        }
        gauge(sb, "wal_gap_segments", "WAL segments missing between archived ones", id,
                r.gaps().stream().mapToLong(g -> g.count()).sum());
        return sb.toString();
    }

    private static double epoch(Instant t) {
        return t.toEpochMilli() / 1000.0;
    }

    private static void gauge(StringBuilder sb, String name, String help, String labels, double value) {
        head(sb, name, help);
        sample(sb, name, labels, value);
    }

    private static void head(StringBuilder sb, String name, String help) {
        sb.append("# HELP walvault_status_").append(name).append(' ').append(help).append('\n')
                .append("# TYPE walvault_status_").append(name).append(" gauge\n");
    }

    private static void sample(StringBuilder sb, String name, String labels, double value) {
        sb.append("walvault_status_").append(name).append('{').append(labels).append("} ");
        if (value == Math.rint(value) && Math.abs(value) < 1e15) {
            sb.append((long) value);
        } else {
            sb.append(String.format(Locale.ROOT, "%.3f", value));
        }
        sb.append('\n');
    }
}
