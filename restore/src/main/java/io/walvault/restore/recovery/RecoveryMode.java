package io.walvault.restore.recovery;

import static java.util.Objects.requireNonNull;

import java.util.Optional;

/**
 * How a restored server recovers: to a target and then as {@link TargetAction} says
 * ({@code recovery.signal}), or as a standby ({@code standby.signal}) that replays the
 * repository's WAL through archive-get for good and, with a {@code primary_conninfo}, streams
 * from the primary once the archive has nothing more; it ends only when promoted.
 */
public sealed interface RecoveryMode {

    /** Recovery to a target (or to the end of the archive), then the target action. */
    record Targeted() implements RecoveryMode {
    }

    /**
     * A standby.
     *
     * @param primaryConninfo the primary to stream from once the archive has nothing more, or
     *        none: the standby follows the repository alone
     */
    record Standby(Optional<String> primaryConninfo) implements RecoveryMode {
        public Standby {
            requireNonNull(primaryConninfo, "primaryConninfo is null");
            primaryConninfo.ifPresent(c -> {
                if (c.isBlank()) {
                    throw new IllegalArgumentException("primary conninfo is empty");
                }
            });
        }
    }

    static RecoveryMode targeted() {
        return new Targeted();
    }
}
