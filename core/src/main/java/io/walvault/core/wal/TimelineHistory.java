package io.walvault.core.wal;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The content of a timeline history file ({@code 00000003.history}): for each ancestor timeline,
 * the position where the next one branched off. PostgreSQL writes one line per ancestor,
 * {@code parentTLI<TAB>switchpoint<TAB>reason}; blank lines and {@code #} comments are ignored.
 *
 * @param timeline the timeline this history belongs to
 * @param entries the ancestors, oldest first; each ended at its {@code end} position
 */
public record TimelineHistory(TimelineId timeline, List<Entry> entries) {

    /** One ancestor timeline and the position where it ended (the child started there). */
    public record Entry(TimelineId timeline, Lsn end, String reason) {
        public Entry {
            requireNonNull(timeline, "timeline is null");
            requireNonNull(end, "end is null");
            requireNonNull(reason, "reason is null");
        }
    }

    public TimelineHistory {
        requireNonNull(timeline, "timeline is null");
        entries = List.copyOf(entries);
        TimelineId prevTli = null;
        Lsn prevEnd = null;
        for (Entry e : entries) {
            if (e.timeline().compareTo(timeline) >= 0) {
                throw new IllegalArgumentException("history of timeline " + timeline + " lists timeline "
                        + e.timeline() + ", which is not an ancestor");
            }
            if (prevTli != null && e.timeline().compareTo(prevTli) <= 0) {
                throw new IllegalArgumentException("history of timeline " + timeline + " lists timelines out of order");
            }
            if (prevEnd != null && e.end().isBefore(prevEnd)) {
                throw new IllegalArgumentException("history of timeline " + timeline + " has switch points out of order");
            }
            prevTli = e.timeline();
            prevEnd = e.end();
        }
    }

    /** The history of timeline 1, which has no ancestors (and no file). */
    public static TimelineHistory first() {
        return new TimelineHistory(TimelineId.FIRST, List.of());
    }

    /** Parses the file content of {@code timeline}'s history file. */
    public static TimelineHistory parse(TimelineId timeline, String content) {
        List<Entry> entries = new ArrayList<>();
        int lineNo = 0;
        for (String raw : content.split("\n", -1)) {
            lineNo++;
            String line = raw.strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String[] f = line.split("\t", 3);
            if (f.length < 2) {
                f = line.split("\\s+", 3);
            }
            if (f.length < 2) {
                throw new IllegalArgumentException("history file of timeline " + timeline + ", line " + lineNo
                        + ": expected 'parentTLI<TAB>switchpoint<TAB>reason', found '" + line + "'");
            }
            try {
                TimelineId parent = TimelineId.of(Long.parseLong(f[0].strip()));
                Lsn end = Lsn.parse(f[1].strip());
                entries.add(new Entry(parent, end, f.length > 2 ? f[2].strip() : ""));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("history file of timeline " + timeline + ", line " + lineNo
                        + ": " + e.getMessage(), e);
            }
        }
        return new TimelineHistory(timeline, entries);
    }

    /** The file content, as PostgreSQL writes it. */
    public String format() {
        StringBuilder sb = new StringBuilder();
        for (Entry e : entries) {
            sb.append(e.timeline().value()).append('\t').append(e.end()).append('\t').append(e.reason()).append('\n');
        }
        return sb.toString();
    }

    /** Whether {@code other} is this timeline or one of its ancestors. */
    public boolean includes(TimelineId other) {
        return other.equals(timeline) || entries.stream().anyMatch(e -> e.timeline().equals(other));
    }

    /** The timeline {@code lsn} belongs to along this history (the last one whose range holds it). */
    public TimelineId timelineAt(Lsn lsn) {
        for (Entry e : entries) {
            if (lsn.isBefore(e.end())) {
                return e.timeline();
            }
        }
        return timeline;
    }

    /** Where {@code ancestor} ended (the switch point to its child), if it is an ancestor. */
    public Optional<Lsn> endOf(TimelineId ancestor) {
        return entries.stream().filter(e -> e.timeline().equals(ancestor)).map(Entry::end).findFirst();
    }

    /** The switch point of the direct parent: where this timeline begins. */
    public Optional<Lsn> branchPoint() {
        return entries.isEmpty() ? Optional.empty() : Optional.of(entries.get(entries.size() - 1).end());
    }
}
