package io.walvault.core.storage;

/**
 * What {@link Storage#removeAbandonedWrites} removed (or, in a dry run, would remove): the
 * remains of writes that were neither finished nor discarded, because the process writing them
 * was killed (posix: hidden temporary files; S3: incomplete multipart uploads).
 *
 * @param count writes whose remains were removed
 * @param bytes the bytes they held (posix: the temporary files' sizes; S3: the uploaded parts')
 */
public record AbandonedWrites(long count, long bytes) {

    /** Nothing. */
    public static final AbandonedWrites NONE = new AbandonedWrites(0, 0);

    public AbandonedWrites {
        if (count < 0 || bytes < 0) {
            throw new IllegalArgumentException("negative count or bytes");
        }
    }

    /** This and {@code other} together. */
    public AbandonedWrites plus(AbandonedWrites other) {
        return new AbandonedWrites(count + other.count, bytes + other.bytes);
    }
}
