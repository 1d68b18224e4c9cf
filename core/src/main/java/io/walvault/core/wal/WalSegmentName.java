package io.walvault.core.wal;

import static java.util.Objects.requireNonNull;

/**
 * The name of a WAL segment: {@code TTTTTTTTXXXXXXXXYYYYYYYY}, timeline then segment number split
 * into "log" and "seg" parts. The split depends on the segment size (the last two fields are
 * {@code segNo / (4 GiB / segSize)} and {@code segNo % (4 GiB / segSize)}), so a name converts to
 * and from a segment number only together with the cluster's segment size.
 */
public record WalSegmentName(TimelineId timeline, long segmentNumber, long segmentSize)
        implements Comparable<WalSegmentName> {

    /** PostgreSQL's default segment size, 16 MiB. */
    public static final long DEFAULT_SEGMENT_SIZE = 16L * 1024 * 1024;
    private static final long FOUR_GIB = 0x100000000L;
    private static final char[] HEX_DIGITS = "0123456789ABCDEF".toCharArray();

    public WalSegmentName {
        requireNonNull(timeline, "timeline is null");
        checkSegmentSize(segmentSize);
        if (segmentNumber < 0) {
            throw new IllegalArgumentException("segment number " + segmentNumber + " is negative");
        }
    }

    /** The segment holding {@code lsn} on {@code timeline}. */
    public static WalSegmentName of(TimelineId timeline, Lsn lsn, long segmentSize) {
        return new WalSegmentName(timeline, lsn.segmentNumber(segmentSize), segmentSize);
    }

    /** Whether {@code name} has the form of a segment name (24 uppercase hex digits). */
    public static boolean isSegmentName(String name) {
        if (name == null || name.length() != 24) {
            return false;
        }
        for (int i = 0; i < 24; i++) {
            char c = name.charAt(i);
            if (!(c >= '0' && c <= '9' || c >= 'A' && c <= 'F')) {
                return false;
            }
        }
        return true;
    }

    /** Parses a 24-character segment name for a cluster with {@code segmentSize}. */
    public static WalSegmentName parse(String name, long segmentSize) {
        if (!isSegmentName(name)) {
            throw new IllegalArgumentException("'" + name + "' is not a WAL segment name (24 uppercase hex digits)");
        }
        checkSegmentSize(segmentSize);
        TimelineId tli = TimelineId.parseHex(name.substring(0, 8));
        long log = Long.parseLong(name.substring(8, 16), 16);
        long seg = Long.parseLong(name.substring(16, 24), 16);
        long perLog = FOUR_GIB / segmentSize;
        if (seg >= perLog) {
            throw new IllegalArgumentException("'" + name + "' is not a valid segment name for "
                    + segmentSize / (1024 * 1024) + " MiB segments (segment part " + seg + " >= " + perLog + ")");
        }
        return new WalSegmentName(tli, log * perLog + seg, segmentSize);
    }

    static void checkSegmentSize(long segmentSize) {
        if (segmentSize < 1024 * 1024 || segmentSize > 1024L * 1024 * 1024 || Long.bitCount(segmentSize) != 1) {
            throw new IllegalArgumentException("WAL segment size " + segmentSize
                    + " is invalid: it must be a power of two from 1 MiB to 1 GiB");
        }
    }

    /** The first WAL position of this segment. */
    public Lsn startLsn() {
        return Lsn.of(segmentNumber * segmentSize);
    }

    /** The position just past this segment's end (the next segment's start). */
    public Lsn endLsn() {
        return Lsn.of((segmentNumber + 1) * segmentSize);
    }

    public WalSegmentName next() {
        return new WalSegmentName(timeline, segmentNumber + 1, segmentSize);
    }

    public WalSegmentName previous() {
        return new WalSegmentName(timeline, segmentNumber - 1, segmentSize);
    }

    /** The 24-character file name. */
    public String fileName() {
        long perLog = FOUR_GIB / segmentSize;
        char[] name = new char[24];
        hex8(timeline.value(), name, 0);
        hex8(segmentNumber / perLog, name, 8);
        hex8(segmentNumber % perLog, name, 16);
        return new String(name);
    }

    /**
     * Writes {@code value} (0 to 2^32 - 1) as 8 uppercase hex digits into {@code out} at {@code at}:
     * what {@code %08X} gives, without a Formatter (the hooks' workers name segments in loops).
     */
    static void hex8(long value, char[] out, int at) {
        if (value < 0 || value > 0xFFFFFFFFL) {
            throw new IllegalArgumentException(value + " does not fit 8 hexadecimal digits");
        }
        long v = value;
        for (int i = at + 7; i >= at; i--) {
            out[i] = HEX_DIGITS[(int) (v & 0xF)];
            v >>>= 4;
        }
    }

    /** Orders by segment number, then timeline. */
    @Override
    public int compareTo(WalSegmentName o) {
        int c = Long.compare(segmentNumber, o.segmentNumber);
        return c != 0 ? c : timeline.compareTo(o.timeline);
    }

    @Override
    public String toString() {
        return fileName();
    }
}
