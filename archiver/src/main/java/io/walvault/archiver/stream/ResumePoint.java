package io.walvault.archiver.stream;

import static java.util.Objects.requireNonNull;

import io.walvault.core.replication.SlotInfo;
import io.walvault.core.replication.SystemIdentity;
import io.walvault.core.wal.Lsn;
import io.walvault.core.wal.TimelineHistory;
import io.walvault.core.wal.TimelineId;
import io.walvault.core.wal.WalFileName;
import io.walvault.core.wal.WalSegmentName;
import java.util.Iterator;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where streaming resumes: the first byte the repository does not hold along the server's
 * timeline history, at a segment boundary, and the timeline that byte belongs to.
 *
 * @param position a segment boundary
 * @param timeline the timeline to stream from {@code position}
 */
record ResumePoint(Lsn position, TimelineId timeline) {

    private static final Logger LOG = LoggerFactory.getLogger(ResumePoint.class);

    ResumePoint {
        requireNonNull(position, "position is null");
        requireNonNull(timeline, "timeline is null");
    }

    /**
     * Where a session starts streaming; the first that applies wins:
     *
     * <ol>
     *   <li>{@code pastGap}, after a gap {@link GapPolicy} accepted: where the server can serve;
     *   <li>what this process remembers, if still usable along {@code history} ({@link #remembered});
     *   <li>the end of what the archive holds along {@code history} ({@link #endOfArchive}, one listing);
     *   <li>{@code atServer}: the archive holds no WAL of this history yet.
     * </ol>
     */
    static ResumePoint choose(Optional<ResumePoint> pastGap, ResumePoint remembered, TimelineHistory history,
                              Supplier<Stream<WalFileName>> archive, ResumePoint atServer, long segmentSize) {
        if (pastGap.isPresent()) {
            return logServerStart(pastGap.get(), "past the accepted gap");
        }
        Optional<ResumePoint> r = remembered(remembered, history, segmentSize);
        if (r.isPresent()) {
            return r.get();
        }
        Optional<ResumePoint> archived;
        try (Stream<WalFileName> files = archive.get()) {
            archived = endOfArchive(files.iterator(), history, segmentSize);
        }
        if (archived.isPresent()) {
            LOG.info("agent: the repository holds WAL up to {} on timeline {}", archived.get().position(),
                    archived.get().timeline());
            return archived.get();
        }
        return logServerStart(atServer, "the repository holds no WAL of this cluster's timeline history yet");
    }

    private static ResumePoint logServerStart(ResumePoint at, String why) {
        LOG.info("agent: {}: streaming from {} on timeline {}", why, at.position(), at.timeline());
        return at;
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

    /**
     * Where a session resumes from what an earlier session of this process remembered: {@code
     * remembered} if its timeline is in {@code history} and it is not past that timeline's end
     * (the segment holding the switch point is the next timeline's), with the timeline
     * {@code history} says the position belongs to. Empty when there is nothing usable to
     * remember (the first session, or a history that left the remembered timeline behind): the
     * archive is listed then.
     */
    static Optional<ResumePoint> remembered(ResumePoint remembered, TimelineHistory history, long segmentSize) {
        if (remembered == null || !history.includes(remembered.timeline())) {
            return Optional.empty();
        }
        Optional<Lsn> end = history.endOf(remembered.timeline());
        if (end.isPresent() && remembered.position().isAfter(end.get().segmentStart(segmentSize))) {
            return Optional.empty();
        }
        return Optional.of(new ResumePoint(remembered.position(), history.timelineAt(remembered.position())));
    }

    /**
     * Where the server can serve from when the repository has nothing to resume from (or after
     * an accepted gap): the slot's restart position and timeline when READ_REPLICATION_SLOT told
     * them (PostgreSQL 15+), else the server's flush position and current timeline
     * (IDENTIFY_SYSTEM; always on 14), at a segment boundary.
     */
    static ResumePoint atServer(Optional<SlotInfo> slot, SystemIdentity id, long segmentSize) {
        Lsn at = slot.flatMap(SlotInfo::restartLsn).orElse(id.flushPosition()).segmentStart(segmentSize);
        TimelineId tli = slot.flatMap(SlotInfo::restartTimeline).orElse(id.timeline());
        return new ResumePoint(at, tli);
    }
}
