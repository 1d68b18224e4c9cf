package io.walvault.restore.status;

import static java.util.Objects.requireNonNull;

import io.walvault.core.wal.ServerWalPosition;
import java.util.Optional;

/**
 * What {@code walvault status} learnt of the server: its WAL position, why it could not be read,
 * or nothing (no server was named: the server's part is unknown, not assumed).
 *
 * @param position the server's WAL position, when read
 * @param error    why it could not be read, when a server was named and failed
 */
public record ServerReading(Optional<ServerWalPosition> position, Optional<String> error) {

    public ServerReading {
        requireNonNull(position, "position is null");
        requireNonNull(error, "error is null");
        if (position.isPresent() && error.isPresent()) {
            throw new IllegalArgumentException("a reading has a position or an error, not both");
        }
    }

    /** No server was named. */
    public static ServerReading notAsked() {
        return new ServerReading(Optional.empty(), Optional.empty());
    }

    public static ServerReading of(ServerWalPosition position) {
        return new ServerReading(Optional.of(position), Optional.empty());
    }

    public static ServerReading failed(String error) {
        return new ServerReading(Optional.empty(), Optional.of(error));
    }
}
