package io.walvault.restore.plan;

import static java.util.Objects.requireNonNull;

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
        requireNonNull(state, "state is null");
        List<BackupInfo> backups = state.backups();
        boolean needsWal = target instanceof RecoveryTarget.Time || target instanceof RecoveryTarget.Xid
                || target instanceof RecoveryTarget.Name;
        if (!needsWal) {
            return new Planned(RestorePlanner.plan(backups, state.listing(),
                    new RestorePlanner.Request(target, timeline, backupId, Optional.empty())), Optional.empty());
        }
        List<String> candidates = new ArrayList<>();
        if (backupId.isPresent()) {
            candidates.add(backupId.get());
        } else {
            backups.stream().filter(b -> !(target instanceof RecoveryTarget.Time t) || !b.stopTime().isAfter(t.time()))
                    .sorted(Comparator.comparing(BackupInfo::stopTime).reversed()).map(BackupInfo::id).forEach(candidates::add);
        }
        if (candidates.isEmpty()) {
            // the planner explains that no backup ends before the target
            RestorePlanner.plan(backups, state.listing(), new RestorePlanner.Request(target, timeline, backupId, Optional.empty()));
            throw new IllegalStateException("unreachable: the planner accepted a target no backup precedes");
        }
        RestorePlanException last = null;
        for (String id : candidates) {
            try {
                RestorePlan toEnd = RestorePlanner.plan(backups, state.listing(),
                        new RestorePlanner.Request(target, timeline, Optional.of(id), Optional.empty()));
                TargetResolver.Resolution r = TargetResolver.resolve(toEnd, state.walSource(), target, inclusive);
                RestorePlan plan = RestorePlanner.plan(backups, state.listing(),
                        new RestorePlanner.Request(target, timeline, Optional.of(id), Optional.of(r.walNeededUntil())));
                return new Planned(plan, Optional.of(r));
            } catch (RestorePlanException e) {
                if (backupId.isPresent()) {
                    throw e;
                }
                last = e;
            }
        }
        throw last;
    }
}
