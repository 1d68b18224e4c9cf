package io.walvault.bench.e2e;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * The database the end-to-end run backs up and restores: pgbench's tables (compressible, as
 * real tables are) plus a table of random bytes (incompressible), so compression ratios are
 * not flattering. Built server-side with generate_series, in about the size asked for.
 */
public final class Dataset {

    /** Bytes of pgbench tables per unit of scale (pgbench_accounts, 100,000 rows, and its index). */
    static final long BYTES_PER_SCALE = 15_600_000L;
    /** Random bytes per row of the incompressible table. */
    static final int RANDOM_ROW_BYTES = 2048;

    private Dataset() {
    }

    /** The pgbench scale that fills {@code share} of {@code totalBytes}. */
    static int scaleFor(long totalBytes, double share) {
        return (int) Math.max(1, Math.round(totalBytes * share / BYTES_PER_SCALE));
    }

    /**
     * Creates the tables: 60% of {@code totalBytes} as pgbench tables, 40% as random bytes.
     * Returns the pgbench scale used (the WAL load needs it).
     */
    public static int create(Connection c, long totalBytes) throws SQLException {
        int scale = scaleFor(totalBytes, 0.6);
        long randomRows = Math.max(1, (long) (totalBytes * 0.4 / RANDOM_ROW_BYTES));
        try (Statement s = c.createStatement()) {
            s.execute("DROP TABLE IF EXISTS pgbench_accounts, pgbench_branches, pgbench_tellers, pgbench_history, incompressible");
            pgbenchTables(s, scale);
            s.execute("CREATE TABLE incompressible (id bigint PRIMARY KEY, payload bytea)");
            s.execute("ALTER TABLE incompressible ALTER COLUMN payload SET STORAGE EXTERNAL");
            int hexChunks = RANDOM_ROW_BYTES / 16;
            // the subquery refers to the row (r.id) so it runs for every row: each payload differs
            s.execute("INSERT INTO incompressible SELECT r.id, decode((SELECT string_agg(md5(random()::text || r.id || c.i), '')"
                    + " FROM generate_series(1, " + hexChunks + ") c(i)), 'hex') FROM generate_series(1, " + randomRows + ") r(id)");
            s.execute("VACUUM ANALYZE");
            s.execute("CHECKPOINT");
        }
        return scale;
    }

    /**
     * pgbench's tables alone, about {@code totalBytes} of them (compressible, as the tables of
     * most databases are): the large dataset, where what a full backup costs per GB shows.
     */
    public static int createPgbenchOnly(Connection c, long totalBytes) throws SQLException {
        int scale = scaleFor(totalBytes, 1.0);
        try (Statement s = c.createStatement()) {
            s.execute("DROP TABLE IF EXISTS pgbench_accounts, pgbench_branches, pgbench_tellers, pgbench_history");
            pgbenchTables(s, scale);
            s.execute("VACUUM ANALYZE");
            s.execute("CHECKPOINT");
        }
        return scale;
    }

    /** pgbench's four tables at {@code scale}, filled as {@code pgbench -i} fills them. */
    private static void pgbenchTables(Statement s, int scale) throws SQLException {
        s.execute("CREATE TABLE pgbench_branches (bid int NOT NULL PRIMARY KEY, bbalance int, filler char(88)) WITH (fillfactor = 100)");
        s.execute("CREATE TABLE pgbench_tellers (tid int NOT NULL PRIMARY KEY, bid int, tbalance int, filler char(84)) WITH (fillfactor = 100)");
        s.execute("CREATE TABLE pgbench_accounts (aid int NOT NULL, bid int, abalance int, filler char(84)) WITH (fillfactor = 100)");
        s.execute("CREATE TABLE pgbench_history (tid int, bid int, aid int, delta int, mtime timestamp, filler char(22))");
        s.execute("INSERT INTO pgbench_branches SELECT g, 0, '' FROM generate_series(1, " + scale + ") g");
        s.execute("INSERT INTO pgbench_tellers SELECT g, (g - 1) / 10 + 1, 0, '' FROM generate_series(1, " + 10 * scale + ") g");
        s.execute("INSERT INTO pgbench_accounts SELECT g, (g - 1) / 100000 + 1, 0, '' FROM generate_series(1, "
                + 100_000L * scale + ") g");
        s.execute("ALTER TABLE pgbench_accounts ADD PRIMARY KEY (aid)");
    }

    /** The database's size in bytes. */
    public static long size(Connection c) throws SQLException {
        try (Statement s = c.createStatement(); var rs = s.executeQuery("SELECT sum(pg_database_size(oid)) FROM pg_database")) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
