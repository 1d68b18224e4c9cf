package io.walvault.core.wal;

import static java.util.Objects.requireNonNull;

import java.util.Optional;

/**
 * Any file name PostgreSQL archives or asks for: a segment, a partial segment, a timeline
 * history file or a backup history file. Parsing is strict: anything else is refused.
 *
 * <ul>
 *   <li>{@code 000000010000000000000003} segment</li>
 *   <li>{@code 000000010000000000000003.partial} the unfinished last segment of a timeline</li>
 *   <li>{@code 00000002.history} timeline history</li>
 *   <li>{@code 000000010000000000000003.00000028.backup} backup history (offset of the start LSN)</li>
 * </ul>
 */
public record WalFileName(Kind kind, String name, TimelineId timeline, String segment) {

    /** What a file is. */
    public enum Kind { SEGMENT, PARTIAL, HISTORY, BACKUP_HISTORY }

    public WalFileName {
        requireNonNull(kind, "kind is null");
        requireNonNull(name, "name is null");
        requireNonNull(timeline, "timeline is null");
    }

    /** Parses {@code name}, or explains why it is not a WAL file name. */
    public static WalFileName parse(String name) {
        return tryParse(name).orElseThrow(() -> new IllegalArgumentException("'" + name
                + "' is not a WAL file name (a 24-hex-digit segment, optionally with .partial,"
                + " a TTTTTTTT.history file, or a segment.OFFSET.backup file)"));
    }

    /** Parses {@code name} if it is a WAL file name. */
    public static Optional<WalFileName> tryParse(String name) {
        if (name == null) {
            return Optional.empty();
        }
        if (WalSegmentName.isSegmentName(name)) {
            return Optional.of(new WalFileName(Kind.SEGMENT, name, TimelineId.parseHex(name.substring(0, 8)), name));
        }
        if (name.length() == 24 + 8 && name.endsWith(".partial") && WalSegmentName.isSegmentName(name.substring(0, 24))) {
            String seg = name.substring(0, 24);
            return Optional.of(new WalFileName(Kind.PARTIAL, name, TimelineId.parseHex(seg.substring(0, 8)), seg));
        }
        if (name.length() == 8 + 8 && name.endsWith(".history") && isHex(name.substring(0, 8))) {
            long tli = Long.parseLong(name.substring(0, 8), 16);
            if (tli < 1) {
                return Optional.empty();
            }
            return Optional.of(new WalFileName(Kind.HISTORY, name, TimelineId.of(tli), null));
        }
        if (name.length() == 24 + 1 + 8 + 7 && name.endsWith(".backup") && name.charAt(24) == '.'
                && WalSegmentName.isSegmentName(name.substring(0, 24)) && isHex(name.substring(25, 33))) {
            String seg = name.substring(0, 24);
            return Optional.of(new WalFileName(Kind.BACKUP_HISTORY, name, TimelineId.parseHex(seg.substring(0, 8)), seg));
        }
        return Optional.empty();
    }

    private static boolean isHex(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (!(c >= '0' && c <= '9' || c >= 'A' && c <= 'F')) {
                return false;
            }
        }
        return true;
    }

    /** The segment this file belongs to, for segments, partials and backup history files. */
    public Optional<WalSegmentName> segmentName(long segmentSize) {
        return segment == null ? Optional.empty() : Optional.of(WalSegmentName.parse(segment, segmentSize));
    }

    @Override
    public String toString() {
        return name;
    }
}
