package io.walvault.restore.recovery;

import static java.util.Objects.requireNonNull;

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
 */
public record RecoverySettings(String restoreCommand, String recoveryEndCommand, RecoveryTarget target, boolean inclusive, TargetAction action,
                               TargetTimeline timeline, boolean disableArchiving) {
    public RecoverySettings {
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
