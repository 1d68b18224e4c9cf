package io.walvault.bench.wal;

import io.walvault.core.wal.Lsn;
import io.walvault.core.wal.WalFormat;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Random;
import java.util.zip.CRC32C;

/**
 * Builds WAL segments in memory with the byte layout PostgreSQL writes (page headers, records
 * with CRC-32C, continuations across pages), for benchmarks that must not need a server: a mix
 * of small heap-like records with a block reference, commit records, and full-page images.
 */
final class SyntheticWal {

    private static final int BLCKSZ = 8192;
    private static final int MAGIC_18 = 0xD118;

    private SyntheticWal() {
    }

    /** One segment starting at {@code start}, filled with records, ending in zero padding. */
    static byte[] segment(Lsn start, long segmentSize, long seed) {
        ByteBuffer seg = ByteBuffer.allocate((int) segmentSize).order(ByteOrder.LITTLE_ENDIAN);
        Random random = new Random(seed);
        long pos = 0;
        long prev = 0;
        int xid = 1000;
        while (true) {
            byte[] rec = record(random, xid++, prev, start.value() + pos);
            // stop when the record would not fit in the segment (no continuation into the next)
            if (pos + spaceNeeded(pos, rec.length) >= segmentSize - BLCKSZ) {
                break;
            }
            prev = start.value() + pos;
            pos = write(seg, start, pos, rec);
            pos = (pos + 7) & ~7L;
        }
        // headers of the remaining pages, as the server initialises them
        for (long page = 0; page < segmentSize; page += BLCKSZ) {
            if (seg.getShort((int) page) == 0) {
                header(seg, start, page, 0);
            }
        }
        return seg.array();
    }

    private static long spaceNeeded(long pos, int len) {
        long p = pos;
        long left = len;
        while (left > 0) {
            if (p % BLCKSZ == 0) {
                p += p == 0 ? WalFormat.LONG_PAGE_HEADER_SIZE : WalFormat.SHORT_PAGE_HEADER_SIZE;
            }
            long room = BLCKSZ - p % BLCKSZ;
            long n = Math.min(room, left);
            p += n;
            left -= n;
        }
        return p - pos;
    }

    private static long write(ByteBuffer seg, Lsn start, long pos, byte[] rec) {
        int off = 0;
        long p = pos;
        while (off < rec.length) {
            if (p % BLCKSZ == 0) {
                header(seg, start, p, off == 0 ? 0 : rec.length - off);
                p += p == 0 ? WalFormat.LONG_PAGE_HEADER_SIZE : WalFormat.SHORT_PAGE_HEADER_SIZE;
            }
            int n = (int) Math.min(BLCKSZ - p % BLCKSZ, rec.length - off);
            seg.put((int) p, rec, off, n);
            off += n;
            p += n;
        }
        return p;
    }

    private static void header(ByteBuffer seg, Lsn start, long page, int remaining) {
        int at = (int) page;
        boolean first = page == 0;
        seg.putShort(at, (short) MAGIC_18);
        seg.putShort(at + 2, (short) ((first ? WalFormat.XLP_LONG_HEADER : 0)
                | (remaining > 0 ? WalFormat.XLP_FIRST_IS_CONTRECORD : 0)));
        seg.putInt(at + 4, 1);
        seg.putLong(at + 8, start.value() + page);
        seg.putInt(at + 16, remaining);
        if (first) {
            seg.putLong(at + 24, 7_000_000_000_000_000_000L);
            seg.putInt(at + 32, seg.capacity());
            seg.putInt(at + 36, BLCKSZ);
        }
    }

    /** A record: 60% heap-like, 30% commit, 10% full-page image. */
    private static byte[] record(Random random, int xid, long prev, long lsn) {
        int kind = random.nextInt(10);
        ByteBuffer body = ByteBuffer.allocate(9000).order(ByteOrder.LITTLE_ENDIAN);
        int rmid;
        int info;
        if (kind < 3) {
            rmid = WalFormat.RM_XACT_ID;
            info = WalFormat.XLOG_XACT_COMMIT;
            body.put((byte) WalFormat.XLR_BLOCK_ID_DATA_SHORT).put((byte) 16);
            body.putLong(lsn / 3); // commit time
            body.putLong(random.nextLong());
        } else {
            rmid = 10; // heap
            info = 0;
            boolean image = kind == 9;
            int dataLen = image ? 0 : 40 + random.nextInt(120);
            body.put((byte) 0).put((byte) ((image ? WalFormat.BKPBLOCK_HAS_IMAGE : WalFormat.BKPBLOCK_HAS_DATA)))
                    .putShort((short) dataLen);
            if (image) {
                body.putShort((short) BLCKSZ).putShort((short) 0).put((byte) 0);
            }
            body.putInt(1663).putInt(5).putInt(16384 + random.nextInt(100)).putInt(random.nextInt(1000));
            body.put((byte) WalFormat.XLR_BLOCK_ID_DATA_SHORT).put((byte) 3);
            byte[] payload = new byte[image ? BLCKSZ : dataLen];
            random.nextBytes(payload);
            body.put(payload);
            body.put(new byte[] {1, 2, 3});
        }
        body.flip();
        int total = WalFormat.RECORD_HEADER_SIZE + body.remaining();
        ByteBuffer rec = ByteBuffer.allocate(total).order(ByteOrder.LITTLE_ENDIAN);
        rec.putInt(total).putInt(xid).putLong(prev).put((byte) info).put((byte) rmid).putShort((short) 0).putInt(0);
        rec.put(body);
        byte[] r = rec.array();
        CRC32C crc = new CRC32C();
        crc.update(r, WalFormat.RECORD_HEADER_SIZE, total - WalFormat.RECORD_HEADER_SIZE);
        crc.update(r, 0, WalFormat.RECORD_CRC_OFFSET);
        ByteBuffer.wrap(r).order(ByteOrder.LITTLE_ENDIAN).putInt(WalFormat.RECORD_CRC_OFFSET, (int) crc.getValue());
        return r;
    }
}
