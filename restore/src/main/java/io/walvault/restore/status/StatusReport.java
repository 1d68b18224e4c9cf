package io.walvault.restore.status;

import static java.util.Objects.requireNonNull;

import io.walvault.core.repo.BackupInfo;
import io.walvault.restore.info.RecoveryWindow;
import io.walvault.restore.info.TimelineWal;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * What {@code walvault status} says of one cluster at one moment.
 *
 * @param at           the moment (ages are measured to it)
 * @param systemId     the cluster
 * @param server       the server's WAL position, or why it is unknown
 * @param rpo          how far the recoverable WAL is behind the server; empty when the server's
 *                     position or a recovery window is unknown
 * @param rto          how long a restore to now would take, or why that is unknown
 * @param newestWal    the newest archived WAL file, if any
 * @param newestBackup the newest restorable backup, if any
 * @param windows      the recoverable windows, as {@code info} computes them
 * @param gaps         WAL segments missing between archived ones, as {@code info} finds them
 * @param problems     why the cluster is not healthy (none: healthy)
 * @param warnings     what {@code info} warns of for the cluster, for people, but the WAL missing from
 *                     the archive, which {@code problems} state
 */
public record StatusReport(Instant at, long systemId, ServerReading server, Optional<Rpo> rpo, Rto rto,
                           Optional<ArchivedFile> newestWal,
                           Optional<BackupInfo> newestBackup, List<RecoveryWindow> windows, List<TimelineWal.Gap> gaps,
                           List<StatusProblem> problems, List<String> warnings) {

    public StatusReport {
        requireNonNull(at, "at is null");
        requireNonNull(server, "server is null");
        requireNonNull(rpo, "rpo is null");
        requireNonNull(rto, "rto is null");
        requireNonNull(newestWal, "newestWal is null");
        requireNonNull(newestBackup, "newestBackup is null");
        windows = List.copyOf(windows);
        gaps = List.copyOf(gaps);
        problems = List.copyOf(problems);
        warnings = List.copyOf(warnings);
    }

    /** Nothing status checks is wrong. */
    public boolean healthy() {
        return problems.isEmpty();
    }

    /** How long ago the newest archived WAL file reached the repository. */
    public Optional<Duration> newestWalAge() {
        return newestWal.map(w -> age(w.archivedAt()));
    }

    /** How long ago the newest backup ended. */
    public Optional<Duration> newestBackupAge() {
        return newestBackup.map(b -> age(b.stopTime()));
    }

    /** The time from {@code t} to {@link #at}; 0 for a time after it (another machine's clock ahead of this one's). */
    Duration age(Instant t) {
        Duration d = Duration.between(t, at);
        return d.isNegative() ? Duration.ZERO : d;
    }
}
