package io.walvault.restore.plan;

import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;

/** Planning found that the restore cannot succeed as asked; nothing was downloaded. */
public final class RestorePlanException extends WalvaultException {

    private static final long serialVersionUID = 1L;

    public RestorePlanException(ErrorCode code, String message) {
        super(code, message);
    }
}
