package io.walvault.archiver.stream;

import static java.util.Objects.requireNonNull;

import io.walvault.core.wal.Lsn;
import io.walvault.core.wal.TimelineHistory;
import io.walvault.core.wal.TimelineId;
import io.walvault.core.wal.WalFileName;
import io.walvault.core.wal.WalSegmentName;
import java.util.Iterator;
import java.util.Optional;

/**
 * Where streaming resumes: the first byte the repository does not hold along the server's
 * timeline history, at a segment boundary, and the timeline that byte belongs to.
 *
 * @param position a segment boundary
 * @param timeline the timeline to stream from {@code position}
 */
record ResumePoint(Lsn position, TimelineId timeline) {

    ResumePoint {
        requireNonNull(position, "position is null");
        requireNonNull(timeline, "timeline is null");
    }

    /**
     * The end of what the archive holds along {@code history}: past the newest complete segment,
     * or at the start of the newest {@code .partial} (a partial segment is streamed again from
     * its start). A segment of an ancestor timeline counts only if it ends at or before that
     * timeline's switch point (a segment holding the switch point is the new timeline's to
     * archive), and timelines outside the history (a stray or abandoned branch) do not count.
     * Empty when the archive holds no WAL along the history.
     */
    static Optional<ResumePoint> endOfArchive(Iterator<WalFileName> archived, TimelineHistory history, long segmentSize) {
        Lsn end = null;
        while (archived.hasNext()) {
            WalFileName f = archived.next();
            if (f.kind() != WalFileName.Kind.SEGMENT && f.kind() != WalFileName.Kind.PARTIAL) {
                continue;
            }
            if (!history.includes(f.timeline())) {
                continue;
            }
            WalSegmentName seg = f.segmentName(segmentSize).orElseThrow();
            Optional<Lsn> switchPoint = history.endOf(f.timeline());
            Lsn candidate;
            if (f.kind() == WalFileName.Kind.SEGMENT) {
                if (switchPoint.isPresent() && seg.endLsn().isAfter(switchPoint.get())) {
                    continue;
                }
                candidate = seg.endLsn();
            } else {
                if (switchPoint.isPresent() && !seg.startLsn().isBefore(switchPoint.get())) {
                    continue;
                }
                candidate = seg.startLsn();
                if (switchPoint.isPresent()) {
                    // the old timeline's last partial segment: the new timeline starts in the same segment
                    candidate = switchPoint.get().segmentStart(segmentSize);
                }
            }
            if (end == null || candidate.isAfter(end)) {
                end = candidate;
            }
        }
        if (end == null) {
            return Optional.empty();
        }
        return Optional.of(new ResumePoint(end, history.timelineAt(end)));
    }
}
