package io.walvault.core.replication;

import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;

/**
 * Turns the server's ErrorResponse into walvault's error: a code and a message a DBA can act
 * on. The server's own text is always kept (after a colon); the hint says what to change.
 */
final class ServerErrors {

    private ServerErrors() {
    }

    /** What the failing operation was about: for messages. */
    record Context(String user, String endpoint, String slot) {
    }

    static WalvaultException toException(ServerMessage m, Context ctx) {
        String state = m.sqlState();
        String text = m.message();
        String server = " (server said: " + m + ")";
        String user = "'" + ctx.user() + "'";
        switch (state) {
            case "28P01":
                return new ServerErrorException(ErrorCode.AUTHENTICATION_FAILED, "password authentication failed for user "
                        + user + " on '" + ctx.endpoint() + "'" + server
                        + " HINT: check the password given in the connection string, PGPASSWORD or the password file", m);
            case "28000":
                if (text.contains("pg_hba.conf")) {
                    return new ServerErrorException(ErrorCode.CONNECTION_REJECTED, "pg_hba.conf on '" + ctx.endpoint()
                            + "' does not allow a replication connection for user " + user + server
                            + " HINT: add a line such as 'host replication " + ctx.user()
                            + " <client address>/32 scram-sha-256' before any reject line in pg_hba.conf and reload the server", m);
                }
                if (text.startsWith("role ") && text.endsWith("does not exist")) {
                    return new ServerErrorException(ErrorCode.AUTHENTICATION_FAILED, "role " + user + " does not exist on '"
                            + ctx.endpoint() + "'" + server + " HINT: CREATE ROLE " + ctx.user()
                            + " LOGIN REPLICATION PASSWORD '...', or connect as an existing role", m);
                }
                if (text.contains("not permitted to log in")) {
                    return new ServerErrorException(ErrorCode.AUTHENTICATION_FAILED, "role " + user + " may not log in" + server
                            + " HINT: ALTER ROLE " + ctx.user() + " LOGIN", m);
                }
                return new ServerErrorException(ErrorCode.AUTHENTICATION_FAILED, "authentication failed for user " + user
                        + " on '" + ctx.endpoint() + "'" + server, m);
            case "42501":
                if (text.contains("WAL sender") || text.contains("walsender") || text.contains("replication")) {
                    return new ServerErrorException(ErrorCode.REPLICATION_PRIVILEGE_MISSING, "role " + user
                            + " lacks the REPLICATION attribute" + server + " HINT: ALTER ROLE " + ctx.user() + " REPLICATION", m);
                }
                return new ServerErrorException(ErrorCode.SERVER_ERROR, "permission denied" + server, m);
            case "53300":
                if (text.contains("max_wal_senders")) {
                    return new ServerErrorException(ErrorCode.TOO_MANY_CONNECTIONS, "every WAL sender slot on '" + ctx.endpoint()
                            + "' is in use (max_wal_senders)" + server
                            + " HINT: raise max_wal_senders (needs a restart) or stop an idle replication client", m);
                }
                return new ServerErrorException(ErrorCode.TOO_MANY_CONNECTIONS, "server '" + ctx.endpoint()
                        + "' has no free connection slot" + server + " HINT: raise max_connections or close idle sessions", m);
            case "55006":
                if (text.contains("replication slot")) {
                    return new ServerErrorException(ErrorCode.SLOT_IN_USE, "replication slot '" + ctx.slot()
                            + "' is in use by another process" + server
                            + " HINT: another walvault agent, pg_receivewal or standby streams from this slot;"
                            + " stop it, or give this client its own slot", m);
                }
                return new ServerErrorException(ErrorCode.SERVER_ERROR, "object in use" + server, m);
            case "42704":
                if (text.contains("replication slot")) {
                    return new ServerErrorException(ErrorCode.SLOT_NOT_FOUND, "replication slot '" + ctx.slot()
                            + "' does not exist" + server + " HINT: create it first (walvault creates it when asked to)", m);
                }
                return new ServerErrorException(ErrorCode.SERVER_ERROR, "object not found" + server, m);
            case "42710":
                return new ServerErrorException(ErrorCode.SLOT_ALREADY_EXISTS, "replication slot '" + ctx.slot()
                        + "' already exists" + server, m);
            case "XX001":
                return new ServerErrorException(ErrorCode.DATA_CHECKSUM_FAILURE, "the server found data-checksum failures"
                        + " while sending the base backup" + server
                        + " HINT: the cluster has corrupted pages (the server log lists them); the backup is refused"
                        + " unless checksum failures are explicitly allowed", m);
            case "57P01":
            case "57P02":
            case "57P05":
                return new ConnectionLostException("the server ended the session" + server
                        + " HINT: the server is shutting down or the session was terminated; reconnect when it is back");
            case "57P03":
                return new ServerErrorException(ErrorCode.CONNECTION_FAILED, "server '" + ctx.endpoint()
                        + "' does not accept connections now" + server + " HINT: wait until it has started", m);
            default:
                return new ServerErrorException(ErrorCode.SERVER_ERROR, "server error on '" + ctx.endpoint() + "'" + server, m);
        }
    }
}
