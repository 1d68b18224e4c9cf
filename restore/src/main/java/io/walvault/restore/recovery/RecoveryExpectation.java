package io.walvault.restore.recovery;

import static java.util.Objects.requireNonNull;

import io.walvault.core.error.CorruptDataException;
import io.walvault.core.wal.Lsn;
import io.walvault.core.wal.TimelineId;
import io.walvault.core.wal.WalFormat;
import io.walvault.core.wal.WalFileName;
import io.walvault.core.wal.WalSegmentName;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * What a restore promised its server's recovery: every WAL segment recovery will ask for (as
 * ranges per timeline), the timeline history files it needs, and the segment its recovery ends
 * in, which it reads once more as it ends: the end of the archive, or the segment holding the
 * last byte recovery replays before the target. That is the last planned segment, unless
 * recovery stops before a record that continues into the next segment (a commit record of a
 * transaction that wrote megabytes of catalog changes, say), which recovery reads whole to
 * decide and does not replay. {@code walvault restore} writes
 * it into the restored data directory as {@value #FILE}; archive-get reads it to tell a gap or a
 * short recovery from recovery's normal end (docs/FORMAT.md, "Recovery plan file").
 *
 * <p>The file is text so that bin/walvault can read its second line (the segment recovery ends
 * in) without a JVM:
 *
 * <pre>
 * walvault-recovery-plan 1
 * end 000000020000000000000012
 * system-identifier 7351234567890123456
 * segment-size 16777216
 * wal 00000001000000000000000A 00000001000000000000000F
 * wal 000000020000000000000010 000000020000000000000012
 * history 00000002.history
 * </pre>
 *
 * @param systemId the cluster
 * @param segmentSize its WAL segment size
 * @param ranges the segments recovery asks for, per timeline, oldest first
 * @param histories the history files recovery needs
 * @param end the segment recovery ends in (reads last, and once more as it ends), one of the last range's
 *            segments: recovery must reach it before it may end
 */
public record RecoveryExpectation(long systemId, long segmentSize, List<Range> ranges, List<TimelineId> histories,
                                  WalSegmentName end) {

    /** Where the file lives, relative to the data directory (pg_wal is never part of a base backup). */
    public static final String FILE = "pg_wal/.walvault-restore.plan";
    private static final String MAGIC = "walvault-recovery-plan";
    /** Version 1: the end is the last planned segment; version 2 (written only when it is not) may name an earlier one. */
    private static final int FORMAT = 2;
    private static final int FORMAT_END_IS_LAST = 1;

    /** Segments {@code first} to {@code last} of one timeline, both included. */
    public record Range(WalSegmentName first, WalSegmentName last) {
        public Range {
            requireNonNull(first, "first is null");
            requireNonNull(last, "last is null");
            if (!first.timeline().equals(last.timeline()) || first.compareTo(last) > 0) {
                throw new IllegalArgumentException("'" + first + "' to '" + last + "' is not a range of one timeline");
            }
        }

        boolean contains(WalSegmentName s) {
            return s.timeline().equals(first.timeline()) && s.segmentNumber() >= first.segmentNumber()
                    && s.segmentNumber() <= last.segmentNumber();
        }
    }

    public RecoveryExpectation {
        ranges = List.copyOf(ranges);
        histories = List.copyOf(histories);
        if (ranges.isEmpty()) {
            throw new IllegalArgumentException("a recovery plan names at least one segment");
        }
        requireNonNull(end, "end is null");
        if (!ranges.get(ranges.size() - 1).contains(end)) {
            throw new IllegalArgumentException("'" + end + "' is not one of the planned segments of the last range");
        }
    }

    /** The last segment recovery may ask for. */
    public WalSegmentName lastPlanned() {
        return ranges.get(ranges.size() - 1).last();
    }

    /**
     * The expectation of a plan that asks for {@code segments} in order (each a segment or the
     * {@code .partial} served as that segment), ending on {@code finalTimeline}, starting from a
     * backup of {@code backupTimeline}, whose recovery ends in its last segment.
     */
    public static RecoveryExpectation of(long systemId, long segmentSize, List<WalFileName> segments, TimelineId backupTimeline,
                                         TimelineId finalTimeline) {
        return of(systemId, segmentSize, segments, backupTimeline, finalTimeline, Optional.empty());
    }

    /**
     * The same, for a recovery that replays WAL up to {@code replayedUntil} (the end of the last
     * record it replays, when the restore found its stop record): it ends in the segment holding
     * that record's last byte.
     */
    public static RecoveryExpectation of(long systemId, long segmentSize, List<WalFileName> segments, TimelineId backupTimeline,
                                         TimelineId finalTimeline, Optional<Lsn> replayedUntil) {
        List<Range> ranges = new ArrayList<>();
        WalSegmentName first = null;
        WalSegmentName last = null;
        for (WalFileName f : segments) {
            WalSegmentName s = WalSegmentName.parse(f.segment(), segmentSize);
            if (last != null && s.timeline().equals(last.timeline()) && s.segmentNumber() == last.segmentNumber() + 1) {
                last = s;
                continue;
            }
            if (first != null) {
                ranges.add(new Range(first, last));
            }
            first = s;
            last = s;
        }
        if (first != null) {
            ranges.add(new Range(first, last));
        }
        List<TimelineId> histories = finalTimeline.equals(backupTimeline) ? List.of() : List.of(finalTimeline);
        WalSegmentName end = last;
        if (replayedUntil.isPresent() && last != null) {
            long endsIn = replayedUntil.get().plus(-1).segmentNumber(segmentSize);
            WalSegmentName candidate = new WalSegmentName(last.timeline(), endsIn, segmentSize);
            if (ranges.get(ranges.size() - 1).contains(candidate)) {
                end = candidate;
            }
        }
        return new RecoveryExpectation(systemId, segmentSize, ranges, histories, end);
    }

    /**
     * How far the last record replayed can reach when recovery stops before the first record
     * that starts at or after {@code target} (an exclusive LSN target, which the restore does not
     * look for in the WAL): up to {@code target}, or, when {@code target} lies within the long page
     * header that opens its segment (a round LSN such as 0/5000000), only to the segment's
     * start: the record before the segment's first may end in the previous segment.
     */
    public static Lsn replayedBefore(Lsn target, long segmentSize) {
        Lsn start = target.segmentStart(segmentSize);
        return target.value() - start.value() <= WalFormat.LONG_PAGE_HEADER_SIZE ? start : target;
    }

    /** The timeline the plan ends on. */
    public TimelineId finalTimeline() {
        return end().timeline();
    }

    /** Whether recovery must be given {@code segment}: it is one of the planned segments. */
    public boolean covers(WalSegmentName segment) {
        return ranges.stream().anyMatch(r -> r.contains(segment));
    }

    /** Whether recovery must be given the history file of {@code timeline}. */
    public boolean needsHistory(TimelineId timeline) {
        return histories.contains(timeline);
    }

    /** Whether recovery that last asked for {@code lastAsked} has read up to the plan's end. */
    public boolean reachedBy(WalSegmentName lastAsked) {
        return lastAsked.segmentNumber() >= end().segmentNumber();
    }

    /** Writes the file into {@code dataDirectory} (0600, atomically). */
    public void write(Path dataDirectory) throws IOException {
        List<String> lines = new ArrayList<>();
        lines.add(MAGIC + " " + (end.equals(lastPlanned()) ? FORMAT_END_IS_LAST : FORMAT));
        lines.add("end " + end().fileName());
        lines.add("system-identifier " + Long.toUnsignedString(systemId));
        lines.add("segment-size " + segmentSize);
        for (Range r : ranges) {
            lines.add("wal " + r.first().fileName() + " " + r.last().fileName());
        }
        for (TimelineId t : histories) {
            lines.add("history " + t.historyFileName());
        }
        PrivateFiles.writeAtomically(dataDirectory.resolve(FILE), String.join("\n", lines) + "\n");
    }

    /** The expectation written into {@code dataDirectory}, if a restore wrote one. Strict: a damaged file is an error. */
    public static Optional<RecoveryExpectation> read(Path dataDirectory) throws IOException {
        Path file = dataDirectory.resolve(FILE);
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
        try {
            return Optional.of(parse(lines));
        } catch (RuntimeException e) {
            throw new CorruptDataException("'" + file + "' is damaged (" + e.getMessage() + ") HINT: it records what the"
                    + " restore promised recovery; restore again, or remove the file to recover without that check", e);
        }
    }

    static RecoveryExpectation parse(List<String> lines) {
        boolean endIsLast = !lines.isEmpty() && lines.get(0).equals(MAGIC + " " + FORMAT_END_IS_LAST);
        if (!endIsLast && (lines.isEmpty() || !lines.get(0).equals(MAGIC + " " + FORMAT))) {
            throw new IllegalArgumentException("the first line is neither '" + MAGIC + " " + FORMAT_END_IS_LAST + "' nor '"
                    + MAGIC + " " + FORMAT + "'");
        }
        Long systemId = null;
        Long segmentSize = null;
        String end = null;
        List<String[]> wal = new ArrayList<>();
        List<TimelineId> histories = new ArrayList<>();
        for (String line : lines.subList(1, lines.size())) {
            String[] f = line.split(" ");
            switch (f[0]) {
                case "end" -> end = field(f, 1);
                case "system-identifier" -> systemId = Long.parseUnsignedLong(field(f, 1));
                case "segment-size" -> segmentSize = Long.parseLong(field(f, 1));
                case "wal" -> wal.add(new String[] {field(f, 1), field(f, 2)});
                case "history" -> {
                    WalFileName h = WalFileName.parse(field(f, 1));
                    if (h.kind() != WalFileName.Kind.HISTORY) {
                        throw new IllegalArgumentException("'" + f[1] + "' is not a history file");
                    }
                    histories.add(h.timeline());
                }
                default -> throw new IllegalArgumentException("unknown line '" + line + "'");
            }
        }
        if (systemId == null || segmentSize == null || end == null || wal.isEmpty()) {
            throw new IllegalArgumentException("end, system-identifier, segment-size or wal missing");
        }
        List<Range> ranges = new ArrayList<>();
        for (String[] r : wal) {
            ranges.add(new Range(WalSegmentName.parse(r[0], segmentSize), WalSegmentName.parse(r[1], segmentSize)));
        }
        WalSegmentName endSegment = WalSegmentName.parse(end, segmentSize);
        if (endIsLast && !endSegment.equals(ranges.get(ranges.size() - 1).last())) {
            throw new IllegalArgumentException("'end " + end + "' is not the last planned segment");
        }
        return new RecoveryExpectation(systemId, segmentSize, ranges, histories, endSegment);
    }

    private static String field(String[] f, int i) {
        if (f.length <= i || f.length > 3) {
            throw new IllegalArgumentException("malformed line '" + String.join(" ", f).toLowerCase(Locale.ROOT) + "'");
        }
        return f[i];
    }
}
