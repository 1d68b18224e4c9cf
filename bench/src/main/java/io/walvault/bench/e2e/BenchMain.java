package io.walvault.bench.e2e;

import io.walvault.core.wal.Lsn;
import io.walvault.testkit.PgCluster;
import io.walvault.testkit.PgVersion;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The end-to-end benchmark: starts a real PostgreSQL (the test harness's embedded binaries,
 * with fsync on), builds a dataset of the size asked for, and measures walvault against the
 * machine's own limits, one {@code name: value unit} line per figure. The figures and how they
 * were measured go into docs/PERFORMANCE.md.
 *
 * <pre>
 * bench/run [--size-gb 1.5] [--pg 18] [--out docs/PERFORMANCE.md] [--no-write]
 * </pre>
 */
public final class BenchMain {

    private final double sizeGb;
    private final int pgMajor;
    private final Path out;
    private final boolean write;
    private final Report report = new Report(System.out);
    private double protocolLimitMBps;
    private long datasetBytes;

    private BenchMain(double sizeGb, int pgMajor, Path out, boolean write) {
        this.sizeGb = sizeGb;
        this.pgMajor = pgMajor;
        this.out = out;
        this.write = write;
    }

    public static void main(String[] args) throws Exception {
        double size = 1.5;
        int pg = PgVersion.newest().major();
        Path out = Path.of("docs/PERFORMANCE.md");
        boolean write = true;
        List<String> settings = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--size-gb" -> size = Double.parseDouble(args[++i]);
                case "--pg" -> pg = Integer.parseInt(args[++i]);
                case "--out" -> out = Path.of(args[++i]);
                case "--no-write" -> write = false;
                default -> {
                    System.err.println("bench: unknown argument '" + args[i] + "'");
                    System.err.println("usage: bench/run [--size-gb 1.5] [--pg 18] [--out docs/PERFORMANCE.md] [--no-write]");
                    System.exit(2);
                }
            }
        }
        settings.add("--size-gb " + size);
        settings.add("--pg " + pg);
        BenchMain bench = new BenchMain(size, pg, out, write);
        bench.run(String.join(" ", settings));
    }

    private void run(String settings) throws Exception {
        long started = System.nanoTime();
        Path scratch = Files.createTempDirectory("walvault-bench-");
        try {
            report.add("disk_write_MBps", MachineLimits.diskWriteMBps(scratch, 1L << 30), "MB/s",
                    "1 GiB of random data written sequentially in 1 MiB writes to the temp directory, then fsync");
            try (PgCluster pg = PgCluster.builder(PgVersion.of(pgMajor)).name("bench")
                    .setting("fsync", "on")
                    .setting("shared_buffers", "256MB")
                    .setting("max_wal_size", "4GB")
                    .setting("checkpoint_timeout", "30min")
                    .start()) {
                int scale = dataset(pg);
                protocolLimit(pg);
                backup(pg, scratch);
                walGeneration(pg, scale);
            }
        } finally {
            deleteTree(scratch);
        }
        report.add("bench_wall_s", (System.nanoTime() - started) / 1e9, "s", "wall time of the whole end-to-end run");
        if (write) {
            report.writeInto(out, settings);
            System.out.println("# figures written to " + out);
        }
    }

    private int dataset(PgCluster pg) throws Exception {
        long t0 = System.nanoTime();
        int scale;
        long bytes;
        try (Connection c = pg.connect()) {
            scale = Dataset.create(c, (long) (sizeGb * 1e9));
            bytes = Dataset.size(c);
        }
        datasetBytes = bytes;
        report.add("dataset_MB", bytes / 1e6, "MB", String.format(Locale.ROOT,
                "pgbench tables at scale %d plus random bytes, PostgreSQL %d, built in %.0f s",
                scale, pgMajor, (System.nanoTime() - t0) / 1e9));
        return scale;
    }

    /** Three rounds each, best kept: later rounds run with a warm JIT and a warm page cache. */
    private void protocolLimit(PgCluster pg) throws Exception {
        double raw = 0;
        double client = 0;
        for (int round = 0; round < 3; round++) {
            raw = Math.max(raw, ProtocolLimit.raw(pg).mbps());
            client = Math.max(client, ProtocolLimit.client(pg).mbps());
        }
        protocolLimitMBps = raw;
        report.add("protocol_limit_MBps", raw, "MB/s",
                "BASE_BACKUP (fast checkpoint, manifest) drained by a plain socket that reads and drops every message; best of 3");
        report.add("client_receive_MBps", client, "MB/s",
                "the same BASE_BACKUP received by walvault's client (tar split, CRC-32C per file, manifest verified) and discarded; best of 3");
        report.add("client_vs_protocol_limit", client / raw, "ratio", "client_receive_MBps / protocol_limit_MBps");
    }

    /**
     * walvault backup with LZ4 and passphrase encryption into a local directory and into S3
     * (S3Proxy on loopback), each in a child JVM with a 256 MiB heap.
     */
    private void backup(PgCluster pg, Path scratch) throws Exception {
        pg.execute("DROP ROLE IF EXISTS wv_bench", "CREATE ROLE wv_bench LOGIN REPLICATION PASSWORD 'bench pw'");
        String conninfo = "host=127.0.0.1 port=" + pg.port() + " user=wv_bench password='bench pw' sslmode=disable";
        Path pass = scratch.resolve("passphrase");
        Files.writeString(pass, "a long enough bench passphrase\n");
        Path local = config(scratch.resolve("local.conf"), "repo = file://" + scratch.resolve("repo") + "\n", pass);
        io.walvault.core.repo.Repositories.create(repoSettings(local)).close();
        BackupRun.Result r = BackupRun.inChildJvm(conninfo, local, "256m");
        report.add("backup_MBps", r.mbps(), "MB/s", "walvault backup, LZ4 + AES-256-GCM (passphrase), into a local"
                + " directory, fast checkpoint, its own WAL streamed; child JVM with -Xmx256m");
        report.add("backup_vs_protocol_limit", r.mbps() / protocolLimitMBps, "ratio", "backup_MBps / protocol_limit_MBps");
        report.add("backup_peak_rss_MB", r.peakRssKb() / 1024.0, "MB", "VmHWM of the backup's JVM (-Xmx256m)");
        report.add("backup_cpu_ms_per_GB", r.cpuMsPerGb(), "ms/GB", "CPU time (user + system, all threads) of the backup's"
                + " JVM during the backup, per GB of database");
        report.add("repository_over_database", (double) r.storedBytes() / datasetBytes, "ratio",
                "stored bytes of the backup / database size (LZ4 on pgbench tables plus random bytes)");
        try (io.walvault.testkit.S3Server s3 = io.walvault.testkit.S3Server.start()) {
            io.walvault.testkit.S3Bucket bucket = s3.createBucket();
            Path s3conf = config(scratch.resolve("s3.conf"), "repo = s3://" + bucket.name() + "/bench\ns3-endpoint = "
                    + s3.endpoint() + "\ns3-path-style = true\ns3-region = " + s3.region() + "\ns3-access-key-id = "
                    + s3.accessKey() + "\ns3-secret-access-key = " + s3.secretKey() + "\n", pass);
            io.walvault.core.repo.Repositories.create(repoSettings(s3conf)).close();
            Thread.sleep(1100); // backup ids are per second
            BackupRun.Result s = BackupRun.inChildJvm(conninfo, s3conf, "256m");
            report.add("backup_s3_MBps", s.mbps(), "MB/s", "the same backup into S3Proxy on loopback (in this JVM)");
            report.add("backup_s3_vs_protocol_limit", s.mbps() / protocolLimitMBps, "ratio", "backup_s3_MBps / protocol_limit_MBps");
        }
    }

    private static Path config(Path file, String repoLines, Path passphrase) throws java.io.IOException {
        Files.writeString(file, repoLines + "encryption = passphrase\npassphrase-file = " + passphrase + "\n");
        Files.setPosixFilePermissions(file, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        return file;
    }

    private static io.walvault.core.config.RepositorySettings repoSettings(Path conf) {
        return io.walvault.core.config.RepositorySettings.from(
                io.walvault.core.config.Settings.load(java.util.Map.of(), conf, java.util.Map.of()));
    }

    private void walGeneration(PgCluster pg, int scale) throws Exception {
        Lsn before = Lsn.parse(pg.queryString("SELECT pg_current_wal_lsn()"));
        long t0 = System.nanoTime();
        try (WalLoad load = WalLoad.start(pg.jdbcUrl("postgres"), PgCluster.SUPERUSER, scale, 2, 0)) {
            Thread.sleep(Duration.ofSeconds(20).toMillis());
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        Lsn after = Lsn.parse(pg.queryString("SELECT pg_current_wal_lsn()"));
        report.add("wal_load_MBps", after.minus(before) / 1e6 / seconds, "MB/s",
                "WAL written by 2 clients running 1000-row range UPDATEs of pgbench_accounts for 20 s");
    }

    private static void deleteTree(Path p) throws java.io.IOException {
        if (!Files.exists(p)) {
            return;
        }
        try (var s = Files.walk(p)) {
            for (Path x : (Iterable<Path>) s.sorted(java.util.Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(x);
            }
        }
    }
}
