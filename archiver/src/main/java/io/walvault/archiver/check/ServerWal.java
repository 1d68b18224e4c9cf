package io.walvault.archiver.check;

import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;
import io.walvault.core.replication.conn.ConnectionSettings;
import io.walvault.core.wal.ServerWalPosition;

/**
 * Reads a server's WAL position over SQL, with the conninfo walvault's other commands use (a
 * TCP connection; the role needs no grant beyond CONNECT): what {@code walvault status}
 * measures the archive against.
 */
public final class ServerWal {

    private ServerWal() {
    }

    /** The server's position now; {@code CONNECTION_FAILED} with what to change when it cannot be read. */
    public static ServerWalPosition read(ConnectionSettings settings) {
        try (ServerSql sql = ServerSql.open(settings)) {
            return sql.walPosition();
        } catch (ServerSql.SqlFailure e) {
            throw new WalvaultException(ErrorCode.CONNECTION_FAILED, e.getMessage(), e.hint(), e);
        }
    }
}
