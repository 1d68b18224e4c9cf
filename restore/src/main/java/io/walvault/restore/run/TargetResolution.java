package io.walvault.restore.run;

import static java.util.Objects.requireNonNull;

import io.walvault.core.pipeline.Futures;
import io.walvault.restore.plan.ClusterState;
import io.walvault.restore.plan.TargetPlanning;
import io.walvault.restore.recovery.RecoveryTarget;
import io.walvault.restore.recovery.TargetTimeline;
import java.util.concurrent.CompletableFuture;

/**
 * The search for a time target's stop record in the archived WAL, on a thread of its own while
 * the backup is extracted ({@link TargetPlanning#resolve}): the restore command no longer waits
 * for it before it writes the first byte. {@link #await} gives the plan that ends at the target,
 * or the planning failure exactly as a search made first would have thrown it. One per restore.
 */
final class TargetResolution {

    private final String backupId;
    private final CompletableFuture<TargetPlanning.Planned> result = new CompletableFuture<>();

    private TargetResolution(String backupId) {
        this.backupId = backupId;
    }

    /** Starts searching the WAL after backup {@code backupId} for {@code target}. */
    static TargetResolution start(ClusterState state, RecoveryTarget target, TargetTimeline timeline, String backupId,
                                  boolean inclusive) {
        requireNonNull(state, "state is null");
        TargetResolution r = new TargetResolution(requireNonNull(backupId, "backupId is null"));
        Thread t = new Thread(() -> {
            try {
                r.result.complete(TargetPlanning.resolve(state, target, timeline, backupId, inclusive));
            } catch (Throwable e) {
                r.result.completeExceptionally(e);
            }
        }, "restore-target-resolution");
        t.setDaemon(true);
        t.start();
        return r;
    }

    /** The backup whose WAL is searched. */
    String backupId() {
        return backupId;
    }

    /** Waits for the search; rethrows its failure as it was thrown. */
    TargetPlanning.Planned await() {
        return Futures.join(result, "the recovery target was searched for in the archived WAL");
    }
}
