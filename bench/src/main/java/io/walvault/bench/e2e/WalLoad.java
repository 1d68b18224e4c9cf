package io.walvault.bench.e2e;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A write load that produces WAL fast: 1000-row range UPDATEs of pgbench_accounts per
 * transaction (plain TPC-B writes only a few MB/s of WAL). Runs on its own threads until
 * {@link #close()}.
 */
public final class WalLoad implements AutoCloseable {

    private final AtomicBoolean running = new AtomicBoolean(true);
    private final AtomicLong transactions = new AtomicLong();
    private final AtomicLong lastCommitMillis = new AtomicLong();
    private final List<Thread> threads = new ArrayList<>();
    private final List<Throwable> failures = Collections.synchronizedList(new ArrayList<>());

    private WalLoad() {
    }

    /**
     * Starts {@code clients} connections to {@code jdbcUrl} updating accounts of a dataset of
     * {@code scale}; {@code pauseMillis} between transactions throttles it (0: as fast as it goes).
     */
    public static WalLoad start(String jdbcUrl, String user, int scale, int clients, long pauseMillis) {
        WalLoad load = new WalLoad();
        long maxAid = 100_000L * scale - 1000;
        for (int i = 0; i < clients; i++) {
            Thread t = new Thread(() -> load.run(jdbcUrl, user, maxAid, pauseMillis), "wal-load-" + i);
            t.setDaemon(true);
            load.threads.add(t);
            t.start();
        }
        return load;
    }

    private void run(String jdbcUrl, String user, long maxAid, long pauseMillis) {
        Properties p = new Properties();
        p.setProperty("user", user);
        while (running.get()) {
            try (Connection c = DriverManager.getConnection(jdbcUrl, p);
                 PreparedStatement ps = c.prepareStatement(
                         "UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid BETWEEN ? AND ? + 999")) {
                while (running.get()) {
                    long a = 1 + ThreadLocalRandom.current().nextLong(Math.max(1, maxAid));
                    ps.setLong(1, a);
                    ps.setLong(2, a);
                    ps.executeUpdate();
                    lastCommitMillis.accumulateAndGet(System.currentTimeMillis(), Math::max);
                    transactions.incrementAndGet();
                    if (pauseMillis > 0) {
                        Thread.sleep(pauseMillis);
                    }
                }
            } catch (SQLException e) {
                if (running.get()) {
                    failures.add(e);
                    sleep(500); // the server may be restarting or crashed on purpose; try again
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Transactions committed so far. */
    public long transactions() {
        return transactions.get();
    }

    /** Wall-clock time (ms since the epoch) at which the last acknowledged commit returned, or 0. */
    public long lastCommitMillis() {
        return lastCommitMillis.get();
    }

    /** Errors the clients met (connection losses while a server is killed on purpose are expected). */
    public List<Throwable> failures() {
        return List.copyOf(failures);
    }

    @Override
    public void close() {
        running.set(false);
        for (Thread t : threads) {
            try {
                t.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
