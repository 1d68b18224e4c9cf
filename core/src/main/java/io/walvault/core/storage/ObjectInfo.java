package io.walvault.core.storage;

import static java.util.Objects.requireNonNull;

import java.time.Instant;

/**
 * What a storage knows of an object without reading it.
 *
 * @param key          the object's key
 * @param size         its size in bytes, as stored (after compression and encryption)
 * @param lastModified when it was published
 */
public record ObjectInfo(String key, long size, Instant lastModified) {
    public ObjectInfo {
        requireNonNull(key, "key is null");
        requireNonNull(lastModified, "lastModified is null");
        if (size < 0) {
            throw new IllegalArgumentException("size " + size + " is negative");
        }
    }
}
