package io.walvault.archiver.stream;

import static java.util.Objects.requireNonNull;

import io.walvault.archiver.backup.Backup;
import io.walvault.archiver.backup.BackupOptions;
import io.walvault.archiver.backup.BackupResult;
import io.walvault.core.repo.Repository;
import io.walvault.core.replication.conn.ConnectionSettings;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Takes the agent's scheduled backups on a thread of its own, with {@link Backup} in-process
 * (its own connections, its own {@code backup} lock), so WAL streaming never waits for a backup
 * and a failing backup never stops it: a failure is logged, counted and retried at the next
 * slot. After a success, {@link AfterBackup} runs (retention).
 *
 * <p>Lifecycle: {@link #start()} once, {@link #close()} cancels a running backup (nothing is
 * published) and waits for the thread.
 */
final class BackupScheduler implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(BackupScheduler.class);

    private final ConnectionSettings connection;
    private final Repository repository;
    private final BackupOptions options;
    private final BackupSchedule schedule;
    private final AfterBackup after;
    private final AgentMetrics metrics;
    private final Object monitor = new Object();
    private final Thread thread;
    private volatile boolean closed;
    private volatile Backup running;

    BackupScheduler(ConnectionSettings connection, Repository repository, BackupOptions options, BackupSchedule schedule,
                    AfterBackup after, AgentMetrics metrics) {
        this.connection = requireNonNull(connection, "connection is null");
        this.repository = requireNonNull(repository, "repository is null");
        this.options = requireNonNull(options, "options is null");
        this.schedule = requireNonNull(schedule, "schedule is null");
        this.after = requireNonNull(after, "after is null");
        this.metrics = requireNonNull(metrics, "metrics is null");
        this.thread = new Thread(this::loop, "walvault-agent-backup");
        thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    private void loop() {
        Instant origin = Instant.now();
        Instant last = origin;
        while (!closed) {
            Optional<Instant> next = schedule.next(origin, last);
            if (next.isEmpty()) {
                return;
            }
            LOG.info("agent: next backup at {}", next.get());
            if (!sleepUntil(next.get())) {
                return;
            }
            last = next.get();
            runOne();
        }
    }

    private boolean sleepUntil(Instant t) {
        synchronized (monitor) {
            while (!closed) {
                long ms = Duration.between(Instant.now(), t).toMillis();
                if (ms <= 0) {
                    return true;
                }
                try {
                    monitor.wait(ms);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
            return false;
        }
    }

    private void runOne() {
        Instant started = Instant.now();
        BackupResult r;
        try {
            Backup b = new Backup(connection, repository, options);
            running = b;
            if (closed) {
                return;
            }
            r = b.run();
        } catch (RuntimeException e) {
            if (closed) {
                return;
            }
            metrics.backup(false, started.getEpochSecond());
            metrics.error("backup");
            LOG.error("agent: scheduled backup failed (retried at the next slot): {}", e.getMessage());
            return;
        } finally {
            running = null;
        }
        metrics.backup(true, started.getEpochSecond());
        LOG.info("agent: scheduled backup {} complete ({} files, {} bytes, WAL {} to {})", r.info().id(), r.info().files(),
                r.info().bytes(), r.info().firstWal().orElseThrow(), r.info().lastWal().orElseThrow());
        try {
            after.afterBackup(r);
        } catch (RuntimeException e) {
            metrics.error("retention");
            LOG.error("agent: after backup {}: {}", r.info().id(), e.getMessage());
        }
    }

    @Override
    public void close() {
        closed = true;
        synchronized (monitor) {
            monitor.notifyAll();
        }
        Backup b = running;
        if (b != null) {
            b.cancel();
        }
        try {
            thread.join(30_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
