package io.walvault.core.tar;

/**
 * A tar stream that is not well-formed: bad header checksum, truncated member, data after the end.
 * Unchecked; callers wrap it into their own error with context (which archive, which server).
 */
public final class TarFormatException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public TarFormatException(String message) {
        super(message);
    }
}
