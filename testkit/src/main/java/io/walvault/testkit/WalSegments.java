package io.walvault.testkit;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Random;

/**
 * WAL segments for tests that need no server: the page layout PostgreSQL 18 writes (a long
 * header on the first page, short headers with the right page addresses on the others, the
 * cluster's system identifier and segment size), filled with bytes that are partly random and
 * partly zero (so they compress somewhat, as WAL does). Enough for everything that validates
 * segments by their page headers; records inside are not meaningful.
 */
public final class WalSegments {

    /** XLOG_PAGE_MAGIC of PostgreSQL 18. */
    public static final int MAGIC_18 = 0xD118;
    private static final int BLOCK = 8192;

    private WalSegments() {
    }

    /**
     * Segment {@code name} (24 hex digits: timeline, log, segment) of cluster {@code systemId},
     * {@code segmentSize} bytes (a power of two from 1 MiB), content from {@code seed}.
     */
    public static byte[] segment(String name, long segmentSize, long systemId, long seed) {
        if (!name.matches("[0-9A-F]{24}") || Long.bitCount(segmentSize) != 1 || segmentSize < (1 << 20)) {
            throw new IllegalArgumentException("'" + name + "' of " + segmentSize + " bytes");
        }
        long tli = Long.parseLong(name.substring(0, 8), 16);
        long log = Long.parseLong(name.substring(8, 16), 16);
        long seg = Long.parseLong(name.substring(16, 24), 16);
        long start = log * 0x1_0000_0000L + seg * segmentSize;
        byte[] b = new byte[(int) segmentSize];
        Random random = new Random(seed);
        random.nextBytes(b);
        Arrays.fill(b, b.length / 8, b.length / 8 * 6, (byte) 0);
        ByteBuffer buf = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        for (int page = 0; page < segmentSize; page += BLOCK) {
            boolean first = page == 0;
            buf.putShort(page, (short) MAGIC_18);
            buf.putShort(page + 2, (short) (first ? 0x0002 : 0)); // XLP_LONG_HEADER on the first page
            buf.putInt(page + 4, (int) tli);
            buf.putLong(page + 8, start + page);
            buf.putInt(page + 16, 0); // xlp_rem_len
            buf.putInt(page + 20, 0);
            if (first) {
                buf.putLong(page + 24, systemId);
                buf.putInt(page + 32, (int) segmentSize);
                buf.putInt(page + 36, BLOCK);
            }
        }
        return b;
    }

    /** The first {@code length} bytes of {@link #segment}: what a streaming agent uploads as {@code NAME.partial}. */
    public static byte[] partial(String name, long segmentSize, long systemId, long seed, int length) {
        return Arrays.copyOf(segment(name, segmentSize, systemId, seed), length);
    }
}
