package io.walvault.bench.e2e;

import io.walvault.core.config.RepositorySettings;
import io.walvault.core.pipeline.OutputStreamSink;
import io.walvault.core.repo.Repositories;
import io.walvault.core.repo.Repository;
import io.walvault.core.repo.WalArchive;
import io.walvault.core.wal.WalFileName;
import io.walvault.core.wal.WalRecordReader;
import io.walvault.core.wal.WalSegmentName;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

/** The newest commit a repository holds for a cluster: decoded from its newest segments and .partial files. */
final class AgentWal {

    private static final long SEGMENT = WalSegmentName.DEFAULT_SEGMENT_SIZE;

    private AgentWal() {
    }

    /**
     * The commit timestamp of the last commit record in the newest WAL file of the cluster that
     * has one (newest first: a segment before its own .partial, which it supersedes).
     */
    static Optional<Instant> lastCommit(RepositorySettings settings, long systemId) throws IOException {
        try (Repository repo = Repositories.open(settings)) {
            WalArchive wal = repo.cluster(systemId).wal();
            List<WalFileName> files = wal.list()
                    .filter(f -> f.kind() == WalFileName.Kind.SEGMENT || f.kind() == WalFileName.Kind.PARTIAL)
                    .sorted(Comparator.comparing(WalFileName::segment)
                            .thenComparing(f -> f.kind() == WalFileName.Kind.SEGMENT ? 1 : 0))
                    .toList();
            for (int i = files.size() - 1; i >= 0; i--) {
                WalFileName f = files.get(i);
                ByteArrayOutputStream bytes = new ByteArrayOutputStream();
                wal.get(f, new OutputStreamSink(bytes, false));
                Optional<Instant> t = lastCommitIn(WalSegmentName.parse(f.segment(), SEGMENT), bytes.toByteArray());
                if (t.isPresent()) {
                    return t;
                }
            }
            return Optional.empty();
        }
    }

    private static Optional<Instant> lastCommitIn(WalSegmentName segment, byte[] bytes) {
        AtomicReference<Instant> last = new AtomicReference<>();
        WalRecordReader reader = new WalRecordReader(segment.startLsn(), SEGMENT, r -> {
            if (r.isCommit()) {
                r.timestamp().ifPresent(last::set);
            }
        });
        try {
            reader.feed(bytes, 0, bytes.length);
        } catch (RuntimeException e) {
            // the end of a .partial (zeros or an older segment's bytes) stops decoding
        }
        return Optional.ofNullable(last.get());
    }
}
