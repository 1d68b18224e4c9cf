package io.walvault.core.wal;

import static java.util.Objects.requireNonNull;

/**
 * Where a server's WAL stands, as read from it: on a primary the position it has written to
 * ({@code pg_current_wal_lsn()}), on a standby the position it has replayed to
 * ({@code pg_last_wal_replay_lsn()}).
 *
 * @param systemId the server's system identifier
 * @param lsn      its WAL position
 * @param standby  whether the server is in recovery (a standby)
 */
public record ServerWalPosition(long systemId, Lsn lsn, boolean standby) {
    public ServerWalPosition {
        requireNonNull(lsn, "lsn is null");
    }
}
