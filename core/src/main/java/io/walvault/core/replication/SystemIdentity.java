package io.walvault.core.replication;

import static java.util.Objects.requireNonNull;

import io.walvault.core.wal.Lsn;
import io.walvault.core.wal.TimelineId;

/**
 * The answer to IDENTIFY_SYSTEM.
 *
 * @param systemId the cluster's system identifier (unsigned 64-bit, as text)
 * @param timeline the server's current timeline
 * @param flushPosition the current WAL flush position (the replay position on a standby)
 */
public record SystemIdentity(String systemId, TimelineId timeline, Lsn flushPosition) {
    public SystemIdentity {
        requireNonNull(systemId, "systemId is null");
        requireNonNull(timeline, "timeline is null");
        requireNonNull(flushPosition, "flushPosition is null");
        if (systemId.isEmpty() || !systemId.chars().allMatch(Character::isDigit)) {
            throw new IllegalArgumentException("system identifier '" + systemId + "' is not a number");
        }
    }
}
