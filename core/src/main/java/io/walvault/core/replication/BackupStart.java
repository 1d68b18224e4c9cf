package io.walvault.core.replication;

import static java.util.Objects.requireNonNull;

import io.walvault.core.wal.Lsn;
import io.walvault.core.wal.TimelineId;
import java.util.List;

/**
 * What the server says when a base backup starts: where its WAL starts and which archives follow
 * (the main directory last).
 */
public record BackupStart(Lsn startLsn, TimelineId startTimeline, List<TablespaceArchive> archives) {
    public BackupStart {
        requireNonNull(startLsn, "startLsn is null");
        requireNonNull(startTimeline, "startTimeline is null");
        archives = List.copyOf(archives);
    }
}
