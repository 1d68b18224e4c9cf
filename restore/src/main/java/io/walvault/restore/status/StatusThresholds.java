package io.walvault.restore.status;

import static java.util.Objects.requireNonNull;

import java.time.Duration;
import java.util.Optional;

/**
 * How old the newest archived WAL and the newest backup may be before {@code walvault status}
 * calls the cluster not healthy; an absent limit is not checked.
 *
 * @param maxArchiveAge the newest archived WAL file must have reached the repository within it
 * @param maxBackupAge  the newest restorable backup must have ended within it
 */
public record StatusThresholds(Optional<Duration> maxArchiveAge, Optional<Duration> maxBackupAge) {

    public static final StatusThresholds NONE = new StatusThresholds(Optional.empty(), Optional.empty());

    public StatusThresholds {
        requireNonNull(maxArchiveAge, "maxArchiveAge is null");
        requireNonNull(maxBackupAge, "maxBackupAge is null");
        maxArchiveAge.ifPresent(StatusThresholds::positive);
        maxBackupAge.ifPresent(StatusThresholds::positive);
    }

    private static void positive(Duration d) {
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException("a limit must be positive, not " + d);
        }
    }
}
