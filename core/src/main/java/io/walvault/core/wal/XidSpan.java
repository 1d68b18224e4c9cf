package io.walvault.core.wal;

/**
 * The transaction ids of the commit and abort records that begin in one WAL segment, as the
 * range from the oldest to the newest: what a {@code recovery_target_xid} may stop at there.
 * Transaction ids are the records' 32-bit {@code xl_xid}, which wrap around, so the range is
 * circular: it runs from {@code oldest} forward to {@code newest} (the ids of one segment lie
 * far less than 2^31 apart: PostgreSQL refuses to let them drift so far). {@link #ANY} when the
 * records cannot say: a prepared transaction's commit or abort names its transaction in its data,
 * not in {@code xl_xid}, and an index written before the ids were kept lists none.
 *
 * @param oldest the oldest id (0 to 2^32-1)
 * @param newest the newest id, at most 2^31-1 after {@code oldest}
 * @param any    whether any id may be among them ({@code oldest} and {@code newest} are then 0)
 */
public record XidSpan(long oldest, long newest, boolean any) {

    /** Any transaction id may end in the segment. */
    public static final XidSpan ANY = new XidSpan(0, 0, true);

    private static final long MASK = 0xFFFFFFFFL;

    public XidSpan {
        if (oldest < 0 || oldest > MASK || newest < 0 || newest > MASK) {
            throw new IllegalArgumentException("transaction id out of range: " + oldest + " to " + newest);
        }
        if (any && (oldest != 0 || newest != 0)) {
            throw new IllegalArgumentException("a span of any transaction id names none");
        }
        if (!any && distance(oldest, newest) < 0) {
            throw new IllegalArgumentException("transaction id " + newest + " is not at most 2^31-1 after " + oldest);
        }
    }

    /** The span of the one id {@code xid}. */
    public static XidSpan of(long xid) {
        return new XidSpan(xid & MASK, xid & MASK, false);
    }

    /** This span, widened to hold {@code xid}. */
    public XidSpan with(long xid) {
        long x = xid & MASK;
        if (any || mayHold(x)) {
            return this;
        }
        // outside: it extends the span at the end it lies nearer to
        return distance(x, oldest) > 0 ? new XidSpan(x, newest, false) : new XidSpan(oldest, x, false);
    }

    /** Whether a transaction with id {@code xid} (its low 32 bits) may end in the segment. */
    public boolean mayHold(long xid) {
        long x = xid & MASK;
        return any || distance(oldest, x) >= 0 && distance(x, newest) >= 0;
    }

    /** How far {@code to} lies after {@code from} on the circle of 32-bit ids (negative: before). */
    private static int distance(long from, long to) {
        return (int) (to - from);
    }

    @Override
    public String toString() {
        return any ? "any" : oldest + ".." + newest;
    }
}
