package io.walvault.core.replication.conn;

import java.io.FileNotFoundException;
import java.net.SocketException;
import java.net.UnknownHostException;
import java.nio.channels.UnresolvedAddressException;
import java.util.Optional;

/**
 * Why a connection attempt reached no server, when what caused its failure says it in terms an
 * operator acts on (a typo in the host, the port or the socket directory), for the replication
 * connection and the SQL one alike.
 */
public enum Unreachable {
    NO_SUCH_HOST("the host name does not resolve to an address"),
    NO_SOCKET_FILE("no socket file there: no server listens on that port in that directory");

    private final String reason;

    Unreachable(String reason) {
        this.reason = reason;
    }

    /** The reason in words, to follow "cannot connect to 'ENDPOINT': ". */
    public String reason() {
        return reason;
    }

    /** What {@code failure} or one of its causes says, if it is one of these. */
    public static Optional<Unreachable> of(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof UnknownHostException || t instanceof UnresolvedAddressException) {
                return Optional.of(NO_SUCH_HOST);
            }
            if (t instanceof FileNotFoundException || t instanceof SocketException && t.getMessage() != null
                    && t.getMessage().endsWith("No such file or directory")) { // a Unix socket's connect, in the system's words
                return Optional.of(NO_SOCKET_FILE);
            }
        }
        return Optional.empty();
    }
}
