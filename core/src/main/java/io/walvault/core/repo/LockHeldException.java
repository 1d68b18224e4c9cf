package io.walvault.core.repo;

import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;

/** Another live process holds the lock. Callers catch it to wait or to report who holds it. */
public final class LockHeldException extends WalvaultException {

    private static final long serialVersionUID = 1L;

    public LockHeldException(String message) {
        super(ErrorCode.LOCK_HELD, message);
    }
}
