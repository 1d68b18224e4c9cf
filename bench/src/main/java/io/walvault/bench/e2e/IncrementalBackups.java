package io.walvault.bench.e2e;

import static java.util.Objects.requireNonNull;

import io.walvault.core.repo.Repositories;
import io.walvault.testkit.PgCluster;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What a backup costs after a small change, against the first (full-size) backup of the same
 * cluster: a pgbench database of {@code --size-gb}; the first backup (and two more of the same
 * data, each into an empty repository of its own: a full backup's time is the median of the
 * three); then 1% of
 * pgbench_accounts' rows updated in key order and a second backup (bytes added to the
 * repository, wall time); the same after 1% updated scattered (every hundredth row, which
 * touches every page); then more backups after clustered updates until there are ten, and the
 * tenth restored against the first (each backup complete on its own: no chain to walk), three
 * times each, alternately. Every
 * backup and restore runs in a child JVM with -Xmx256m, timed whole.
 */
final class IncrementalBackups {

    private static final int CHAIN = 10;

    private final Report report;
    private final Walvault walvault;
    private final Path scratch;

    IncrementalBackups(Report report, Walvault walvault, Path scratch) {
        this.report = requireNonNull(report, "report is null");
        this.walvault = requireNonNull(walvault, "walvault is null");
        this.scratch = requireNonNull(scratch, "scratch is null");
    }

    void measure(PgCluster.Builder server, long bytes) throws Exception {
        try (PgCluster pg = server.name("bench-incremental").setting("fsync", "on").setting("shared_buffers", "256MB")
                .setting("max_wal_size", "4GB").setting("checkpoint_timeout", "30min").start()) {
            boolean summaries = pg.version().major() >= 17;
            if (summaries) {
                // the server keeps WAL summaries, so from the second backup on it sends only the changed blocks
                pg.configure(Map.of("summarize_wal", "on"));
                pg.reload();
            }
            try (Connection c = pg.connect("postgres")) {
                Dataset.createPgbenchOnly(c, bytes);
            }
            long database = Long.parseLong(pg.queryString("SELECT pg_database_size('postgres')"));
            String conninfo = BenchMain.benchRole(pg);
            Path config = BenchMain.config(scratch.resolve("incremental.conf"), "repo = file://"
                    + scratch.resolve("repo-incremental") + "\n");
            Repositories.create(BenchMain.repoSettings(config)).close();
            long accounts = Long.parseLong(pg.queryString("SELECT max(aid) FROM pgbench_accounts"));
            long step = accounts / 100;

            BackupRun.Result first = BackupRun.inChildJvm(conninfo, config, "256m");
            // a full backup's time: the median of three of the same data, the others each into a repository of its own
            // (one backup's time varies by a fifth from run to run here, and every ratio below is against it)
            List<Long> fulls = new ArrayList<>(List.of(first.millis()));
            for (int i = 2; i <= 3; i++) {
                Path repo = scratch.resolve("repo-incremental-full-" + i);
                Path other = BenchMain.config(scratch.resolve("incremental-full-" + i + ".conf"), "repo = file://" + repo + "\n");
                Repositories.create(BenchMain.repoSettings(other)).close();
                fulls.add(BackupRun.inChildJvm(conninfo, other, "256m").millis());
                BenchMain.deleteTree(repo);
            }
            double full = fulls.stream().sorted().toList().get(1);
            report.add("incremental_first_backup_s", full / 1e3, "s", String.format(Locale.ROOT, "a full backup of a %.0f MB"
                    + " pgbench database, each into an empty repository (median of 3: %s s): %.0f MB added to the repository"
                    + " (lz4, encrypted)", database / 1e6, fulls.stream().map(ms -> String.format(Locale.ROOT, "%.2f", ms / 1e3))
                    .toList(), first.addedBytes() / 1e6));

            int changed = update(pg, "aid <= " + step);
            Thread.sleep(1100); // backup ids are per second
            BackupRun.Result second = BackupRun.inChildJvm(conninfo, config, "256m");
            report.add("incremental_1pct_clustered_added_vs_full", (double) second.addedBytes() / first.addedBytes(), "ratio",
                    String.format(Locale.ROOT, "bytes a backup adds after UPDATE of %d rows (1%%) of pgbench_accounts in key"
                            + " order, against the first backup's: %.1f MB against %.0f MB", changed, second.addedBytes() / 1e6,
                            first.addedBytes() / 1e6));
            changed = update(pg, "aid % 100 = 0");
            Thread.sleep(1100);
            BackupRun.Result scattered = BackupRun.inChildJvm(conninfo, config, "256m");
            report.add("incremental_1pct_scattered_added_vs_full", (double) scattered.addedBytes() / first.addedBytes(), "ratio",
                    String.format(Locale.ROOT, "the same after UPDATE of every hundredth row (%d rows: every page of the"
                            + " table changes): %.1f MB, %.2f s", changed, scattered.addedBytes() / 1e6, scattered.millis() / 1e3));

            // the time of a backup after a clustered 1% change: the median of all eight (one run varies by 20% here)
            List<Long> clustered = new ArrayList<>(List.of(second.millis()));
            for (int i = 3; i < CHAIN; i++) {
                update(pg, "aid > " + step * i + " AND aid <= " + step * (i + 1));
                Thread.sleep(1100);
                clustered.add(BackupRun.inChildJvm(conninfo, config, "256m").millis());
            }
            List<Long> sorted = clustered.stream().sorted().toList();
            double median = (sorted.get(sorted.size() / 2 - 1) + sorted.get(sorted.size() / 2)) / 2.0;
            report.add("incremental_1pct_clustered_time_vs_full", median / full, "ratio",
                    String.format(Locale.ROOT, "the wall time of a backup after such a change (median of %d: %.2f s, from %.2f"
                                    + " to %.2f s) against a full backup's %.2f s (%s)", sorted.size(), median / 1e3,
                            sorted.get(0) / 1e3, sorted.get(sorted.size() - 1) / 1e3, full / 1e3, summaries
                                    ? "PostgreSQL " + pg.version().major() + " with summarize_wal: the server sends only the"
                                            + " changed blocks, walvault rebuilds the files from them and the stored chunks"
                                    : "PostgreSQL " + pg.version().major() + ": the server still reads and sends every file"));
            List<String> ids = backupIds(config);
            // alternately, three of each, medians: the two share most chunks, so whichever ran first would warm the other
            double[] tenths = new double[3];
            double[] firsts = new double[3];
            for (int i = 0; i < 3; i++) {
                firsts[i] = restore(config, ids.get(0), scratch.resolve("incremental-first"));
                tenths[i] = restore(config, ids.get(ids.size() - 1), scratch.resolve("incremental-tenth"));
            }
            Arrays.sort(tenths);
            Arrays.sort(firsts);
            double tenth = tenths[1];
            double firstRestore = firsts[1];
            report.add("incremental_restore_tenth_vs_first", tenth / firstRestore, "ratio", String.format(Locale.ROOT,
                    "restore of the tenth backup (nine clustered 1%% changes and one scattered after the first) against the"
                            + " restore of the first, medians of 3 run alternately: %.2f s against %.2f s", tenth, firstRestore));
        }
    }

    private static int update(PgCluster pg, String where) throws SQLException {
        try (Connection c = pg.connect("postgres"); Statement s = c.createStatement()) {
            int n = s.executeUpdate("UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE " + where);
            s.execute("CHECKPOINT");
            return n;
        }
    }

    private List<String> backupIds(Path config) throws Exception {
        Walvault.ChildResult r = walvault.childJvm("256m", List.of("info", "--config", config.toString()), 600);
        List<String> ids = new ArrayList<>();
        r.run().output().lines().map(String::strip).filter(l -> l.matches("\\d{8}T\\d{6}Z(-\\d+)?\\s.*"))
                .forEach(l -> ids.add(l.substring(0, l.indexOf(' '))));
        if (ids.size() != CHAIN) {
            throw new IllegalStateException("expected " + CHAIN + " backups, info says:\n" + r.run().output());
        }
        return ids;
    }

    private double restore(Path config, String backup, Path target) throws Exception {
        List<String> args = List.of("restore", "--pgdata", target.toString(), "--target", "immediate", "--backup", backup,
                "--config", config.toString());
        Walvault.ChildResult r = walvault.childJvm("256m", args, 3600);
        if (r.run().exitCode() != 0) {
            throw new IllegalStateException("walvault " + String.join(" ", args) + " failed (exit " + r.run().exitCode()
                    + "):\n" + r.run().output());
        }
        BenchMain.deleteTree(target);
        return r.run().nanos() / 1e9;
    }
}
