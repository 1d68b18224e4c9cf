package io.walvault.cli.options;

import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;
import io.walvault.core.replication.conn.ConnectionSettings;
import java.util.Optional;

/**
 * The server a command connects to: the value of its {@code --pg} option (from the command line,
 * WALVAULT_PG or the config file's {@code pg}, whichever {@link ConfigDefaults} found first),
 * completed by the PG* environment as libpq would. A malformed value is a configuration error
 * that names {@code --pg}, so that {@link SettingSources} can add where the value came from; it
 * never shows a password.
 */
public final class ServerConnection {

    private ServerConnection() {
    }

    /** The server of {@code pg} (null or blank: the PG* environment and libpq's defaults alone). */
    public static ConnectionSettings of(String pg) {
        String conninfo = conninfo(pg);
        try {
            return ConnectionSettings.fromEnvironment(conninfo);
        } catch (WalvaultException e) {
            if (e.code() != ErrorCode.CONFIG || conninfo.isBlank()) {
                throw e;
            }
            throw new WalvaultException(ErrorCode.CONFIG, "--pg: " + e.getMessage(), e);
        }
    }

    /** The server of {@code pg}, or empty when none was given (a command that can do without one). */
    public static Optional<ConnectionSettings> ifGiven(String pg) {
        return conninfo(pg).isBlank() ? Optional.empty() : Optional.of(of(pg));
    }

    /** WALVAULT_PG stands in when the command was built without {@link ConfigDefaults} (as in tests). */
    private static String conninfo(String pg) {
        return pg != null ? pg : System.getenv().getOrDefault("WALVAULT_PG", "");
    }
}
