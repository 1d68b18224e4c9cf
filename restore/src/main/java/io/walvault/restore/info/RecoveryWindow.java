package io.walvault.restore.info;

import static java.util.Objects.requireNonNull;

import io.walvault.core.wal.Lsn;
import io.walvault.core.wal.TimelineId;
import io.walvault.core.wal.WalSegmentName;
import java.time.Instant;
import java.util.Optional;

/**
 * A stretch of time one can recover to without a break: from the end of a backup (its
 * consistent point) to the end of the WAL that follows it without a gap. A repository with a
 * gap in its WAL has several; no point between two of them can be reached.
 *
 * @param startTime   when the first backup of the window ended
 * @param startLsn    its consistent point
 * @param fromBackup  that backup
 * @param endLsn      the end of the last WAL the window reaches
 * @param endTimeline the timeline it ends on
 * @param endCommit   the time of the last commit in the window's last WAL file, when it holds one
 * @param lastWal     the last WAL file (a segment, or its timeline's newest {@code .partial})
 * @param endsAtGap   the missing segment that ends the window though later WAL is archived
 */
public record RecoveryWindow(Instant startTime, Lsn startLsn, String fromBackup, Lsn endLsn, TimelineId endTimeline,
                             Optional<Instant> endCommit, Optional<String> lastWal, Optional<WalSegmentName> endsAtGap) {
    public RecoveryWindow {
        requireNonNull(startTime, "startTime is null");
        requireNonNull(startLsn, "startLsn is null");
        requireNonNull(fromBackup, "fromBackup is null");
        requireNonNull(endLsn, "endLsn is null");
        requireNonNull(endTimeline, "endTimeline is null");
        requireNonNull(endCommit, "endCommit is null");
        requireNonNull(lastWal, "lastWal is null");
        requireNonNull(endsAtGap, "endsAtGap is null");
    }

    /** The start, for people. */
    public String describeStart() {
        return startTime + " (" + startLsn + ", end of backup '" + fromBackup + "')";
    }

    /** The end, for people. */
    public String describeEnd() {
        return endLsn + " on timeline " + endTimeline + endCommit.map(t -> ", last commit at " + t).orElse("")
                + lastWal.map(w -> " (end of '" + w + "')").orElse("")
                + endsAtGap.map(g -> "; WAL segment '" + g + "' is missing after it").orElse("");
    }
}
