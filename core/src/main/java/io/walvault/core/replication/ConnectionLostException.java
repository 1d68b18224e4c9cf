package io.walvault.core.replication;

import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;

/**
 * The connection to the server broke, or the server ended the session, while an operation was
 * under way. Whatever the operation had not finished did not happen; a streaming caller
 * reconnects and resumes from the last position it holds durably.
 */
public final class ConnectionLostException extends WalvaultException {

    private static final long serialVersionUID = 1L;

    public ConnectionLostException(String message) {
        super(ErrorCode.CONNECTION_LOST, message);
    }

    public ConnectionLostException(String message, Throwable cause) {
        super(ErrorCode.CONNECTION_LOST, message, cause);
    }
}
