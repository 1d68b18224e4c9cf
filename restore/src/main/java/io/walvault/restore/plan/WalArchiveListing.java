package io.walvault.restore.plan;

import static java.util.Objects.requireNonNull;

import io.walvault.core.wal.TimelineHistory;
import io.walvault.core.wal.TimelineId;
import io.walvault.core.wal.WalFileName;
import io.walvault.core.wal.WalSegmentName;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * What the WAL archive of one cluster holds, as planning sees it: per timeline, the segments
 * (and partial segments) with their stored sizes, and the timeline history files. Built once
 * from a repository listing; then read-only.
 */
public final class WalArchiveListing {

    private final long segmentSize;
    private final Map<TimelineId, NavigableMap<Long, Long>> segments = new HashMap<>();
    private final Map<TimelineId, NavigableMap<Long, Long>> partials = new HashMap<>();
    private final Map<TimelineId, TimelineHistory> histories = new HashMap<>();

    public WalArchiveListing(long segmentSize) {
        WalSegmentName.parse("000000010000000000000001", segmentSize); // validates the size
        this.segmentSize = segmentSize;
    }

    /** Adds an archived segment or partial segment with its stored size. */
    public WalArchiveListing add(WalFileName file, long storedBytes) {
        requireNonNull(file, "file is null");
        switch (file.kind()) {
            case SEGMENT -> segments.computeIfAbsent(file.timeline(), t -> new TreeMap<>())
                    .put(file.segmentName(segmentSize).orElseThrow().segmentNumber(), storedBytes);
            case PARTIAL -> partials.computeIfAbsent(file.timeline(), t -> new TreeMap<>())
                    .put(file.segmentName(segmentSize).orElseThrow().segmentNumber(), storedBytes);
            default -> {
                // history files come with their content through addHistory; backup history files are informational
            }
        }
        return this;
    }

    /** Adds a timeline history file's content. */
    public WalArchiveListing addHistory(TimelineHistory history) {
        histories.put(history.timeline(), requireNonNull(history, "history is null"));
        return this;
    }

    public long segmentSize() {
        return segmentSize;
    }

    /** The stored size of a complete segment, if archived. */
    public OptionalLong segment(TimelineId tli, long segNo) {
        Long v = segments.getOrDefault(tli, Collections.emptyNavigableMap()).get(segNo);
        return v == null ? OptionalLong.empty() : OptionalLong.of(v);
    }

    /** The stored size of a partial segment, if archived. */
    public OptionalLong partial(TimelineId tli, long segNo) {
        Long v = partials.getOrDefault(tli, Collections.emptyNavigableMap()).get(segNo);
        return v == null ? OptionalLong.empty() : OptionalLong.of(v);
    }

    /** The highest segment number archived on {@code tli}, complete or partial. */
    public OptionalLong newestSegment(TimelineId tli) {
        long best = -1;
        NavigableMap<Long, Long> s = segments.get(tli);
        if (s != null && !s.isEmpty()) {
            best = s.lastKey();
        }
        NavigableMap<Long, Long> p = partials.get(tli);
        if (p != null && !p.isEmpty()) {
            best = Math.max(best, p.lastKey());
        }
        return best < 0 ? OptionalLong.empty() : OptionalLong.of(best);
    }

    /** The history of {@code tli}: timeline 1 has none and needs no file. */
    public Optional<TimelineHistory> history(TimelineId tli) {
        if (tli.equals(TimelineId.FIRST)) {
            return Optional.of(TimelineHistory.first());
        }
        return Optional.ofNullable(histories.get(tli));
    }

    /** The numbers of the complete segments archived on {@code tli}, ascending. */
    public SortedSet<Long> segments(TimelineId tli) {
        return Collections.unmodifiableSortedSet(new TreeSet<>(
                segments.getOrDefault(tli, Collections.emptyNavigableMap()).keySet()));
    }

    /** The number of the newest {@code .partial} archived on {@code tli}, if any. */
    public OptionalLong newestPartial(TimelineId tli) {
        NavigableMap<Long, Long> p = partials.get(tli);
        return p == null || p.isEmpty() ? OptionalLong.empty() : OptionalLong.of(p.lastKey());
    }

    /** Every timeline the archive knows of, by segments or history files. */
    public TreeSet<TimelineId> timelines() {
        TreeSet<TimelineId> all = new TreeSet<>(segments.keySet());
        all.addAll(partials.keySet());
        all.addAll(histories.keySet());
        return all;
    }
}
