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
 * @param walGaps those of {@code problems} that say which WAL is missing from the archive (the
 *                recovery windows' gaps, and what archive-push gave up): {@code status} states
 *                them as problems of its own, with what to do
 */
public record ClusterReport(long systemId, List<BackupInfo> backups, List<TimelineWal> wal, Optional<String> earliest,
                            Optional<String> latest, List<String> problems, List<RecoveryWindow> windows,
                            List<String> walGaps) {
    public ClusterReport {
        backups = List.copyOf(backups);
        wal = List.copyOf(wal);
        requireNonNull(earliest, "earliest is null");
        requireNonNull(latest, "latest is null");
        problems = List.copyOf(problems);
        windows = List.copyOf(windows);
        walGaps = List.copyOf(walGaps);
        if (!problems.containsAll(walGaps)) {
            throw new IllegalArgumentException("a WAL gap that is not among the problems");
        }
    }

    /** A report whose problems say nothing of WAL missing from the archive. */
    public ClusterReport(long systemId, List<BackupInfo> backups, List<TimelineWal> wal, Optional<String> earliest,
                         Optional<String> latest, List<String> problems, List<RecoveryWindow> windows) {
        this(systemId, backups, wal, earliest, latest, problems, windows, List.of());
    }

    /** The problems apart from {@link #walGaps()}. */
    public List<String> problemsBesideWalGaps() {
        return problems.stream().filter(p -> !walGaps.contains(p)).toList();
    }
}
