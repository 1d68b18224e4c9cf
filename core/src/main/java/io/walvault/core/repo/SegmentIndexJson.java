package io.walvault.core.repo;

import static java.util.Objects.requireNonNull;

import io.walvault.core.error.CorruptDataException;
import io.walvault.core.wal.SegmentIndex;
import io.walvault.core.wal.WalFormat;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

/**
 * A WAL segment's index as stored ({@code wal-index/.../<segment>.json<ext>}, docs/FORMAT.md).
 * Times are PostgreSQL's: microseconds, here since the Unix epoch.
 *
 * @param walvaultWalIndex its format ({@value #FORMAT})
 * @param segment the segment's file name (a copy moved to another key is refused)
 * @param newestTransactionEndMicros {@link SegmentIndex#newestTransactionEnd()}, null for none
 * @param lastCommitMicros {@link SegmentIndex#lastCommit()}, null for none
 * @param restorePoints {@link SegmentIndex#restorePoints()}
 * @param moreRestorePoints {@link SegmentIndex#moreRestorePoints()}
 * @param endsInPossibleStop {@link SegmentIndex#endsInPossibleStop()}
 * @param serverMajor {@link SegmentIndex#serverMajor()}
 * @param unfinishedHead {@link SegmentIndex#unfinishedHead()} in hex
 * @param continuationHead {@link SegmentIndex#continuationHead()} in hex
 */
record SegmentIndexJson(int walvaultWalIndex, String segment, Long newestTransactionEndMicros, Long lastCommitMicros,
                        List<String> restorePoints, boolean moreRestorePoints, boolean endsInPossibleStop, int serverMajor,
                        String unfinishedHead, String continuationHead) {

    static final int FORMAT = 1;

    SegmentIndexJson {
        requireNonNull(segment, "segment is null");
        requireNonNull(unfinishedHead, "unfinishedHead is null");
        requireNonNull(continuationHead, "continuationHead is null");
        restorePoints = List.copyOf(restorePoints);
        if (walvaultWalIndex != FORMAT) {
            throw new CorruptDataException("WAL index format " + walvaultWalIndex + " is not supported");
        }
    }

    static SegmentIndexJson of(String segment, SegmentIndex index) {
        return new SegmentIndexJson(FORMAT, segment, index.newestTransactionEnd().map(SegmentIndexJson::micros).orElse(null),
                index.lastCommit().map(SegmentIndexJson::micros).orElse(null), index.restorePoints(),
                index.moreRestorePoints(), index.endsInPossibleStop(), index.serverMajor(), index.unfinishedHead().toString(),
                index.continuationHead().toString());
    }

    SegmentIndex index() {
        return new SegmentIndex(Optional.ofNullable(newestTransactionEndMicros).map(WalFormat::instantOfUnixMicros),
                Optional.ofNullable(lastCommitMicros).map(WalFormat::instantOfUnixMicros), restorePoints, moreRestorePoints,
                endsInPossibleStop, serverMajor, new SegmentIndex.Bytes(HexFormat.of().parseHex(unfinishedHead)),
                new SegmentIndex.Bytes(HexFormat.of().parseHex(continuationHead)));
    }

    private static long micros(Instant t) {
        return Math.addExact(Math.multiplyExact(t.getEpochSecond(), 1_000_000L), t.getNano() / 1000);
    }
}
