package io.walvault.core.wal;

/** A PostgreSQL timeline: an unsigned 32-bit number, 1 for a cluster's first. */
public record TimelineId(long value) implements Comparable<TimelineId> {

    public static final TimelineId FIRST = new TimelineId(1);

    public TimelineId {
        if (value < 1 || value > 0xFFFFFFFFL) {
            throw new IllegalArgumentException("timeline " + value + " is out of range (1 to 4294967295)");
        }
    }

    public static TimelineId of(long value) {
        return new TimelineId(value);
    }

    /** Parses the 8-digit hex form used in file names ({@code 0000000A}). */
    public static TimelineId parseHex(String hex) {
        if (hex == null || hex.length() != 8) {
            throw new IllegalArgumentException("'" + hex + "' is not an 8-digit hexadecimal timeline");
        }
        try {
            return new TimelineId(Long.parseLong(hex, 16));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + hex + "' is not an 8-digit hexadecimal timeline", e);
        }
    }

    public TimelineId next() {
        return new TimelineId(value + 1);
    }

    /** The 8-digit uppercase hex form used in file names. */
    public String hex() {
        char[] hex = new char[8];
        WalSegmentName.hex8(value, hex, 0);
        return new String(hex);
    }

    /** The name of this timeline's history file, {@code 00000002.history}. */
    public String historyFileName() {
        return hex() + ".history";
    }

    @Override
    public int compareTo(TimelineId o) {
        return Long.compare(value, o.value);
    }

    @Override
    public String toString() {
        return Long.toString(value);
    }
}
