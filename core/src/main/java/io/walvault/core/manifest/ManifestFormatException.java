package io.walvault.core.manifest;

/** A backup_manifest that is not well-formed JSON of the documented shape, or whose own checksum is wrong. */
public final class ManifestFormatException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public ManifestFormatException(String message) {
        super(message);
    }

    public ManifestFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
