package io.walvault.restore.plan;

import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;

/** Planning found that the restore cannot succeed as asked; nothing was downloaded. */
public final class RestorePlanException extends WalvaultException {

    private static final long serialVersionUID = 1L;

    /**
     * How a WAL segment missing from the archive is put back, for the hints of every message that
     * names one: archive-push takes it again from wherever it is left.
     */
    public static final String PUT_BACK = "archive-push it from a pg_wal that still holds it";

    public RestorePlanException(ErrorCode code, String message) {
        super(code, message);
    }
}
