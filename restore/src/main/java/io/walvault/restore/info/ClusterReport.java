package io.walvault.restore.info;

import static java.util.Objects.requireNonNull;

import io.walvault.core.repo.BackupInfo;
import java.util.List;
import java.util.Optional;

/**
 * What {@code walvault info} says of one cluster in the repository.
 *
 * @param systemId the cluster's system identifier
 * @param backups every backup, oldest first
 * @param wal the archived WAL per timeline
 * @param earliest the earliest point one can recover to (the oldest restorable backup's end), if any
 * @param latest the latest point one can recover to (the end of the WAL that follows the newest backup without a gap), if any
 * @param problems why a window could not be given, or what is wrong in it
 * @param windows the stretches one can recover to, oldest first (more than one when the WAL has gaps)
 */
public record ClusterReport(long systemId, List<BackupInfo> backups, List<TimelineWal> wal, Optional<String> earliest,
                            Optional<String> latest, List<String> problems, List<RecoveryWindow> windows) {
    public ClusterReport {
        backups = List.copyOf(backups);
        wal = List.copyOf(wal);
        requireNonNull(earliest, "earliest is null");
        requireNonNull(latest, "latest is null");
        problems = List.copyOf(problems);
        windows = List.copyOf(windows);
    }
}
