package io.walvault.core.replication;

import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;

/**
 * The server sent something the protocol does not allow here: a message of the wrong kind,
 * too short, with bytes left over, or out of order. The connection cannot be used afterwards.
 */
public final class ProtocolException extends WalvaultException {

    private static final long serialVersionUID = 1L;

    public ProtocolException(String message) {
        super(ErrorCode.PROTOCOL_VIOLATION, message);
    }

    public ProtocolException(String message, Throwable cause) {
        super(ErrorCode.PROTOCOL_VIOLATION, message, cause);
    }
}
