package io.walvault.core.wal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/** The prepared transaction's id in commit and abort records, laid out as PostgreSQL 14-18 write them. */
class XactRecordDataTest {

    private static final int COMMIT_PREPARED = WalFormat.XLOG_XACT_COMMIT_PREPARED | XactRecordData.XLOG_XACT_HAS_INFO;
    private static final int ABORT_PREPARED = WalFormat.XLOG_XACT_ABORT_PREPARED | XactRecordData.XLOG_XACT_HAS_INFO;

    /** Every part before the twophase id, with {@code statsItem} bytes per dropped statistics entry. */
    private static byte[] record(boolean commit, int statsItem, long preparedXid) {
        int xinfo = XactRecordData.HAS_DBINFO | XactRecordData.HAS_SUBXACTS | XactRecordData.HAS_RELFILES
                | XactRecordData.HAS_DROPPED_STATS | XactRecordData.HAS_TWOPHASE | (commit ? XactRecordData.HAS_INVALS : 0)
                | 1 << 7; // a gid follows the id
        ByteBuffer b = ByteBuffer.allocate(1024).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(123_456_789L).putInt(xinfo);
        b.putInt(5).putInt(1663); // dbinfo
        b.putInt(2).putInt(901).putInt(902); // two subtransactions
        b.putInt(1).putInt(1663).putInt(5).putInt(16_384); // one relation file
        b.putInt(2).put(new byte[2 * statsItem]); // two dropped statistics entries
        if (commit) {
            b.putInt(3).put(new byte[3 * 16]); // three invalidation messages
        }
        b.putInt((int) preparedXid);
        b.put("walvault\0".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        return Arrays.copyOf(b.array(), b.position());
    }

    @Test
    void theIdOfTheTransactionACommitOrRollbackPreparedEnds() {
        assertEquals(OptionalLong.of(4_000_000_000L), XactRecordData.preparedXid(record(true, 12, 4_000_000_000L),
                COMMIT_PREPARED, true, 15));
        assertEquals(OptionalLong.of(777), XactRecordData.preparedXid(record(false, 12, 777), ABORT_PREPARED, false, 17));
        // PostgreSQL 18 keeps a dropped statistics entry's object id in 64 bits
        assertEquals(OptionalLong.of(778), XactRecordData.preparedXid(record(true, 16, 778), COMMIT_PREPARED, true, 18));
        assertEquals(OptionalLong.of(779), XactRecordData.preparedXid(record(false, 16, 779), ABORT_PREPARED, false, 18));
    }

    @Test
    void aRecordCutBeforeTheIdOrWithoutOneHasNone() {
        byte[] whole = record(true, 12, 42);
        int idAt = whole.length - 4 - "walvault\0".length();
        assertEquals(OptionalLong.of(42), XactRecordData.preparedXid(Arrays.copyOf(whole, idAt + 4), COMMIT_PREPARED, true, 16));
        assertEquals(OptionalLong.empty(), XactRecordData.preparedXid(Arrays.copyOf(whole, idAt + 3), COMMIT_PREPARED, true, 16));
        assertEquals(OptionalLong.empty(), XactRecordData.preparedXid(Arrays.copyOf(whole, 30), COMMIT_PREPARED, true, 16));
        assertEquals(OptionalLong.empty(), XactRecordData.preparedXid(whole, WalFormat.XLOG_XACT_COMMIT_PREPARED, true, 16),
                "without xinfo there are no parts");
        ByteBuffer noTwophase = ByteBuffer.wrap(whole.clone()).order(ByteOrder.LITTLE_ENDIAN);
        noTwophase.putInt(8, noTwophase.getInt(8) & ~XactRecordData.HAS_TWOPHASE);
        assertEquals(OptionalLong.empty(), XactRecordData.preparedXid(noTwophase.array(), COMMIT_PREPARED, true, 16));
    }

    @Test
    void aRecordNamesTheTransactionItEnds() {
        byte[] data = record(true, 12, 4242);
        WalRecord prepared = new WalRecord(Lsn.of(0x1000), Lsn.of(0x1100), 1, 24 + data.length, 0, WalFormat.RM_XACT_ID,
                COMMIT_PREPARED, data, 16);
        assertEquals(OptionalLong.of(4242), prepared.transactionXid(), "not the session's xl_xid (0)");
        WalRecord plain = new WalRecord(Lsn.of(0x1000), Lsn.of(0x1100), 1, 24 + 8, 991, WalFormat.RM_XACT_ID,
                WalFormat.XLOG_XACT_COMMIT, new byte[8], 16);
        assertEquals(OptionalLong.of(991), plain.transactionXid());
        WalRecord other = new WalRecord(Lsn.of(0x1000), Lsn.of(0x1100), 1, 24 + 8, 991, WalFormat.RM_XLOG_ID, 0, new byte[8], 16);
        assertEquals(OptionalLong.empty(), other.transactionXid());
    }
}
