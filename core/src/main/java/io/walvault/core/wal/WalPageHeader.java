package io.walvault.core.wal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The header at the start of every WAL page: short (24 bytes) on most pages, long (40 bytes,
 * adding the system identifier, segment size and block size) on the first page of a segment.
 *
 * @param magic XLOG_PAGE_MAGIC, which names the server major
 * @param info xlp_info flags
 * @param timeline the timeline the page was written on
 * @param pageAddress the WAL position of the page's first byte
 * @param remainingLength bytes of a record continued from the previous page
 * @param systemIdentifier long header only, else 0
 * @param segmentSize long header only, else 0
 * @param blockSize long header only, else 0
 */
public record WalPageHeader(int magic, int info, long timeline, Lsn pageAddress, long remainingLength,
                            long systemIdentifier, long segmentSize, int blockSize) {

    /** Whether this is a long header. */
    public boolean isLong() {
        return (info & WalFormat.XLP_LONG_HEADER) != 0;
    }

    /** The header's size on the page. */
    public int size() {
        return isLong() ? WalFormat.LONG_PAGE_HEADER_SIZE : WalFormat.SHORT_PAGE_HEADER_SIZE;
    }

    /**
     * Decodes the header at {@code buf}'s position (which is not moved). The caller checks
     * that enough bytes are there: 24, or 40 when the long-header flag is set.
     */
    /**
     * The first page's long header of the WAL segment (or partial) {@code file} named
     * {@code name}: where a segment's cluster and segment size are learned without reading it.
     * {@link InvalidWalException} if it has none, or one declaring an impossible segment size.
     */
    public static WalPageHeader readFirst(Path file, WalFileName name) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(WalFormat.LONG_PAGE_HEADER_SIZE);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            while (buf.hasRemaining() && ch.read(buf) != -1) {
                // read on
            }
        }
        if (buf.hasRemaining()) {
            throw new InvalidWalException("WAL file '" + name + "' is too short to hold a WAL page header ("
                    + buf.position() + " bytes)");
        }
        buf.flip();
        WalPageHeader h = decode(buf);
        if (!h.isLong()) {
            throw new InvalidWalException("WAL file '" + name + "' has no long page header on its first page");
        }
        long size = h.segmentSize();
        if (size < 1024 * 1024 || size > 1024L * 1024 * 1024 || Long.bitCount(size) != 1) {
            throw new InvalidWalException("WAL file '" + name + "' declares an impossible segment size " + size);
        }
        return h;
    }

    public static WalPageHeader decode(ByteBuffer buf) {
        return decode(buf, true);
    }

    /**
     * Decodes the short part only (24 bytes), even when the long-header flag is set: for pages
     * that are expected to have a short header, where a set flag is itself the finding.
     */
    public static WalPageHeader decodeShort(ByteBuffer buf) {
        return decode(buf, false);
    }

    private static WalPageHeader decode(ByteBuffer buf, boolean readLong) {
        ByteBuffer b = buf.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        if (b.remaining() < WalFormat.SHORT_PAGE_HEADER_SIZE) {
            throw new IllegalArgumentException("WAL page header needs " + WalFormat.SHORT_PAGE_HEADER_SIZE
                    + " bytes, " + b.remaining() + " available");
        }
        int start = b.position();
        int magic = Short.toUnsignedInt(b.getShort(start));
        int info = Short.toUnsignedInt(b.getShort(start + 2));
        long tli = Integer.toUnsignedLong(b.getInt(start + 4));
        long addr = b.getLong(start + 8);
        long rem = Integer.toUnsignedLong(b.getInt(start + 16));
        if ((info & WalFormat.XLP_LONG_HEADER) == 0 || !readLong) {
            return new WalPageHeader(magic, info, tli, Lsn.of(addr), rem, 0, 0, 0);
        }
        if (b.remaining() < WalFormat.LONG_PAGE_HEADER_SIZE) {
            throw new IllegalArgumentException("long WAL page header needs " + WalFormat.LONG_PAGE_HEADER_SIZE
                    + " bytes, " + b.remaining() + " available");
        }
        long sysid = b.getLong(start + 24);
        long segSize = Integer.toUnsignedLong(b.getInt(start + 32));
        int blcksz = b.getInt(start + 36);
        return new WalPageHeader(magic, info, tli, Lsn.of(addr), rem, sysid, segSize, blcksz);
    }
}
