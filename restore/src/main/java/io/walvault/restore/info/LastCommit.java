package io.walvault.restore.info;

import io.walvault.core.pipeline.Sink;
import io.walvault.core.repo.ClusterCatalog;
import io.walvault.core.wal.WalFileName;
import io.walvault.core.wal.WalRecordReader;
import io.walvault.core.wal.WalSegmentName;
import java.io.IOException;
import java.time.Instant;
import java.util.Optional;

/**
 * The time of the last commit in an archived WAL file, found by decoding it (bounded memory:
 * the record reader streams): what the end of a recoverable window means to a DBA. Best effort:
 * a file without a commit, or one that cannot be read, gives nothing (the window's LSN stands).
 */
final class LastCommit {

    private LastCommit() {
    }

    static Optional<Instant> in(ClusterCatalog cluster, WalFileName file, long segmentSize) {
        Optional<WalSegmentName> segment = file.segmentName(segmentSize);
        if (segment.isEmpty()) {
            return Optional.empty();
        }
        Instant[] last = {null};
        WalRecordReader reader = new WalRecordReader(segment.get().startLsn(), segmentSize, r -> {
            if (r.isCommit()) {
                r.timestamp().ifPresent(t -> last[0] = t);
            }
        });
        try {
            cluster.wal().get(file, Sink.of((b, off, len) -> {
                if (reader.endOfWal().isEmpty()) {
                    reader.feed(b, off, len);
                }
            }));
        } catch (IOException | RuntimeException e) {
            return Optional.ofNullable(last[0]);
        }
        return Optional.ofNullable(last[0]);
    }
}
