package io.walvault.core.repo;

import static java.util.Objects.requireNonNull;

/**
 * What was written or read.
 *
 * @param key          the object's key
 * @param size         plaintext size in bytes
 * @param sha256       plaintext SHA-256 (lowercase hex), or null when it was not asked for
 * @param storedSize   bytes in the store (compressed, encrypted), or -1 when not known
 */
public record ObjectResult(String key, long size, String sha256, long storedSize) {
    public ObjectResult {
        requireNonNull(key, "key is null");
    }
}
