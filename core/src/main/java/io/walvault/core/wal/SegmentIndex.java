package io.walvault.core.wal;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

/**
 * What one archived WAL segment holds that a recovery target can stop at, taken from its records
 * when it is archived ({@link SegmentIndexStage}), so that finding a time or restore-point target
 * reads a few small indexes instead of decoding every segment after the backup (and so does a
 * transaction-id target, by the ids of the transactions that end in it).
 *
 * <p>It describes the records that begin in the segment: those that end in it CRC-checked, and
 * the one that continues into the next segment as far as its bytes here tell (its CRC covers
 * bytes not here yet); when they cannot tell whether it is a stop, {@link #endsInPossibleStop()}.
 * A record that begins in the previous segment is that segment's. An index is only ever made for
 * a segment whose records all decoded up to its end (no end of valid WAL inside it).
 *
 * @param newestTransactionEnd the latest time among its commit and abort records (plain and prepared), if any
 * @param transactionEndXids the transaction ids of those records, present exactly when they are ({@link XidSpan#ANY}
 *                           when one of them ends a prepared transaction, or when the index was written before the
 *                           ids were kept)
 * @param lastCommit the time of its last commit record in WAL order, if any
 * @param restorePoints the names of its restore points, in WAL order, at most {@link #MAX_RESTORE_POINTS}
 * @param moreRestorePoints whether it holds more restore points than {@code restorePoints} lists
 * @param endsInPossibleStop whether its last record continues into the next segment and may be a commit, an abort or
 *                           a restore point that the bytes here cannot tell (its header, a commit's time or a restore
 *                           point's name does not fit)
 * @param serverMajor the PostgreSQL major that wrote it
 * @param unfinishedHead with {@code endsInPossibleStop}: that record's bytes here (at most {@link
 *                       WalRecordReader#PREFIX_CAPTURE}, page headers left out), else empty
 * @param continuationHead the first bytes in it of a record continued from the previous segment (at most {@link
 *                         WalRecordReader#PREFIX_CAPTURE}, page headers left out), empty when it starts with a record:
 *                         what the previous segment's {@code unfinishedHead} lacks
 */
public record SegmentIndex(Optional<Instant> newestTransactionEnd, Optional<XidSpan> transactionEndXids,
                           Optional<Instant> lastCommit, List<String> restorePoints,
                           boolean moreRestorePoints, boolean endsInPossibleStop, int serverMajor, Bytes unfinishedHead,
                           Bytes continuationHead) {

    /** Bytes compared by content. */
    public record Bytes(byte[] value) {
        public static final Bytes NONE = new Bytes(new byte[0]);

        public Bytes {
            value = value.clone();
        }

        @Override
        public byte[] value() {
            return value.clone();
        }

        public int length() {
            return value.length;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Bytes b && Arrays.equals(value, b.value);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(value);
        }

        @Override
        public String toString() {
            return HexFormat.of().formatHex(value);
        }
    }

    /** Restore point names kept per segment; a segment with more lists these and says there are more. */
    public static final int MAX_RESTORE_POINTS = 32;

    public SegmentIndex {
        requireNonNull(newestTransactionEnd, "newestTransactionEnd is null");
        requireNonNull(transactionEndXids, "transactionEndXids is null");
        if (transactionEndXids.isPresent() != newestTransactionEnd.isPresent()) {
            throw new IllegalArgumentException("transaction ids " + transactionEndXids + " for transaction ends " + newestTransactionEnd);
        }
        requireNonNull(lastCommit, "lastCommit is null");
        restorePoints = List.copyOf(restorePoints);
        requireNonNull(unfinishedHead, "unfinishedHead is null");
        requireNonNull(continuationHead, "continuationHead is null");
        if (unfinishedHead.length() > WalRecordReader.PREFIX_CAPTURE || continuationHead.length() > WalRecordReader.PREFIX_CAPTURE) {
            throw new IllegalArgumentException("a record's head of more than " + WalRecordReader.PREFIX_CAPTURE + " bytes");
        }
        if (restorePoints.size() > MAX_RESTORE_POINTS) {
            throw new IllegalArgumentException(restorePoints.size() + " restore points listed, at most " + MAX_RESTORE_POINTS);
        }
    }

    /**
     * The record this segment ends inside ({@link #endsInPossibleStop()}), decoded from its bytes
     * here and the first bytes of its continuation in {@code next}, the index of the segment that
     * follows: as far as those bytes tell (see {@link WalRecordReader#decodePrefix}); empty when
     * this segment ends inside no record it flags, or {@code next} does not continue it.
     */
    public Optional<WalRecord> unfinishedRecord(SegmentIndex next) {
        if (!endsInPossibleStop || unfinishedHead.length() == 0 || next.continuationHead().length() == 0) {
            return Optional.empty();
        }
        byte[] head = unfinishedHead.value();
        byte[] rest = next.continuationHead().value();
        byte[] joined = Arrays.copyOf(head, head.length + rest.length);
        System.arraycopy(rest, 0, joined, head.length, rest.length);
        return WalRecordReader.decodePrefix(joined, joined.length, serverMajor);
    }

    /** Whether a commit or abort of transaction {@code xid} may be in the segment. */
    public boolean mayEndTransaction(long xid) {
        return transactionEndXids.map(s -> s.mayHold(xid)).orElse(false);
    }

    /** Whether a restore point named {@code name} may be in the segment (listed, or beyond the list). */
    public boolean mayHoldRestorePoint(String name) {
        return moreRestorePoints || restorePoints.contains(name);
    }
}
