package io.walvault.core.wal;

import java.nio.ByteBuffer;

/**
 * The first page's long header of a WAL segment, collected as the segment's bytes stream past
 * in writes of any size: its first {@value WalFormat#LONG_PAGE_HEADER_SIZE} bytes, which say the
 * segment size that reading the rest needs. Not thread-safe.
 */
final class FirstPageHeader {

    private final byte[] bytes = new byte[WalFormat.LONG_PAGE_HEADER_SIZE];
    private int length;

    /** Takes what the header still lacks from {@code b[off, off + len)}; returns how many bytes it took. */
    int take(byte[] b, int off, int len) {
        int n = Math.min(len, bytes.length - length);
        System.arraycopy(b, off, bytes, length, n);
        length += n;
        return n;
    }

    /** Whether all of the header's bytes are here. */
    boolean complete() {
        return length == bytes.length;
    }

    /** How many of its bytes are here. */
    int length() {
        return length;
    }

    /** Its bytes (the array itself: the stages pass them on once, as they came). */
    byte[] bytes() {
        return bytes;
    }

    /** The header, once {@link #complete}. */
    WalPageHeader header() {
        if (!complete()) {
            throw new IllegalStateException("only " + length + " bytes of the first page header are here");
        }
        return WalPageHeader.decode(ByteBuffer.wrap(bytes));
    }
}
