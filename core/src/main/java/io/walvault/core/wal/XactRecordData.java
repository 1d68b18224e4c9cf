package io.walvault.core.wal;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.OptionalLong;

/**
 * The main data of a transaction's commit or abort record (xl_xact_commit, xl_xact_abort), read
 * as far as the prepared transaction's id. PostgreSQL 14-18 write, each part only when the
 * record's xinfo flags it, with no padding between them:
 *
 * <pre>
 *  xact_time (8) │ xinfo (4, if xl_info has 0x80) │ dbinfo: dbId, tsId (8)
 *  │ subxacts: n (4), n × xid (4) │ relation files: n (4), n × (spc, db, rel) (12)
 *  │ dropped statistics (15+): n (4), n × item (12; 16 from 18 on: kind, db, objid as two halves)
 *  │ invalidations (commits only): n (4), n × message (16)
 *  │ twophase: the prepared transaction's xid (4) │ gid │ origin
 * </pre>
 *
 * (PostgreSQL's ParseCommitRecord and ParseAbortRecord read them in that order.)
 */
final class XactRecordData {

    static final int XLOG_XACT_HAS_INFO = 0x80;
    static final int HAS_DBINFO = 1;
    static final int HAS_SUBXACTS = 1 << 1;
    static final int HAS_RELFILES = 1 << 2;
    static final int HAS_INVALS = 1 << 3;
    static final int HAS_TWOPHASE = 1 << 4;
    static final int HAS_DROPPED_STATS = 1 << 8;

    private XactRecordData() {
    }

    /**
     * The id of the prepared transaction that a COMMIT PREPARED or ROLLBACK PREPARED record ends,
     * from its main data ({@code commit}: which of the two layouts); empty when the data does
     * not flag one or was cut short before it.
     */
    static OptionalLong preparedXid(byte[] mainData, int info, boolean commit, int major) {
        if ((info & XLOG_XACT_HAS_INFO) == 0 || mainData.length < 12) {
            return OptionalLong.empty();
        }
        ByteBuffer b = ByteBuffer.wrap(mainData).order(ByteOrder.LITTLE_ENDIAN);
        int xinfo = b.getInt(8);
        long at = 12;
        if ((xinfo & HAS_DBINFO) != 0) {
            at += 8;
        }
        if ((xinfo & HAS_SUBXACTS) != 0) {
            at = skipArray(b, at, 4);
        }
        if ((xinfo & HAS_RELFILES) != 0) {
            at = skipArray(b, at, 12);
        }
        if ((xinfo & HAS_DROPPED_STATS) != 0) {
            at = skipArray(b, at, major >= 18 ? 16 : 12);
        }
        if (commit && (xinfo & HAS_INVALS) != 0) {
            at = skipArray(b, at, 16);
        }
        if ((xinfo & HAS_TWOPHASE) == 0 || at < 0 || at + 4 > mainData.length) {
            return OptionalLong.empty();
        }
        return OptionalLong.of(Integer.toUnsignedLong(b.getInt((int) at)));
    }

    /** The position after a count and that many items of {@code size} bytes at {@code at}; -1 when the data ends first. */
    private static long skipArray(ByteBuffer b, long at, int size) {
        if (at < 0 || at + 4 > b.limit()) {
            return -1;
        }
        int n = b.getInt((int) at);
        if (n < 0) {
            return -1;
        }
        return at + 4 + (long) n * size;
    }
}
