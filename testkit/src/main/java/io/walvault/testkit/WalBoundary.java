package io.walvault.testkit;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * Moves a server's WAL insert position to just before the end of a segment, with logical
 * messages of computed sizes, so that the next record a test writes (a commit, a restore point)
 * begins in one segment and ends in the next. Works inside an open transaction (the messages are
 * not transactional). Another record written meanwhile (a checkpoint's, the background writer's)
 * can spoil it: callers check what they got, and try again.
 */
public final class WalBoundary {

    private static final int PAGE = 8192;
    private static final int PAGE_HEADER = 24;
    /** A logical message record without its message: header 24, data header 2, xl_logical_message 24, prefix 9. */
    private static final int MESSAGE_OVERHEAD = 59;

    private WalBoundary() {
    }

    /**
     * Writes logical messages until the insert position lies between {@code minLeft} and
     * {@code maxLeft} bytes (inclusive, {@code maxLeft - minLeft >= 7}) before a segment's end;
     * returns that position.
     */
    public static long leaveBeforeSegmentEnd(Connection c, long segmentSize, int minLeft, int maxLeft) throws SQLException {
        if (maxLeft - minLeft < 7 || minLeft < 0) {
            throw new IllegalArgumentException("window [" + minLeft + ", " + maxLeft + "]");
        }
        long target = (minLeft + maxLeft) / 2 / 8 * 8;
        if (target < minLeft) {
            target += 8;
        }
        try (Statement s = c.createStatement()) {
            for (int attempt = 0; attempt < 100; attempt++) {
                long pos = insertPosition(s);
                long left = segmentSize - pos % segmentSize;
                if (left >= minLeft && left <= maxLeft) {
                    return pos;
                }
                // the bytes to consume: down to the target, or (too close already) past the boundary, well before the next
                long consume = left - target >= 64 ? left - target : left + PAGE * 3;
                long crossed = (pos % PAGE + consume) / PAGE; // page headers inside the message
                long message = consume - MESSAGE_OVERHEAD - crossed * PAGE_HEADER - (consume > 255 ? 3 : 0);
                s.execute("SELECT pg_logical_emit_message(false, 'walvault', repeat('x', " + Math.max(1, message) + "))");
            }
        }
        throw new IllegalStateException("the WAL insert position did not settle " + minLeft + "-" + maxLeft
                + " bytes before a segment's end");
    }

    private static long insertPosition(Statement s) throws SQLException {
        try (ResultSet rs = s.executeQuery("SELECT pg_current_wal_insert_lsn()")) {
            rs.next();
            String[] parts = rs.getString(1).split("/");
            return (Long.parseLong(parts[0], 16) << 32) + Long.parseLong(parts[1], 16);
        }
    }
}
