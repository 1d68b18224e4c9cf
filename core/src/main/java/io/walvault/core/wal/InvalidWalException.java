package io.walvault.core.wal;

import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;

/** A WAL file whose bytes contradict its name, its cluster or the WAL format. */
public final class InvalidWalException extends WalvaultException {

    private static final long serialVersionUID = 1L;

    public InvalidWalException(String message) {
        super(ErrorCode.WAL_INVALID, message);
    }
}
