package io.walvault.core.wal;

import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/**
 * Constants of PostgreSQL's WAL format (src/include/access/xlog_internal.h, xlogrecord.h,
 * xact.h). WAL is written in the server's native byte order: little-endian on every
 * platform walvault supports (x86-64, aarch64).
 */
public final class WalFormat {

    private WalFormat() {
    }

    /** Size of the short page header, MAXALIGN(sizeof(XLogPageHeaderData)). */
    public static final int SHORT_PAGE_HEADER_SIZE = 24;
    /** Size of the long page header on the first page of each segment. */
    public static final int LONG_PAGE_HEADER_SIZE = 40;
    /** Size of XLogRecord, the fixed part of every record. */
    public static final int RECORD_HEADER_SIZE = 24;
    /** Offset of xl_crc in XLogRecord: the CRC covers the record header up to here. */
    public static final int RECORD_CRC_OFFSET = 20;
    /** MAXALIGN on 64-bit platforms. */
    public static final int MAXALIGN = 8;

    /** xlp_info: the first record on the page continues one from the previous page. */
    public static final int XLP_FIRST_IS_CONTRECORD = 0x0001;
    /** xlp_info: this page has a long header. */
    public static final int XLP_LONG_HEADER = 0x0002;
    /** xlp_info: all defined bits. */
    public static final int XLP_ALL_FLAGS = 0x000F;

    /** Resource manager ids used by walvault. */
    public static final int RM_XLOG_ID = 0;
    public static final int RM_XACT_ID = 1;

    /** RM_XLOG opcodes (xl_info & 0xF0). */
    public static final int XLOG_SWITCH = 0x40;
    public static final int XLOG_RESTORE_POINT = 0x70;

    /** RM_XACT opcodes (xl_info & XLOG_XACT_OPMASK). */
    public static final int XLOG_XACT_OPMASK = 0x70;
    public static final int XLOG_XACT_COMMIT = 0x00;
    public static final int XLOG_XACT_PREPARE = 0x10;
    public static final int XLOG_XACT_ABORT = 0x20;
    public static final int XLOG_XACT_COMMIT_PREPARED = 0x30;
    public static final int XLOG_XACT_ABORT_PREPARED = 0x40;

    /** Block ids of record fragments after the header. */
    public static final int XLR_MAX_BLOCK_ID = 32;
    public static final int XLR_BLOCK_ID_DATA_SHORT = 255;
    public static final int XLR_BLOCK_ID_DATA_LONG = 254;
    public static final int XLR_BLOCK_ID_ORIGIN = 253;
    public static final int XLR_BLOCK_ID_TOPLEVEL_XID = 252;

    /** Block reference fork_flags bits. */
    public static final int BKPBLOCK_HAS_IMAGE = 0x10;
    public static final int BKPBLOCK_HAS_DATA = 0x20;
    public static final int BKPBLOCK_SAME_REL = 0x80;
    /** bimg_info: the image has a hole (all versions). */
    public static final int BKPIMAGE_HAS_HOLE = 0x01;

    /** Length of a restore point's name field (MAXFNAMELEN). */
    public static final int RESTORE_POINT_NAME_LENGTH = 64;

    /** Microseconds between the Unix epoch and PostgreSQL's epoch, 2000-01-01 00:00:00 UTC. */
    public static final long POSTGRES_EPOCH_MICROS = 946_684_800_000_000L;

    /** The instant {@code unixMicros} microseconds after the Unix epoch (before it when negative). */
    public static Instant instantOfUnixMicros(long unixMicros) {
        return Instant.ofEpochSecond(Math.floorDiv(unixMicros, 1_000_000L), Math.floorMod(unixMicros, 1_000_000L) * 1000L);
    }

    private static final Map<Integer, Integer> PAGE_MAGIC_BY_MAJOR = Map.of(
            14, 0xD10D,
            15, 0xD110,
            16, 0xD113,
            17, 0xD116,
            18, 0xD118);

    /** The server major whose WAL carries {@code magic}. */
    public static Optional<Integer> majorOfPageMagic(int magic) {
        return PAGE_MAGIC_BY_MAJOR.entrySet().stream().filter(e -> e.getValue() == magic)
                .map(Map.Entry::getKey).findFirst();
    }

    /** Compressed-image flags of bimg_info, which changed in PostgreSQL 15. */
    static int imageCompressedMask(int major) {
        return major <= 14 ? 0x02 : 0x04 | 0x08 | 0x10;
    }

    /** Rounds up to MAXALIGN. */
    static long maxAlign(long v) {
        return (v + MAXALIGN - 1) & ~(long) (MAXALIGN - 1);
    }
}
