package io.walvault.core.storage;

/** Optional abilities of a {@link Storage}, beyond its contract. */
public enum StorageFeature {
    /**
     * Create-if-absent is atomic: of two concurrent {@link Storage.WriteMode#CREATE} writes of a key,
     * exactly one succeeds (posix: link(2); S3 with conditional writes: {@code If-None-Match: *}).
     * Without it the check is made just before publishing, and two writers racing inside that
     * window can both succeed (the last one wins); callers that need exclusion (the lock) read
     * back what they wrote.
     */
    ATOMIC_CREATE
}
