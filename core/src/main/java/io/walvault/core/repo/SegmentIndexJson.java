package io.walvault.core.repo;

import static java.util.Objects.requireNonNull;

import io.walvault.core.error.CorruptDataException;
import io.walvault.core.wal.SegmentIndex;
import io.walvault.core.wal.WalFormat;
import io.walvault.core.wal.XidSpan;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

/**
 * A WAL segment's index as stored ({@code wal-index/.../<segment>.json<ext>}, docs/FORMAT.md).
 * Times are PostgreSQL's: microseconds, here since the Unix epoch.
 *
 * @param walvaultWalIndex its format ({@value #FORMAT}; 1, without transaction ids, is read too)
 * @param segment the segment's file name (a copy moved to another key is refused)
 * @param newestTransactionEndMicros {@link SegmentIndex#newestTransactionEnd()}, null for none
 * @param oldestTransactionEndXid {@link SegmentIndex#transactionEndXids()}'s oldest, null for none or any
 * @param newestTransactionEndXid its newest, null for none or any (with a transaction end, null is any: so reads
 *                                format 1)
 * @param lastCommitMicros {@link SegmentIndex#lastCommit()}, null for none
 * @param restorePoints {@link SegmentIndex#restorePoints()}
 * @param moreRestorePoints {@link SegmentIndex#moreRestorePoints()}
 * @param endsInPossibleStop {@link SegmentIndex#endsInPossibleStop()}
 * @param serverMajor {@link SegmentIndex#serverMajor()}
 * @param unfinishedHead {@link SegmentIndex#unfinishedHead()} in hex
 * @param continuationHead {@link SegmentIndex#continuationHead()} in hex
 */
record SegmentIndexJson(int walvaultWalIndex, String segment, Long newestTransactionEndMicros, Long oldestTransactionEndXid,
                        Long newestTransactionEndXid, Long lastCommitMicros,
                        List<String> restorePoints, boolean moreRestorePoints, boolean endsInPossibleStop, int serverMajor,
                        String unfinishedHead, String continuationHead) {

    static final int FORMAT = 2;

    /** The first format, written before the transaction ids were kept. */
    static final int WITHOUT_XIDS = 1;

    SegmentIndexJson {
        requireNonNull(segment, "segment is null");
        requireNonNull(unfinishedHead, "unfinishedHead is null");
        requireNonNull(continuationHead, "continuationHead is null");
        restorePoints = List.copyOf(restorePoints);
        if (walvaultWalIndex != FORMAT && walvaultWalIndex != WITHOUT_XIDS) {
            throw new CorruptDataException("WAL index format " + walvaultWalIndex + " is not supported");
        }
        if ((oldestTransactionEndXid == null) != (newestTransactionEndXid == null)
                || oldestTransactionEndXid != null && (walvaultWalIndex == WITHOUT_XIDS || newestTransactionEndMicros == null)) {
            throw new CorruptDataException("WAL index of " + segment + ": transaction ids " + oldestTransactionEndXid + " to "
                    + newestTransactionEndXid + " do not fit its transaction ends");
        }
    }

    static SegmentIndexJson of(String segment, SegmentIndex index) {
        Optional<XidSpan> xids = index.transactionEndXids().filter(x -> !x.any());
        return new SegmentIndexJson(FORMAT, segment, index.newestTransactionEnd().map(SegmentIndexJson::micros).orElse(null),
                xids.map(XidSpan::oldest).orElse(null), xids.map(XidSpan::newest).orElse(null), index.lastCommit().map(SegmentIndexJson::micros).orElse(null), index.restorePoints(),
                index.moreRestorePoints(), index.endsInPossibleStop(), index.serverMajor(), index.unfinishedHead().toString(),
                index.continuationHead().toString());
    }

    SegmentIndex index() {
        Optional<XidSpan> xids = newestTransactionEndMicros == null ? Optional.empty()
                : Optional.of(oldestTransactionEndXid == null ? XidSpan.ANY : new XidSpan(oldestTransactionEndXid, newestTransactionEndXid,
                        false));
        return new SegmentIndex(Optional.ofNullable(newestTransactionEndMicros).map(WalFormat::instantOfUnixMicros), xids,
                Optional.ofNullable(lastCommitMicros).map(WalFormat::instantOfUnixMicros), restorePoints, moreRestorePoints,
                endsInPossibleStop, serverMajor, new SegmentIndex.Bytes(HexFormat.of().parseHex(unfinishedHead)),
                new SegmentIndex.Bytes(HexFormat.of().parseHex(continuationHead)));
    }

    private static long micros(Instant t) {
        return Math.addExact(Math.multiplyExact(t.getEpochSecond(), 1_000_000L), t.getNano() / 1000);
    }
}
