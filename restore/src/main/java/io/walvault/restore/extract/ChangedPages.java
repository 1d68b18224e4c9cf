package io.walvault.restore.extract;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.Arrays;

/**
 * Writes a file's restored content over an older copy of it ({@code restore --delta}): each
 * 8 KiB page (counted from the start of the file) is compared with what the file holds there and
 * written only where it differs, so that a relation segment with a few changed pages costs their
 * writes, not a gigabyte of them. Bytes past the old end are written. The caller has cut the file
 * to its new size. Not thread-safe; one per file.
 */
final class ChangedPages {

    static final int PAGE = 8192;

    private final FileChannel file;
    private byte[] old = new byte[64 * 1024];
    private long written;
    private long compared;

    ChangedPages(FileChannel file) {
        this.file = requireNonNull(file, "file is null");
    }

    /** Places {@code len} bytes of {@code b} at {@code position} of the file, writing the pages that differ. */
    void write(byte[] b, int off, int len, long position) throws IOException {
        if (old.length < len) {
            old = new byte[Math.max(len, old.length * 2)];
        }
        ByteBuffer have = ByteBuffer.wrap(old, 0, len);
        while (have.hasRemaining()) {
            if (file.read(have, position + have.position()) < 0) {
                break; // the old copy ends here: the rest differs
            }
        }
        int haveLen = have.position();
        int i = 0;
        while (i < len) {
            long at = position + i;
            int n = (int) Math.min(len - i, PAGE - at % PAGE); // to the end of this page
            boolean same = i + n <= haveLen && Arrays.mismatch(b, off + i, off + i + n, old, i, i + n) < 0;
            if (!same) {
                ByteBuffer src = ByteBuffer.wrap(b, off + i, n);
                long p = at;
                while (src.hasRemaining()) {
                    p += file.write(src, p);
                }
                written += n;
            }
            compared += n;
            i += n;
        }
    }

    /** Bytes that differed and were written. */
    long written() {
        return written;
    }

    /** Bytes placed, written or found already there. */
    long compared() {
        return compared;
    }
}
