package io.walvault.core.repo;

import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;

/**
 * An object already exists under the key with different content. For WAL this must reach
 * PostgreSQL as a failure, so that it keeps the segment and someone looks.
 */
public final class ContentMismatchException extends WalvaultException {

    private static final long serialVersionUID = 1L;

    public ContentMismatchException(String message) {
        super(ErrorCode.CONTENT_MISMATCH, message);
    }
}
