package io.walvault.core.repo;

import static java.util.Objects.requireNonNull;

/**
 * What was written or read.
 *
 * @param key          the object's key
 * @param size         plaintext size in bytes
 * @param sha256       plaintext SHA-256 (lowercase hex), or null when it was not asked for
 * @param storedSize   bytes in the store (compressed, encrypted), or -1 when not known
 * @param storedSha256 SHA-256 of the bytes in the store, or null when not known: lets a host
 *                     without the private key verify objects against a record of them
 */
public record ObjectResult(String key, long size, String sha256, long storedSize, String storedSha256) {
    public ObjectResult {
        requireNonNull(key, "key is null");
    }
}
