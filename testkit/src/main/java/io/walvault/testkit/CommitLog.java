package io.walvault.testkit;

import static java.util.Objects.requireNonNull;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.NavigableSet;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The truth of a reliability test, kept by the client: rows committed one at a time with
 * increasing ids into a table, each id recorded as acknowledged only once its COMMIT returned.
 * A row's content is a function of its id ({@link #payload}, {@link #pad}), so a restored
 * server can be compared row by row without keeping the rows: {@link #compare} says which
 * acknowledged rows are missing, which rows were never written at all, and which have other
 * content.
 *
 * <pre>{@code
 * CommitLog truth = CommitLog.create(primary, "truth", 2000);   // 2000 bytes of padding per row
 * truth.write(5000);                                            // 5000 commits, one row each
 * truth.startBackground(2);                                     // or: 2 clients until stop()
 * ...
 * CommitLog.Comparison c = truth.compare(restored);
 * assertTrue(c.exact(), c.toString());
 * }</pre>
 *
 * <p>Ids sent but never acknowledged (the server died under the client) are "in flight": a
 * restore may or may not have them. Thread-safe.
 */
public final class CommitLog {

    private final PgCluster server;
    private final String table;
    private final int padBytes;
    private final AtomicLong nextId = new AtomicLong(1);
    private final NavigableSet<Long> acknowledged = new ConcurrentSkipListSet<>();
    private final NavigableSet<Long> sent = new ConcurrentSkipListSet<>();
    private final AtomicReference<String> lastLsn = new AtomicReference<>();
    private final AtomicBoolean stop = new AtomicBoolean();
    private final List<Thread> clients = new ArrayList<>();
    private final AtomicReference<Exception> clientError = new AtomicReference<>();

    private CommitLog(PgCluster server, String table, int padBytes) {
        this.server = requireNonNull(server, "server is null");
        this.table = requireNonNull(table, "table is null");
        this.padBytes = padBytes;
    }

    /** Creates {@code table} on {@code server} and a log of the commits into it. */
    public static CommitLog create(PgCluster server, String table, int padBytes) {
        if (!table.matches("[a-z_][a-z0-9_]*") || padBytes < 0) {
            throw new IllegalArgumentException("table '" + table + "', padding " + padBytes);
        }
        server.execute("CREATE TABLE " + table + " (id bigint PRIMARY KEY, payload text NOT NULL, pad text NOT NULL)");
        return new CommitLog(server, table, padBytes);
    }

    public String table() {
        return table;
    }

    /** The content of row {@code id}. */
    public static String payload(long id) {
        return "row " + id + " " + Long.toHexString(id * 0x9E3779B97F4A7C15L);
    }

    /** The padding of row {@code id}: {@code bytes} characters that compress about as well as text. */
    public static String pad(long id, int bytes) {
        StringBuilder sb = new StringBuilder(bytes);
        long x = id * 0x2545F4914F6CDD1DL + 1;
        while (sb.length() < bytes) {
            x ^= x << 13;
            x ^= x >>> 7;
            x ^= x << 17;
            sb.append(Long.toString(x & Long.MAX_VALUE, 36)).append(' ');
        }
        sb.setLength(bytes);
        return sb.toString();
    }

    /** Commits {@code rows} rows, one per transaction, on one connection; returns the last id. */
    public long write(int rows) throws SQLException {
        long last = 0;
        try (Connection c = server.connect(); PreparedStatement insert = insert(c)) {
            for (int i = 0; i < rows; i++) {
                last = commitOne(c, insert);
            }
            recordLsn(c);
        }
        return last;
    }

    /** Commits for {@code duration} on one connection; returns how many were acknowledged. */
    public int writeFor(Duration duration) throws SQLException {
        long end = System.nanoTime() + duration.toNanos();
        int n = 0;
        try (Connection c = server.connect(); PreparedStatement insert = insert(c)) {
            while (System.nanoTime() < end) {
                commitOne(c, insert);
                n++;
            }
            recordLsn(c);
        }
        return n;
    }

    /**
     * Starts {@code threads} clients that commit until {@link #stop()} or until the server fails
     * them (which ends a client quietly: the ids it had sent stay in flight).
     */
    public synchronized void startBackground(int threads) {
        stop.set(false);
        for (int i = 0; i < threads; i++) {
            Thread t = new Thread(() -> {
                try (Connection c = server.connect(); PreparedStatement insert = insert(c)) {
                    while (!stop.get()) {
                        commitOne(c, insert);
                    }
                    recordLsn(c);
                } catch (SQLException e) {
                    if (!stop.get()) {
                        clientError.compareAndSet(null, e);
                    }
                }
            }, "commit-log-" + table + "-" + i);
            t.setDaemon(true);
            clients.add(t);
            t.start();
        }
    }

    /** Stops the background clients and waits for them. */
    public synchronized void stop() throws InterruptedException {
        stop.set(true);
        for (Thread t : clients) {
            t.join(60_000);
        }
        clients.clear();
    }

    /** The error that ended a background client before {@link #stop()}, if one did (the server died under it). */
    public Exception clientError() {
        return clientError.get();
    }

    private PreparedStatement insert(Connection c) throws SQLException {
        c.setAutoCommit(true);
        return c.prepareStatement("INSERT INTO " + table + " (id, payload, pad) VALUES (?, ?, ?)");
    }

    private long commitOne(Connection c, PreparedStatement insert) throws SQLException {
        long id = nextId.getAndIncrement();
        insert.setLong(1, id);
        insert.setString(2, payload(id));
        insert.setString(3, pad(id, padBytes));
        sent.add(id);
        insert.executeUpdate(); // autocommit: returns once the commit was acknowledged
        acknowledged.add(id);
        return id;
    }

    private void recordLsn(Connection c) {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT pg_current_wal_lsn()::text")) {
            rs.next();
            lastLsn.set(rs.getString(1));
        } catch (SQLException e) {
            // the server is gone: the LSN is only informative
        }
    }

    /** The ids acknowledged so far, in order. */
    public NavigableSet<Long> acknowledged() {
        return new TreeSet<>(acknowledged);
    }

    /** How many commits were acknowledged. */
    public int acknowledgedCount() {
        return acknowledged.size();
    }

    /** The ids sent whose commit was never acknowledged: a restore may or may not hold them. */
    public NavigableSet<Long> inFlight() {
        TreeSet<Long> s = new TreeSet<>(sent);
        s.removeAll(acknowledged);
        return s;
    }

    /** {@code pg_current_wal_lsn()} after the last commit of a finished write, or null. */
    public String lastLsn() {
        return lastLsn.get();
    }

    /** What {@code restored} holds compared with every acknowledged commit. */
    public Comparison compare(PgCluster restored) throws SQLException {
        return compare(restored, acknowledged());
    }

    /** What {@code restored} holds compared with {@code expected}, a set of acknowledged ids. */
    public Comparison compare(PgCluster restored, Set<Long> expected) throws SQLException {
        TreeMap<Long, String> rows = new TreeMap<>();
        try (Connection c = restored.connect(); Statement s = c.createStatement()) {
            s.setFetchSize(10_000);
            c.setAutoCommit(false);
            try (ResultSet rs = s.executeQuery("SELECT id, md5(payload || '|' || pad) FROM " + table)) {
                while (rs.next()) {
                    rows.put(rs.getLong(1), rs.getString(2));
                }
            }
            c.commit();
        }
        NavigableSet<Long> inFlight = inFlight();
        List<Long> missing = new ArrayList<>();
        List<Long> extra = new ArrayList<>();
        List<Long> wrong = new ArrayList<>();
        int inFlightPresent = 0;
        for (long id : expected) {
            String md5 = rows.get(id);
            if (md5 == null) {
                missing.add(id);
            } else if (!md5.equals(md5(payload(id) + "|" + pad(id, padBytes)))) {
                wrong.add(id);
            }
        }
        for (var e : rows.entrySet()) {
            long id = e.getKey();
            if (expected.contains(id)) {
                continue;
            }
            if (inFlight.contains(id) || acknowledged.contains(id)) {
                // sent, and not expected by this comparison (in flight, or after its target)
                if (inFlight.contains(id)) {
                    inFlightPresent++;
                    if (!e.getValue().equals(md5(payload(id) + "|" + pad(id, padBytes)))) {
                        wrong.add(id);
                    }
                } else {
                    extra.add(id);
                }
            } else {
                extra.add(id);
            }
        }
        return new Comparison(expected.size(), rows.size(), missing, extra, wrong, inFlightPresent);
    }

    /**
     * A restored table against the truth.
     *
     * @param expected        acknowledged rows the comparison required
     * @param present         rows the restored table holds
     * @param missing         required ids it lacks
     * @param extra           ids it holds that were never sent, or that the comparison excluded
     * @param wrongContent    ids whose content differs from what was written
     * @param inFlightPresent ids sent but never acknowledged that it holds (allowed)
     */
    public record Comparison(int expected, int present, List<Long> missing, List<Long> extra, List<Long> wrongContent,
                             int inFlightPresent) {
        public Comparison {
            missing = List.copyOf(missing);
            extra = List.copyOf(extra);
            wrongContent = List.copyOf(wrongContent);
        }

        /** Every required row with its content, nothing else (commits in flight included). */
        public boolean exact() {
            return missing.isEmpty() && extra.isEmpty() && wrongContent.isEmpty() && inFlightPresent == 0;
        }

        /** Every required row with its content, and nothing that was never written (commits in flight allowed). */
        public boolean complete() {
            return missing.isEmpty() && extra.isEmpty() && wrongContent.isEmpty();
        }

        @Override
        public String toString() {
            return "expected " + expected + ", present " + present + ", missing " + missing.size() + first(missing)
                    + ", extra " + extra.size() + first(extra) + ", wrong content " + wrongContent.size() + first(wrongContent)
                    + ", in flight present " + inFlightPresent;
        }

        private static String first(List<Long> ids) {
            if (ids.isEmpty()) {
                return "";
            }
            return " " + ids.subList(0, Math.min(10, ids.size())) + (ids.size() > 10 ? "..." : "");
        }
    }

    static String md5(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
