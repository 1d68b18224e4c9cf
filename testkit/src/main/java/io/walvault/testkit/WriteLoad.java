package io.walvault.testkit;

import java.sql.Connection;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A JDBC write load for tests: one background connection running
 * {@code UPDATE <table> SET v = v + 1 WHERE id BETWEEN a AND a + 999} over ranges of the first
 * {@code rows} ids, until closed. {@link #close()} rethrows the first error the load met.
 */
public final class WriteLoad implements AutoCloseable {

    private final AtomicBoolean stop = new AtomicBoolean();
    private final AtomicLong updates = new AtomicLong();
    private final AtomicReference<Exception> failure = new AtomicReference<>();
    private final Thread thread;

    public WriteLoad(PgCluster pg, String table, int rows) {
        thread = new Thread(() -> {
            try (Connection c = pg.connect(); Statement s = c.createStatement()) {
                int a = 1;
                while (!stop.get()) {
                    s.executeUpdate("UPDATE " + table + " SET v = v + 1 WHERE id BETWEEN " + a + " AND " + (a + 999));
                    updates.incrementAndGet();
                    a = a + 1000 > rows ? 1 : a + 1000;
                }
            } catch (Exception e) {
                failure.set(e);
            }
        }, "write-load");
        thread.start();
    }

    /** UPDATE statements completed so far. */
    public long updates() {
        return updates.get();
    }

    @Override
    public void close() throws Exception {
        stop.set(true);
        thread.join(30_000);
        if (failure.get() != null) {
            throw failure.get();
        }
    }
}
