package io.walvault.core.wal;

/**
 * A WAL position (log sequence number): an unsigned 64-bit byte offset into the WAL stream.
 *
 * <p>Text form is PostgreSQL's {@code %X/%X} (high and low 32 bits in hex); the zero-padded
 * {@code %X/%08X} form newer servers print is accepted too. Ordering is unsigned.
 */
public record Lsn(long value) implements Comparable<Lsn> {

    /** {@code 0/0}: PostgreSQL's InvalidXLogRecPtr. */
    public static final Lsn INVALID = new Lsn(0);

    /** Parses {@code 16/B374D848} (either case, with or without zero padding). */
    public static Lsn parse(String text) {
        if (text == null) {
            throw new IllegalArgumentException("LSN is null");
        }
        String s = text.trim();
        int slash = s.indexOf('/');
        if (slash <= 0 || slash == s.length() - 1 || slash > 8 || s.length() - slash - 1 > 8) {
            throw new IllegalArgumentException("'" + text + "' is not a WAL position; expected the form 16/B374D848");
        }
        try {
            long hi = Long.parseLong(s.substring(0, slash), 16);
            long lo = Long.parseLong(s.substring(slash + 1), 16);
            return new Lsn(hi << 32 | lo);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + text + "' is not a WAL position; expected the form 16/B374D848", e);
        }
    }

    public static Lsn of(long value) {
        return new Lsn(value);
    }

    public boolean isValid() {
        return value != 0;
    }

    public Lsn plus(long bytes) {
        return new Lsn(value + bytes);
    }

    /** Bytes from {@code other} to this position (negative if this one is earlier). */
    public long minus(Lsn other) {
        return value - other.value;
    }

    public boolean isBefore(Lsn other) {
        return compareTo(other) < 0;
    }

    public boolean isAfter(Lsn other) {
        return compareTo(other) > 0;
    }

    /** The start of the segment this position falls in. */
    public Lsn segmentStart(long segmentSize) {
        WalSegmentName.checkSegmentSize(segmentSize);
        return new Lsn(value - Long.remainderUnsigned(value, segmentSize));
    }

    /** The offset of this position inside its segment. */
    public long segmentOffset(long segmentSize) {
        WalSegmentName.checkSegmentSize(segmentSize);
        return Long.remainderUnsigned(value, segmentSize);
    }

    /** The segment number ({@code XLByteToSeg}). */
    public long segmentNumber(long segmentSize) {
        WalSegmentName.checkSegmentSize(segmentSize);
        return Long.divideUnsigned(value, segmentSize);
    }

    @Override
    public int compareTo(Lsn o) {
        return Long.compareUnsigned(value, o.value);
    }

    @Override
    public String toString() {
        return Long.toHexString(value >>> 32).toUpperCase() + "/" + Long.toHexString(value & 0xFFFFFFFFL).toUpperCase();
    }
}
