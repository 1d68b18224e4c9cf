package io.walvault.core.replication.conn;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;

/**
 * One place to connect to: a host name or address with a TCP port, or a Unix-socket directory
 * (a host starting with {@code /}) where the socket is {@code .s.PGSQL.<port>}.
 *
 * @param host the host name as the user wrote it: used for certificate checks and the password file
 * @param address the address to connect to ({@code hostaddr}), or the host itself
 * @param port the TCP port, or the number in the socket file name
 */
public record Endpoint(String host, String address, int port) {

    public Endpoint {
        requireNonNull(host, "host is null");
        requireNonNull(address, "address is null");
        if (host.isEmpty() || address.isEmpty()) {
            throw new IllegalArgumentException("host is empty");
        }
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("invalid port number " + port);
        }
    }

    public static Endpoint of(String host, int port) {
        return new Endpoint(host, host, port);
    }

    /** Whether this is a Unix-socket directory. */
    public boolean isUnixSocket() {
        return address.startsWith("/");
    }

    /** The socket file, for a Unix-socket endpoint. */
    public Path socketFile() {
        if (!isUnixSocket()) {
            throw new IllegalStateException("'" + host + "' is not a Unix-socket directory");
        }
        return Path.of(address, ".s.PGSQL." + port);
    }

    @Override
    public String toString() {
        return isUnixSocket() ? socketFile().toString() : host + ":" + port;
    }
}
