package io.walvault.restore.info;

import static java.util.Objects.requireNonNull;

import io.walvault.core.wal.TimelineId;
import io.walvault.core.wal.WalSegmentName;
import java.util.ArrayList;
import java.util.List;
import java.util.NavigableSet;
import java.util.Optional;

/**
 * The archived WAL of one timeline: its first and last segment, how many there are, the ranges
 * missing between them (gaps: recovery cannot pass them), and the newest partial segment.
 *
 * @param timeline the timeline
 * @param first the oldest archived segment
 * @param last the newest archived segment
 * @param segments how many complete segments are archived
 * @param gaps missing ranges between first and last, oldest first
 * @param newestPartial the newest {@code .partial} segment of the timeline, if any
 */
public record TimelineWal(TimelineId timeline, WalSegmentName first, WalSegmentName last, long segments, List<Gap> gaps,
                          Optional<WalSegmentName> newestPartial) {

    /** Segments missing from the archive, {@code from} to {@code to} inclusive. */
    public record Gap(WalSegmentName from, WalSegmentName to) {
        public long count() {
            return to.segmentNumber() - from.segmentNumber() + 1;
        }
    }

    public TimelineWal {
        requireNonNull(timeline, "timeline is null");
        requireNonNull(first, "first is null");
        requireNonNull(last, "last is null");
        gaps = List.copyOf(gaps);
        requireNonNull(newestPartial, "newestPartial is null");
    }

    /** Summarises the segment numbers archived on {@code timeline}. */
    public static TimelineWal of(TimelineId timeline, NavigableSet<Long> segmentNumbers, Optional<Long> newestPartial,
                                 long segmentSize) {
        if (segmentNumbers.isEmpty() && newestPartial.isEmpty()) {
            throw new IllegalArgumentException("timeline " + timeline + " has no archived WAL");
        }
        List<Gap> gaps = new ArrayList<>();
        Long prev = null;
        for (long s : segmentNumbers) {
            if (prev != null && s > prev + 1) {
                gaps.add(new Gap(new WalSegmentName(timeline, prev + 1, segmentSize), new WalSegmentName(timeline, s - 1, segmentSize)));
            }
            prev = s;
        }
        long firstNo = segmentNumbers.isEmpty() ? newestPartial.get() : segmentNumbers.first();
        long lastNo = segmentNumbers.isEmpty() ? newestPartial.get() : segmentNumbers.last();
        return new TimelineWal(timeline, new WalSegmentName(timeline, firstNo, segmentSize),
                new WalSegmentName(timeline, lastNo, segmentSize), segmentNumbers.size(), gaps,
                newestPartial.map(p -> new WalSegmentName(timeline, p, segmentSize)));
    }
}
