package io.walvault.core.error;

/**
 * An object's bytes are not what they should be: truncated, extended, reordered, altered, or
 * not in the format their key announces. The message names the object. Callers catch it to
 * tell damage apart from I/O failures (for example to try another copy, or to report it).
 */
public final class CorruptDataException extends WalvaultException {

    private static final long serialVersionUID = 1L;

    public CorruptDataException(String message) {
        super(ErrorCode.CORRUPT_DATA, message);
    }

    public CorruptDataException(String message, Throwable cause) {
        super(ErrorCode.CORRUPT_DATA, message, cause);
    }
}
