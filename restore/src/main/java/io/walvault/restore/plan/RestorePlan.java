package io.walvault.restore.plan;

import static java.util.Objects.requireNonNull;

import io.walvault.core.repo.BackupInfo;
import io.walvault.core.wal.Lsn;
import io.walvault.core.wal.TimelineId;
import io.walvault.core.wal.WalFileName;
import io.walvault.core.wal.WalSegmentName;
import io.walvault.restore.recovery.RecoveryTarget;
import java.util.List;
import java.util.Optional;

/**
 * What a restore will do, decided before anything is downloaded: the backup, the timelines
 * recovery follows, every WAL file it needs, and how many bytes that is.
 *
 * @param backup the backup to restore
 * @param target the recovery target
 * @param targetTimeline the timeline recovery ends on (written as recovery_target_timeline)
 * @param timelinePath the timelines from the backup's to the target's, oldest first
 * @param wal the WAL files recovery will ask for, in order, with their stored sizes
 * @param walEnd the position just past the WAL the plan covers
 * @param bytesToFetch the backup's and the WAL's stored bytes
 * @param warnings things the person restoring should know (stray timelines, data after a gap)
 * @param segmentSize the cluster's WAL segment size
 * @param gap for {@link RestorePlanner#reach} and {@link RestorePlanner#planForSearch} only: the
 *            missing segment where the plan stops though later WAL is archived
 */
public record RestorePlan(BackupInfo backup, RecoveryTarget target, TimelineId targetTimeline,
                          List<TimelineId> timelinePath, List<PlannedWal> wal, Lsn walEnd, long bytesToFetch,
                          List<String> warnings, long segmentSize, Optional<WalSegmentName> gap) {

    /** One WAL file of the plan. */
    public record PlannedWal(WalFileName file, long storedBytes) {
        public PlannedWal {
            requireNonNull(file, "file is null");
        }
    }

    public RestorePlan {
        requireNonNull(backup, "backup is null");
        requireNonNull(target, "target is null");
        requireNonNull(targetTimeline, "targetTimeline is null");
        timelinePath = List.copyOf(timelinePath);
        wal = List.copyOf(wal);
        requireNonNull(walEnd, "walEnd is null");
        warnings = List.copyOf(warnings);
        requireNonNull(gap, "gap is null");
    }

    /** The first WAL file recovery asks for. */
    public Optional<WalFileName> firstWal() {
        return wal.isEmpty() ? Optional.empty() : Optional.of(wal.get(0).file());
    }

    /** The last WAL file recovery asks for. */
    public Optional<WalFileName> lastWal() {
        return wal.isEmpty() ? Optional.empty() : Optional.of(wal.get(wal.size() - 1).file());
    }
}
