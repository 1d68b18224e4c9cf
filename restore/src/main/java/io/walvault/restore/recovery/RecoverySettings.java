package io.walvault.restore.recovery;

import static java.util.Objects.requireNonNull;

import java.util.List;

/**
 * Everything walvault writes into a restored data directory to make PostgreSQL recover it.
 *
 * @param restoreCommand the shell command PostgreSQL runs to fetch WAL ({@code %f}, {@code %p})
 * @param recoveryEndCommand the shell command PostgreSQL runs once recovery has ended (removes
 *                           what restore_command needed), or empty
 * @param target where recovery stops
 * @param inclusive whether a time, xid or LSN target includes the target itself
 * @param action what the server does at the target
 * @param timeline which timeline recovery follows
 * @param disableArchiving whether the restored server must not archive (archive_mode off), so a
 *                         scratch or drill restore never writes into the repository it came from
 * @param mode to a target, or as a standby
 * @param extra more settings, written after walvault's own
 */
public record RecoverySettings(String restoreCommand, String recoveryEndCommand, RecoveryTarget target, boolean inclusive, TargetAction action,
                               TargetTimeline timeline, boolean disableArchiving, RecoveryMode mode, List<RecoveryOption> extra) {

    /** Recovery to {@code target}, nothing more. */
    public RecoverySettings(String restoreCommand, String recoveryEndCommand, RecoveryTarget target, boolean inclusive,
                            TargetAction action, TargetTimeline timeline, boolean disableArchiving) {
        this(restoreCommand, recoveryEndCommand, target, inclusive, action, timeline, disableArchiving, RecoveryMode.targeted(),
                List.of());
    }

    public RecoverySettings {
        requireNonNull(mode, "mode is null");
        extra = List.copyOf(extra);
        if (mode instanceof RecoveryMode.Standby && !(target instanceof RecoveryTarget.EndOfArchive)) {
            throw new IllegalArgumentException("a standby follows the WAL to its end: no recovery target");
        }
        requireNonNull(restoreCommand, "restoreCommand is null");
        requireNonNull(recoveryEndCommand, "recoveryEndCommand is null");
        requireNonNull(target, "target is null");
        requireNonNull(action, "action is null");
        requireNonNull(timeline, "timeline is null");
        if (restoreCommand.isBlank()) {
            throw new IllegalArgumentException("restore command is empty");
        }
    }
}
