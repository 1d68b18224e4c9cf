package io.walvault.restore.plan;

import static java.util.Objects.requireNonNull;

import io.walvault.core.error.ErrorCode;
import io.walvault.core.repo.BackupInfo;
import io.walvault.restore.recovery.RecoveryTarget;
import io.walvault.restore.recovery.TargetTimeline;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * Plans a restore for a target, finding time, transaction and restore-point targets in the
 * archived WAL first ({@link TargetResolver}), so that the plan covers exactly the WAL recovery
 * will read and the backup is one from which the target is reachable: without {@code --backup},
 * backups are tried newest first (by end time) until one reaches the target. Nothing is
 * downloaded but the WAL the resolver reads. Stateless.
 */
public final class TargetPlanning {

    /**
     * A plan and, for time, xid and name targets, where recovery will stop.
     *
     * @param plan the restore plan
     * @param resolution the stop record found in the WAL, for targets that need one
     */
    public record Planned(RestorePlan plan, Optional<TargetResolver.Resolution> resolution) {
        public Planned {
            requireNonNull(plan, "plan is null");
            requireNonNull(resolution, "resolution is null");
        }
    }

    private TargetPlanning() {
    }

    public static Planned plan(ClusterState state, RecoveryTarget target, TargetTimeline timeline, Optional<String> backupId,
                               boolean inclusive) {
        return plan(state, target, timeline, backupId, inclusive, Optional.empty());
    }

    /** Whether a target is found by reading archived WAL (time, xid and restore-point targets). */
    public static boolean readsWal(RecoveryTarget target) {
        return target instanceof RecoveryTarget.Time || target instanceof RecoveryTarget.Xid || target instanceof RecoveryTarget.Name;
    }

    /**
     * For a time target: the backup to try first (the one given, else the newest that ended
     * before the target), and its plan to the end of the archive or its first gap, made without
     * reading WAL; the restore extracts it while {@link #resolve} reads the WAL for the stop record. Empty for
     * other targets, whose plan is made at once (none reads WAL, or a restore point or
     * transaction may lie before the newest backup, which only reading the WAL tells).
     */
    public static Optional<RestorePlan> provisional(ClusterState state, RecoveryTarget target, TargetTimeline timeline,
                                                    Optional<String> backupId) {
        requireNonNull(state, "state is null");
        if (!(target instanceof RecoveryTarget.Time)) {
            return Optional.empty();
        }
        List<String> candidates = candidates(state.backups(), target, backupId);
        if (candidates.isEmpty()) {
            return Optional.empty(); // plan() explains
        }
        return Optional.of(RestorePlanner.planForSearch(state.backups(), state.listing(),
                new RestorePlanner.Request(target, timeline, Optional.of(candidates.get(0)), Optional.empty())));
    }

    /**
     * Finds the stop record of {@code target} in the WAL after {@code backupId} (up to the end of
     * the archive or its first gap), and the plan that ends there.
     */
    public static Planned resolve(ClusterState state, RecoveryTarget target, TargetTimeline timeline, String backupId,
                                  boolean inclusive) {
        List<BackupInfo> backups = state.backups();
        RestorePlan toEnd = RestorePlanner.planForSearch(backups, state.listing(),
                new RestorePlanner.Request(target, timeline, Optional.of(backupId), Optional.empty()));
        TargetResolver.Resolution r = TargetResolver.resolve(toEnd, state.walSource(), target, inclusive);
        RestorePlan plan = RestorePlanner.plan(backups, state.listing(),
                new RestorePlanner.Request(target, timeline, Optional.of(backupId), Optional.of(r.walNeededUntil())));
        return new Planned(plan, Optional.of(r));
    }

    /**
     * {@link #plan(ClusterState, RecoveryTarget, TargetTimeline, Optional, boolean)}, without trying
     * {@code tried} (a backup from which the target was found unreachable already).
     */
    public static Planned plan(ClusterState state, RecoveryTarget target, TargetTimeline timeline, Optional<String> backupId,
                               boolean inclusive, Optional<String> tried) {
        requireNonNull(state, "state is null");
        List<BackupInfo> backups = state.backups();
        if (!readsWal(target)) {
            RestorePlanner.Request request = new RestorePlanner.Request(target, timeline, backupId, Optional.empty());
            try {
                return new Planned(RestorePlanner.plan(backups, state.listing(), request), Optional.empty());
            } catch (RestorePlanException e) {
                if (e.code() != ErrorCode.WAL_GAP || !(target instanceof RecoveryTarget.EndOfArchive)) {
                    throw e;
                }
                throw reachBeforeGap(state, request, e);
            }
        }
        List<String> candidates = new ArrayList<>(candidates(backups, target, backupId));
        if (candidates.isEmpty()) {
            // the planner explains that no backup ends before the target
            RestorePlanner.plan(backups, state.listing(), new RestorePlanner.Request(target, timeline, backupId, Optional.empty()));
            throw new IllegalStateException("unreachable: the planner accepted a target no backup precedes");
        }
        // when none reaches the target: the oldest backup's search read the most WAL, so its "not in the archived
        // WAL" says the most; but a gap met by a newer backup's search is what stands between the target and the
        // backup nearest to it (an older one's search stops at the same gap or an earlier one)
        RestorePlanException last = null;
        RestorePlanException newestGap = null;
        for (String id : candidates) {
            if (tried.isPresent() && tried.get().equals(id)) {
                continue;
            }
            try {
                return resolve(state, target, timeline, id, inclusive);
            } catch (RestorePlanException e) {
                if (backupId.isPresent()) {
                    throw e;
                }
                last = e;
                if (newestGap == null && e.code() == ErrorCode.WAL_GAP) {
                    newestGap = e;
                }
            }
        }
        if (last == null) {
            throw new RestorePlanException(ErrorCode.TARGET_UNREACHABLE, "no backup reaches " + target.describe());
        }
        throw newestGap != null ? newestGap : last;
    }

    /**
     * The refusal {@code gap} of a restore to the end of an archive that has a gap, with what
     * recovers everything before it: an LSN target at the last whole record before the gap (a time
     * target at the newest commit would have recovery look for the first commit after it, past the
     * gap), and that commit's time. The refusal as it was when nothing after the backup can be replayed.
     */
    private static RestorePlanException reachBeforeGap(ClusterState state, RestorePlanner.Request request, RestorePlanException gap) {
        RestorePlan toGap;
        try {
            toGap = RestorePlanner.planForSearch(state.backups(), state.listing(), request);
        } catch (RestorePlanException e) {
            return gap; // the backup's own WAL has the gap
        }
        if (toGap.gap().isEmpty()) {
            return gap;
        }
        Optional<TargetResolver.WholeEnd> end = TargetResolver.wholeEnd(toGap, state.walSource());
        if (end.isEmpty()) {
            return gap;
        }
        String newest = end.get().newestCommit().map(t -> "the newest commit before it is at " + t)
                .orElse("no transaction committed between the backup and it");
        return new RestorePlanException(ErrorCode.WAL_GAP, gap.what() + " (" + newest + ") HINT: the archive has a gap; to"
                + " recover everything archived before it, restore with --target-lsn " + end.get().lastWholeRecord() + " (the last whole"
                + " record before '" + toGap.gap().get() + "', from backup '" + toGap.backup().id() + "'); or put the segment"
                + " back (" + RestorePlanException.PUT_BACK + ") and restore again");
    }

    /** Whether a backup other than {@code tried} could be tried for {@code target} (none chosen by hand). */
    public static boolean othersToTry(ClusterState state, RecoveryTarget target, String tried) {
        return candidates(state.backups(), target, Optional.empty()).stream().anyMatch(id -> !id.equals(tried));
    }

    /** The backups to try, in order: the one given, else those that ended before a time target (all for others), newest first. */
    private static List<String> candidates(List<BackupInfo> backups, RecoveryTarget target, Optional<String> backupId) {
        if (backupId.isPresent()) {
            return List.of(backupId.get());
        }
        return backups.stream().filter(b -> !(target instanceof RecoveryTarget.Time t) || !b.stopTime().isAfter(t.time()))
                .sorted(Comparator.comparing(BackupInfo::stopTime).reversed()).map(BackupInfo::id).toList();
    }
}
