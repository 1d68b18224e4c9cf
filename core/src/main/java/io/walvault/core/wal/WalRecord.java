package io.walvault.core.wal;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * One WAL record as {@link WalRecordReader} decodes it: where it is, its resource manager and
 * opcode, its transaction, and the start of its main data (enough to read commit times and
 * restore-point names; not the block data).
 *
 * @param lsn the record's start
 * @param end the position just past the record's last byte (past the page headers inside a record that spans
 *            pages: not {@code lsn + totalLength}); the next record starts at its MAXALIGN, after a page header if
 *            that is a page's start
 * @param timeline the timeline of the page the record starts on
 * @param totalLength xl_tot_len
 * @param xid xl_xid (0 for records outside a transaction)
 * @param rmid resource manager id
 * @param info xl_info
 * @param mainData the first bytes of the record's main data (at most {@link WalRecordReader#MAIN_DATA_CAPTURE})
 * @param major the PostgreSQL major version that wrote it (the layout of some records' data depends on it)
 */
public record WalRecord(Lsn lsn, Lsn end, long timeline, long totalLength, long xid, int rmid, int info,
                        byte[] mainData, int major) {

    /** A transaction commit (plain or of a prepared transaction). */
    public boolean isCommit() {
        return isCommit(rmid, info);
    }

    /** A transaction abort (plain or of a prepared transaction). */
    public boolean isAbort() {
        return isAbort(rmid, info);
    }

    /** The commit or abort of a prepared transaction (COMMIT PREPARED, ROLLBACK PREPARED). */
    public boolean isOfPreparedTransaction() {
        int op = info & WalFormat.XLOG_XACT_OPMASK;
        return rmid == WalFormat.RM_XACT_ID && (op == WalFormat.XLOG_XACT_COMMIT_PREPARED || op == WalFormat.XLOG_XACT_ABORT_PREPARED);
    }

    /**
     * The transaction a commit or abort ends, as recovery_target_xid is compared with it: xl_xid,
     * except for COMMIT PREPARED and ROLLBACK PREPARED, whose record belongs to the session that ran
     * them and names the prepared transaction in its data ({@link XactRecordData#preparedXid}).
     * Empty for other records, and for a prepared transaction's end whose data was cut before that
     * name (more than {@link WalRecordReader#MAIN_DATA_CAPTURE} bytes of invalidations before it).
     */
    public OptionalLong transactionXid() {
        if (!(isCommit() || isAbort())) {
            return OptionalLong.empty();
        }
        return isOfPreparedTransaction() ? XactRecordData.preparedXid(mainData, info, isCommit(), major) : OptionalLong.of(xid);
    }

    /** A restore point created by pg_create_restore_point. */
    public boolean isRestorePoint() {
        return isRestorePoint(rmid, info);
    }

    /** Whether a record of resource manager {@code rmid} and {@code info} is a commit. */
    static boolean isCommit(int rmid, int info) {
        int op = info & WalFormat.XLOG_XACT_OPMASK;
        return rmid == WalFormat.RM_XACT_ID && (op == WalFormat.XLOG_XACT_COMMIT || op == WalFormat.XLOG_XACT_COMMIT_PREPARED);
    }

    /** Whether a record of resource manager {@code rmid} and {@code info} is an abort. */
    static boolean isAbort(int rmid, int info) {
        int op = info & WalFormat.XLOG_XACT_OPMASK;
        return rmid == WalFormat.RM_XACT_ID && (op == WalFormat.XLOG_XACT_ABORT || op == WalFormat.XLOG_XACT_ABORT_PREPARED);
    }

    /** Whether a record of resource manager {@code rmid} and {@code info} is a restore point. */
    static boolean isRestorePoint(int rmid, int info) {
        return rmid == WalFormat.RM_XLOG_ID && (info & 0xF0) == WalFormat.XLOG_RESTORE_POINT;
    }

    /** A WAL switch: the rest of the segment is padding. */
    public boolean isSwitch() {
        return isSwitch(rmid, info);
    }

    /** Whether a record of resource manager {@code rmid} and {@code info} is a WAL switch. */
    static boolean isSwitch(int rmid, int info) {
        return rmid == WalFormat.RM_XLOG_ID && (info & 0xF0) == WalFormat.XLOG_SWITCH;
    }

    /**
     * Whether this record, even cut short (the head of a record that continues in the next
     * segment), holds what a recovery target is judged by: a commit's or abort's time, a restore
     * point's whole name. Any other record holds nothing a target needs, and tells it as it is.
     */
    public boolean tellsTarget() {
        if (isCommit() || isAbort()) {
            return timestamp().isPresent();
        }
        return !isRestorePoint() || mainData.length >= 8 + WalFormat.RESTORE_POINT_NAME_LENGTH;
    }

    /** The commit or abort time of a transaction record, or the time of a restore point. */
    public Optional<Instant> timestamp() {
        if (!(isCommit() || isAbort() || isRestorePoint()) || mainData.length < 8) {
            return Optional.empty();
        }
        long pgMicros = ByteBuffer.wrap(mainData, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        return Optional.of(WalFormat.instantOfUnixMicros(pgMicros + WalFormat.POSTGRES_EPOCH_MICROS));
    }

    /** The name of a restore point. */
    public Optional<String> restorePointName() {
        if (!isRestorePoint() || mainData.length < 8 + 1) {
            return Optional.empty();
        }
        int len = 0;
        int max = Math.min(WalFormat.RESTORE_POINT_NAME_LENGTH, mainData.length - 8);
        while (len < max && mainData[8 + len] != 0) {
            len++;
        }
        return Optional.of(new String(mainData, 8, len, StandardCharsets.UTF_8));
    }
}
