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

/**
 * The restore modes against a full restore of the same backup, on one server: a database
 * {@code main} (pgbench tables, 90% of {@code --size-gb}) and a database {@code side} (10%).
 * Every restore runs as {@code walvault restore --target immediate} in a child JVM (-Xmx256m),
 * timed whole; each figure is the median of three (three copies of the first backup's restore
 * are brought forward side by side), and each is also given without the cost every restore
 * pays before it writes ({@code restore --dry-run}: JVM start, key derivation, plan).
 *
 * <ul>
 *   <li>delta after no change: the same backup again over its own restore;</li>
 *   <li>delta after 1% of pgbench_accounts' rows changed in key order, and after 1% changed
 *       scattered over the table (every hundredth row): a new backup over the copy of the
 *       previous one, as when a replica is rebuilt;</li>
 *   <li>selective: {@code --db-include side} into a new directory.</li>
 * </ul>
 */
final class RestoreModes {

    private final Report report;
    private final Walvault walvault;
    private final Path scratch;
    private Path config;

    RestoreModes(Report report, Walvault walvault, Path scratch) {
        this.report = requireNonNull(report, "report is null");
        this.walvault = requireNonNull(walvault, "walvault is null");
        this.scratch = requireNonNull(scratch, "scratch is null");
    }

    void measure(PgCluster.Builder server, long bytes) throws Exception {
        try (PgCluster pg = server.name("bench-restore-modes").setting("fsync", "on").setting("shared_buffers", "256MB")
                .setting("max_wal_size", "4GB").setting("checkpoint_timeout", "30min").start()) {
            pg.execute("CREATE DATABASE main", "CREATE DATABASE side");
            try (Connection c = pg.connect("main")) {
                Dataset.createPgbenchOnly(c, (long) (bytes * 0.9));
            }
            long sideRows = (long) (bytes * 0.1 / 300);
            try (Connection c = pg.connect("side"); Statement s = c.createStatement()) {
                s.execute("CREATE TABLE side AS SELECT g AS id, md5(g::text) || repeat(md5((g + 1)::text), 6) AS v"
                        + " FROM generate_series(1, " + sideRows + ") g");
            }
            long mainBytes = size(pg, "main");
            long sideBytes = size(pg, "side");
            report.add("restore_modes_dataset_MB", (mainBytes + sideBytes) / 1e6, "MB", String.format(Locale.ROOT,
                    "database main (pgbench tables, %.0f MB) and database side (%.0f MB, %.1f%% of the two)",
                    mainBytes / 1e6, sideBytes / 1e6, 100.0 * sideBytes / (mainBytes + sideBytes)));
            String conninfo = BenchMain.benchRole(pg);
            config = BenchMain.config(scratch.resolve("modes.conf"), "repo = file://" + scratch.resolve("repo-modes") + "\n");
            Repositories.create(BenchMain.repoSettings(config)).close();
            BackupRun.inChildJvm(conninfo, config, "256m");

            // three copies of the first backup: three samples of each figure, medians kept
            List<Path> copies = List.of(scratch.resolve("modes-copy-1"), scratch.resolve("modes-copy-2"),
                    scratch.resolve("modes-copy-3"));
            double fixed = median(copies, c -> restore(scratch.resolve("modes-none"), "--dry-run"));
            double full = median(copies, c -> restore(c));
            double unchanged = median(copies, c -> restore(c, "--delta"));
            report.add("restore_full_s", full, "s", "walvault restore of the backup into an empty directory (the figures"
                    + " below are against this, or the same for the later backups); median of 3, as every figure here");
            report.add("restore_dry_run_s", fixed, "s", "restore --dry-run of the same backup: what every restore costs"
                    + " before it writes (JVM start, Argon2id key derivation, plan, manifest)");
            report.add("delta_unchanged_vs_full", unchanged / full, "ratio", String.format(Locale.ROOT, "restore --delta of"
                    + " the same backup over its own restore (every file read and checksummed, none written): %.2f s", unchanged));
            report.add("delta_unchanged_work_vs_full", (unchanged - fixed) / (full - fixed), "ratio", "the same, both"
                    + " without restore_dry_run_s: the delta's own work against the full restore's");

            int changed = update(pg, "aid <= (SELECT max(aid) / 100 FROM pgbench_accounts)");
            Thread.sleep(1100); // backup ids are per second
            BackupRun.inChildJvm(conninfo, config, "256m");
            double clustered = median(copies, c -> restore(c, "--delta"));
            Path fresh = scratch.resolve("modes-fresh");
            double full2 = median(copies, c -> {
                double t = restore(fresh);
                BenchMain.deleteTree(fresh);
                return t;
            });
            report.add("delta_1pct_clustered_vs_full", clustered / full2, "ratio", String.format(Locale.ROOT, "restore --delta"
                    + " of a new backup over the copy of the previous one, after UPDATE of %d rows (1%%) of pgbench_accounts"
                    + " in key order: %.2f s against %.2f s for a full restore of that backup", changed, clustered, full2));
            report.add("delta_1pct_clustered_work_vs_full", (clustered - fixed) / (full2 - fixed), "ratio", "the same"
                    + " without restore_dry_run_s");

            changed = update(pg, "aid % 100 = 0");
            Thread.sleep(1100);
            BackupRun.inChildJvm(conninfo, config, "256m");
            double scattered = median(copies, c -> restore(c, "--delta"));
            report.add("delta_1pct_scattered_vs_full", scattered / full2, "ratio", String.format(Locale.ROOT, "the same after"
                    + " UPDATE of every hundredth row (%d rows, on every page of the table): %.2f s", changed, scattered));
            for (Path c : copies) {
                BenchMain.deleteTree(c);
            }

            double selective = median(copies, c -> {
                double t = restore(fresh, "--db-include", "side");
                BenchMain.deleteTree(fresh);
                return t;
            });
            report.add("selective_10pct_vs_full", selective / full2, "ratio", String.format(Locale.ROOT, "restore"
                    + " --db-include side (%.1f%% of the cluster) into an empty directory: %.2f s",
                    100.0 * sideBytes / (mainBytes + sideBytes), selective));
            report.add("selective_10pct_work_vs_full", (selective - fixed) / (full2 - fixed), "ratio", "the same without"
                    + " restore_dry_run_s");
        }
    }

    /** A timed step, once per copy. */
    private interface Timed {
        double run(Path copy) throws Exception;
    }

    private static double median(List<Path> copies, Timed step) throws Exception {
        double[] t = new double[copies.size()];
        for (int i = 0; i < t.length; i++) {
            t[i] = step.run(copies.get(i));
        }
        Arrays.sort(t);
        return t[t.length / 2];
    }

    private static int update(PgCluster pg, String where) throws SQLException {
        try (Connection c = pg.connect("main"); Statement s = c.createStatement()) {
            int n = s.executeUpdate("UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE " + where);
            s.execute("CHECKPOINT");
            return n;
        }
    }

    private static long size(PgCluster pg, String database) {
        return Long.parseLong(pg.queryString("SELECT pg_database_size('" + database + "')"));
    }

    /** Seconds of one {@code walvault restore --target immediate} of the newest backup into {@code target}. */
    private double restore(Path target, String... more) throws Exception {
        List<String> args = new ArrayList<>(List.of("restore", "--pgdata", target.toString(), "--target", "immediate",
                "--config", config.toString()));
        args.addAll(List.of(more));
        Walvault.ChildResult r = walvault.childJvm("256m", args, 3600);
        if (r.run().exitCode() != 0) {
            throw new IllegalStateException("walvault " + String.join(" ", args) + " failed (exit " + r.run().exitCode()
                    + "):\n" + r.run().output());
        }
        return r.run().nanos() / 1e9;
    }
}
