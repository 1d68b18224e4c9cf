package io.walvault.core.replication;

import static java.util.Objects.requireNonNull;

import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;

/**
 * The server refused a connection or a command with an ErrorResponse. {@link #serverError()}
 * carries the server's own fields (SQLSTATE, message, detail, hint); {@link #code()} says what
 * kind of failure it is for walvault (wrong password, slot in use, checksum failure...).
 *
 * <p>Callers catch it to react to a SQLSTATE, for example to create a missing slot.
 */
public final class ServerErrorException extends WalvaultException {

    private static final long serialVersionUID = 1L;

    private final transient ServerMessage serverError;

    public ServerErrorException(ErrorCode code, String message, ServerMessage serverError) {
        super(code, message);
        this.serverError = requireNonNull(serverError, "serverError is null");
    }

    /** The fields of the server's ErrorResponse. */
    public ServerMessage serverError() {
        return serverError;
    }

    /** The server's SQLSTATE, such as {@code 28P01}. */
    public String sqlState() {
        return serverError.sqlState();
    }
}
