package io.walvault.restore.plan;

import static java.util.Objects.requireNonNull;

import io.walvault.core.repo.BackupInfo;
import io.walvault.core.error.ErrorCode;
import io.walvault.core.wal.Lsn;
import io.walvault.core.wal.TimelineHistory;
import io.walvault.core.wal.TimelineId;
import io.walvault.core.wal.WalFileName;
import io.walvault.core.wal.WalSegmentName;
import io.walvault.restore.recovery.RecoveryTarget;
import io.walvault.restore.recovery.TargetTimeline;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Decides what a restore needs before anything is downloaded: which backup, which timelines,
 * and every WAL file recovery will ask for, refusing at once (with the file's name) when the
 * archive cannot get recovery to the target.
 *
 * <p>Rules, as PostgreSQL applies them during recovery:
 * <ul>
 *   <li>The backup is the newest (by wall-clock end time, never by timeline or LSN order) that
 *       ends before the target; a backup whose consistent point lies after the target cannot
 *       serve it.</li>
 *   <li>The target timeline must contain the backup's timeline in its history, and must have left
 *       it no earlier than the backup's end. "latest" is the newest such timeline; a newer
 *       timeline that branched elsewhere (a stray) is reported, not followed.</li>
 *   <li>For each segment, recovery reads the file of the newest timeline on the path that had
 *       begun by that segment (so the segment holding a switch point comes from the new
 *       timeline).</li>
 *   <li>The newest WAL of the target timeline may exist only as a {@code .partial} (streamed but
 *       unfinished): it is used, not thrown away.</li>
 * </ul>
 * Pure logic over a listing; thread-safe.
 */
public final class RestorePlanner {

    /**
     * What the person asked for.
     *
     * @param target where recovery stops
     * @param timeline which timeline to follow
     * @param backupId a backup chosen by hand, instead of the newest that fits
     * @param resolvedStop for time, xid and name targets: the position up to which WAL is
     *                     needed, once the target was found in the WAL (else the plan runs to the
     *                     end of the archive)
     */
    public record Request(RecoveryTarget target, TargetTimeline timeline, Optional<String> backupId,
                          Optional<Lsn> resolvedStop) {
        public Request {
            requireNonNull(target, "target is null");
            requireNonNull(timeline, "timeline is null");
            requireNonNull(backupId, "backupId is null");
            requireNonNull(resolvedStop, "resolvedStop is null");
        }

        public static Request of(RecoveryTarget target) {
            return new Request(target, TargetTimeline.latest(), Optional.empty(), Optional.empty());
        }
    }

    private RestorePlanner() {
    }

    /**
     * How far recovery from backup {@code backupId} can go on {@code timeline} before the end of
     * the archive or its first gap: a plan to the end of the archive that stops at a gap instead
     * of refusing it ({@link RestorePlan#gap()} names the missing segment). For {@code info}'s
     * recoverable windows. Refuses, as {@link #plan} does, a backup whose own WAL is incomplete.
     */
    public static RestorePlan reach(List<BackupInfo> backups, WalArchiveListing archive, String backupId, TargetTimeline timeline) {
        Request request = new Request(new RecoveryTarget.EndOfArchive(), timeline, Optional.of(backupId), Optional.empty());
        BackupInfo b = candidates(backups, request).get(0);
        List<String> warnings = new ArrayList<>();
        return walPlan(b, archive, request, targetTimeline(b, archive, timeline, warnings), warnings, true);
    }

    public static RestorePlan plan(List<BackupInfo> backups, WalArchiveListing archive, Request request) {
        return plan(backups, archive, request, false);
    }

    /**
     * {@link #plan} for a target that is still to be found in the WAL (time, transaction, restore
     * point; no stop resolved yet): the plan runs to the end of the archive or to its first gap
     * ({@link RestorePlan#gap()}), since the target may lie before the gap. The plan made with
     * the resolved stop refuses a gap before the stop as usual.
     */
    public static RestorePlan planForSearch(List<BackupInfo> backups, WalArchiveListing archive, Request request) {
        return plan(backups, archive, request, true);
    }

    private static RestorePlan plan(List<BackupInfo> backups, WalArchiveListing archive, Request request, boolean stopAtGap) {
        List<BackupInfo> candidates = candidates(backups, request);
        RestorePlanException firstTimelineProblem = null;
        for (BackupInfo b : candidates) {
            List<String> warnings = new ArrayList<>();
            TimelineId target;
            try {
                target = targetTimeline(b, archive, request.timeline(), warnings);
            } catch (RestorePlanException e) {
                if (firstTimelineProblem == null) {
                    firstTimelineProblem = e;
                }
                if (request.backupId().isPresent()) {
                    throw e;
                }
                continue;
            }
            return walPlan(b, archive, request, target, warnings, stopAtGap);
        }
        if (firstTimelineProblem != null) {
            throw firstTimelineProblem;
        }
        throw new IllegalStateException("unreachable: no candidates and no error");
    }

    private static List<BackupInfo> candidates(List<BackupInfo> backups, Request request) {
        if (backups.isEmpty()) {
            throw new RestorePlanException(ErrorCode.NO_BACKUP_FOR_TARGET, "the repository holds no backup of this cluster"
                    + " HINT: take one with 'walvault backup'");
        }
        if (request.backupId().isPresent()) {
            String id = request.backupId().get();
            BackupInfo b = backups.stream().filter(x -> x.id().equals(id)).findFirst()
                    .orElseThrow(() -> new RestorePlanException(ErrorCode.NO_BACKUP_FOR_TARGET, "backup '" + id
                            + "' is not in the repository HINT: 'walvault info' lists the backups"));
            checkBackupServes(b, request);
            return List.of(b);
        }
        List<BackupInfo> sorted = new ArrayList<>(backups);
        sorted.sort(Comparator.comparing(BackupInfo::stopTime).reversed());
        List<BackupInfo> fit = sorted.stream().filter(b -> serves(b, request)).toList();
        if (fit.isEmpty()) {
            BackupInfo oldest = sorted.get(sorted.size() - 1);
            throw new RestorePlanException(ErrorCode.NO_BACKUP_FOR_TARGET, "no backup ends before the target "
                    + request.target().describe() + ": the oldest backup '" + oldest.id() + "' ends at "
                    + oldest.stopTime() + " (" + oldest.stopLsn() + ")"
                    + " HINT: a point in time can only be recovered from a backup that ended before it");
        }
        return fit;
    }

    private static boolean serves(BackupInfo b, Request request) {
        RecoveryTarget t = request.target();
        if (request.resolvedStop().isPresent() && !(t instanceof RecoveryTarget.EndOfArchive)
                && !(t instanceof RecoveryTarget.Immediate)) {
            return !request.resolvedStop().get().isBefore(b.stopLsn());
        }
        if (t instanceof RecoveryTarget.AtLsn l) {
            return !l.lsn().isBefore(b.stopLsn());
        }
        if (t instanceof RecoveryTarget.Time time) {
            return !b.stopTime().isAfter(time.time());
        }
        return true;
    }

    private static void checkBackupServes(BackupInfo b, Request request) {
        if (!serves(b, request)) {
            throw new RestorePlanException(ErrorCode.TARGET_UNREACHABLE, "the target " + request.target().describe()
                    + " is before the consistent point of backup '" + b.id() + "' (" + b.stopLsn() + ", " + b.stopTime()
                    + ") HINT: choose an older backup, or leave out --backup to let walvault choose");
        }
    }

    /** The timeline recovery ends on, validated against the backup. */
    private static TimelineId targetTimeline(BackupInfo b, WalArchiveListing archive, TargetTimeline requested,
                                             List<String> warnings) {
        String s = requested.setting();
        if (s.equals("current")) {
            return b.timeline();
        }
        if (!s.equals("latest")) {
            TimelineId t = TimelineId.of(Long.parseLong(s));
            Optional<String> why = whyNotDescendant(b, archive, t);
            if (why.isPresent()) {
                throw new RestorePlanException(ErrorCode.TIMELINE_INVALID, "timeline " + t + " cannot be recovered from backup '"
                        + b.id() + "': " + why.get() + " HINT: valid timelines for this backup: " + validTimelines(b, archive));
            }
            return t;
        }
        TimelineId best = b.timeline();
        for (TimelineId t : archive.timelines()) {
            if (t.compareTo(b.timeline()) <= 0) {
                continue;
            }
            Optional<String> why = whyNotDescendant(b, archive, t);
            if (why.isEmpty()) {
                best = t;
            } else {
                warnings.add("timeline " + t + " is in the archive but is not followed: " + why.get());
            }
        }
        return best;
    }

    private static List<TimelineId> validTimelines(BackupInfo b, WalArchiveListing archive) {
        List<TimelineId> valid = new ArrayList<>();
        for (TimelineId t : archive.timelines()) {
            if (t.compareTo(b.timeline()) >= 0 && whyNotDescendant(b, archive, t).isEmpty()) {
                valid.add(t);
            }
        }
        if (!valid.contains(b.timeline())) {
            valid.add(0, b.timeline());
        }
        return valid;
    }

    private static Optional<String> whyNotDescendant(BackupInfo b, WalArchiveListing archive, TimelineId t) {
        if (t.equals(b.timeline())) {
            return Optional.empty();
        }
        if (t.compareTo(b.timeline()) < 0) {
            return Optional.of("it is older than the backup's timeline " + b.timeline());
        }
        Optional<TimelineHistory> h = archive.history(t);
        if (h.isEmpty()) {
            return Optional.of("its history file '" + t.historyFileName() + "' is not in the archive");
        }
        if (!h.get().includes(b.timeline())) {
            return Optional.of("it did not branch from the backup's timeline " + b.timeline());
        }
        Lsn leftAt = h.get().endOf(b.timeline()).orElseThrow();
        if (leftAt.isBefore(b.stopLsn())) {
            return Optional.of("it left timeline " + b.timeline() + " at " + leftAt + ", before the backup's consistent point "
                    + b.stopLsn());
        }
        return Optional.empty();
    }

    /** A timeline of the path and the position where it begins. */
    private record Leg(TimelineId timeline, Lsn begin) {
    }

    private static List<Leg> path(BackupInfo b, WalArchiveListing archive, TimelineId target) {
        List<Leg> legs = new ArrayList<>();
        legs.add(new Leg(b.timeline(), b.startLsn()));
        if (!target.equals(b.timeline())) {
            TimelineHistory h = archive.history(target).orElseThrow();
            List<TimelineHistory.Entry> entries = h.entries();
            for (int i = 0; i < entries.size(); i++) {
                TimelineHistory.Entry e = entries.get(i);
                if (e.timeline().compareTo(b.timeline()) < 0) {
                    continue;
                }
                TimelineId next = i + 1 < entries.size() ? entries.get(i + 1).timeline() : target;
                legs.add(new Leg(next, e.end()));
            }
        }
        return legs;
    }

    private static RestorePlan walPlan(BackupInfo b, WalArchiveListing archive, Request request, TimelineId target,
                                       List<String> warnings, boolean stopAtGap) {
        long seg = archive.segmentSize();
        List<Leg> legs = path(b, archive, target);
        RecoveryTarget t = request.target();
        Optional<Lsn> stop;
        if (t instanceof RecoveryTarget.Immediate) {
            stop = Optional.of(b.stopLsn());
        } else if (t instanceof RecoveryTarget.AtLsn l) {
            stop = Optional.of(l.lsn().plus(1));
        } else if (t instanceof RecoveryTarget.EndOfArchive) {
            stop = Optional.empty();
        } else {
            stop = request.resolvedStop();
        }
        long first = b.startLsn().segmentNumber(seg);
        long backupLast = b.stopLsn().plus(-1).segmentNumber(seg);
        Long last = stop.map(s -> s.plus(-1).segmentNumber(seg)).orElse(null);

        List<RestorePlan.PlannedWal> wal = new ArrayList<>();
        WalSegmentName gap = null;
        long walBytes = 0;
        long segNo = first;
        Lsn walEnd = b.startLsn().segmentStart(seg);
        while (last == null || segNo <= last) {
            TimelineId tli = timelineOf(legs, segNo, seg);
            OptionalLong complete = archive.segment(tli, segNo);
            WalSegmentName name = new WalSegmentName(tli, segNo, seg);
            if (complete.isPresent()) {
                wal.add(new RestorePlan.PlannedWal(WalFileName.parse(name.fileName()), complete.getAsLong()));
                walBytes += complete.getAsLong();
                walEnd = name.endLsn();
                segNo++;
                continue;
            }
            OptionalLong partial = archive.partial(tli, segNo);
            boolean newestOfTarget = tli.equals(target) && archive.newestSegment(tli).orElse(-1) == segNo;
            if (partial.isPresent() && newestOfTarget) {
                wal.add(new RestorePlan.PlannedWal(WalFileName.parse(name.fileName() + ".partial"), partial.getAsLong()));
                walBytes += partial.getAsLong();
                walEnd = name.endLsn();
                segNo++;
                break;
            }
            Optional<WalSegmentName> later = newestLater(archive, legs, segNo, seg);
            if (segNo <= backupLast) {
                throw new RestorePlanException(ErrorCode.WAL_GAP, "WAL segment '" + name + "' is missing from the archive,"
                        + " and backup '" + b.id() + "' needs it to become consistent (its WAL runs from " + b.startLsn()
                        + " to " + b.stopLsn() + ") HINT: this backup cannot be restored; choose another with --backup");
            }
            if (later.isPresent() && stopAtGap && last == null) {
                gap = name;
                break;
            }
            if (later.isPresent()) {
                throw new RestorePlanException(ErrorCode.WAL_GAP, "WAL segment '" + name + "' is missing from the archive;"
                        + " recovery cannot pass it, though later WAL exists (up to '" + later.get() + "')"
                        + " HINT: the archive has a gap; a target before " + name.startLsn() + " can still be reached");
            }
            if (last != null) {
                throw new RestorePlanException(ErrorCode.TARGET_UNREACHABLE, "the target " + t.describe()
                        + " needs WAL segment '" + name + "', but the archive ends before it (newest archived WAL ends at "
                        + walEnd + ") HINT: wait for the WAL to be archived, or choose an earlier target");
            }
            break; // the end of the archive
        }
        List<TimelineId> timelinePath = legs.stream().map(Leg::timeline).toList();
        return new RestorePlan(b, t, target, timelinePath, wal, walEnd, b.restoreReadBytes() + walBytes, warnings, seg,
                Optional.ofNullable(gap));
    }

    private static TimelineId timelineOf(List<Leg> legs, long segNo, long seg) {
        TimelineId tli = legs.get(0).timeline();
        for (Leg l : legs) {
            if (l.begin().segmentNumber(seg) <= segNo) {
                tli = l.timeline();
            }
        }
        return tli;
    }

    /**
     * The newest archived segment after {@code segNo} that recovery along {@code legs} would read:
     * of each timeline, only the segments up to where the path leaves it count (a timeline's WAL
     * past its branch point, written by the old primary or by the recovery that stopped there,
     * is no gap in the path that branched off).
     */
    private static Optional<WalSegmentName> newestLater(WalArchiveListing archive, List<Leg> legs, long segNo, long seg) {
        WalSegmentName best = null;
        for (int i = 0; i < legs.size(); i++) {
            TimelineId tl = legs.get(i).timeline();
            long newest = archive.newestSegment(tl).orElse(-1);
            if (i + 1 < legs.size()) {
                long left = legs.get(i + 1).begin().segmentNumber(seg);
                for (newest = Math.min(newest, left); newest > segNo && archive.segment(tl, newest).isEmpty()
                        && archive.partial(tl, newest).isEmpty(); newest--) {
                    // the newest of this timeline's segments on the path
                }
            }
            if (newest > segNo && (best == null || newest > best.segmentNumber())) {
                best = new WalSegmentName(tl, newest, seg);
            }
        }
        return Optional.ofNullable(best);
    }
}
