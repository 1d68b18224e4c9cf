package io.walvault.bench.e2e;

import io.walvault.core.config.RepositorySettings;
import io.walvault.core.config.Settings;
import io.walvault.core.replication.ServerCompression;
import io.walvault.core.repo.Repositories;
import io.walvault.core.wal.Lsn;
import io.walvault.testkit.PgCluster;
import io.walvault.testkit.PgInstallation;
import io.walvault.testkit.PgVersion;
import io.walvault.testkit.S3Bucket;
import io.walvault.testkit.S3Server;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * The end-to-end benchmark: starts a real PostgreSQL (the test harness's embedded binaries,
 * with fsync on), builds a dataset of the size asked for, and measures walvault against the
 * machine's own limits, one {@code name: value unit} line per figure. The figures and how they
 * were measured go into docs/PERFORMANCE.md.
 *
 * <pre>
 * bench/run [--quick] [--only SECTION,...] [--size-gb 1.5] [--small-gb 0.3] [--replay-gb 1.0]
 *           [--archive-s 40] [--drain-segments 200] [--pg 18] [--out docs/PERFORMANCE.md] [--no-write]
 * </pre>
 *
 * <p>{@code --only} (with {@code --no-write}) measures some {@link Section}s alone, e.g.
 * {@code --only pitr --no-write} the PITR ratio in a few minutes.
 *
 * <p>Two servers, one after the other: the first holds the main dataset (protocol limit,
 * backups local and S3, restore, WAL rate); the second a small dataset (backup and restore
 * memory at a second size) with archiving on, for the WAL figures ({@link WalBench}). Every
 * server, child process and temporary directory is gone when the run ends, failed or not.
 * Must run from the source tree's root (bench/run does), after a build of cli/target/walvault.jar.
 */
public final class BenchMain {

    static final String USAGE = "usage: bench/run [--quick] [--only SECTION,...] [--size-gb 1.5] [--small-gb 0.3]"
            + " [--replay-gb 1.0] [--archive-s 40] [--drain-segments 200] [--pg 18] [--pg-home DIR] [--out docs/PERFORMANCE.md]"
            + " [--no-write]";

    /** What a run measures; {@code --quick} shrinks everything for development. */
    record Options(double sizeGb, double largeGb, double smallGb, double replayGb, int archiveSeconds, int drainSegments, long diskBytes,
                   int pgMajor, Optional<Path> pgHome, Path out, boolean write, boolean quick, Set<Section> only) {

        Options {
            Objects.requireNonNull(out, "out is null");
            Objects.requireNonNull(pgHome, "pgHome is null");
            only = Set.copyOf(only);
            if (!only.isEmpty() && write) {
                throw new IllegalArgumentException("--only measures part of the table: add --no-write");
            }
            if (!(sizeGb > 0 && largeGb > 0 && smallGb > 0 && replayGb > 0)) {
                throw new IllegalArgumentException("sizes must be positive");
            }
            if (archiveSeconds < 5) {
                throw new IllegalArgumentException("--archive-s must be at least 5");
            }
            if (drainSegments < 1) {
                throw new IllegalArgumentException("--drain-segments must be at least 1");
            }
            PgVersion.of(pgMajor); // fails on a version the harness has no binaries for
        }

        static Options parse(String[] args) {
            boolean quick = List.of(args).contains("--quick");
            double size = quick ? 0.3 : 1.5;
            double large = quick ? 0.6 : 5.5;
            double small = quick ? 0.1 : 0.3;
            double replay = quick ? 0.2 : 1.0;
            int archive = quick ? 15 : 40;
            int drain = quick ? 30 : 200;
            long disk = quick ? 256L << 20 : 1L << 30;
            int pg = PgVersion.newest().major();
            Path out = Path.of("docs/PERFORMANCE.md");
            Optional<Path> pgHome = Optional.empty();
            boolean write = true;
            Set<Section> only = EnumSet.noneOf(Section.class);
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--quick" -> { }
                    case "--size-gb" -> size = Double.parseDouble(args[++i]);
                    case "--large-gb" -> large = Double.parseDouble(args[++i]);
                    case "--small-gb" -> small = Double.parseDouble(args[++i]);
                    case "--replay-gb" -> replay = Double.parseDouble(args[++i]);
                    case "--archive-s" -> archive = Integer.parseInt(args[++i]);
                    case "--drain-segments" -> drain = Integer.parseInt(args[++i]);
                    case "--pg" -> pg = Integer.parseInt(args[++i]);
                    case "--pg-home" -> pgHome = Optional.of(Path.of(args[++i]));
                    case "--out" -> out = Path.of(args[++i]);
                    case "--no-write" -> write = false;
                    case "--only" -> {
                        for (String name : args[++i].split(",")) {
                            only.add(Section.named(name));
                        }
                    }
                    default -> throw new IllegalArgumentException("unknown argument '" + args[i] + "'");
                }
            }
            if (pgHome.isPresent() && !List.of(args).contains("--pg")) {
                pg = PgInstallation.at(pgHome.get()).version().major(); // the other sections use the same major
            }
            return new Options(size, large, small, replay, archive, drain, disk, pg, pgHome, out, write, quick, only);
        }

        /** Whether {@code section} is measured (every section unless --only names some). */
        boolean runs(Section section) {
            return only.isEmpty() || only.contains(section);
        }

        String describe() {
            return String.format(Locale.ROOT, "%s--size-gb %s --large-gb %s --small-gb %s --replay-gb %s --archive-s %d"
                    + " --drain-segments %d --pg %d%s",
                    quick ? "--quick " : "", sizeGb, largeGb, smallGb, replayGb, archiveSeconds, drainSegments, pgMajor,
                    pgHome.map(h -> " --pg-home " + h).orElse(""));
        }

        /**
         * The backup section's server: {@code --pg-home} (an installed PostgreSQL, such as a
         * distribution's package, whose build has LZ4 and zstd for server-side compression), or the
         * embedded binaries of {@code --pg}.
         */
        PgCluster.Builder backupServer() {
            return pgHome.map(h -> PgCluster.builder(PgInstallation.at(h))).orElseGet(() -> PgCluster.builder(PgVersion.of(pgMajor)));
        }
    }

    /**
     * Parts of the run that {@code --only} can select, to measure one figure again without the
     * whole run (the table is then not written).
     */
    enum Section {
        /** disk, the main dataset, protocol limit, backups (local and S3), restore, WAL rate. */
        BACKUP,
        /** the small dataset's backup and restore (memory at a second size). */
        SMALL,
        /** a large pgbench dataset (--large-gb): protocol limit both ways and the full backup's cost per GB. */
        LARGE,
        /** archive_push_p50/p90 under load. */
        PUSH,
        /** the drain of a ready backlog. */
        DRAIN,
        /** PITR redo through archive-get against redo from pg_wal. */
        PITR,
        /** cold archive-push calls. */
        COLD,
        /** the agent's RPO. */
        AGENT,
        /** delta and selective restores against a full restore of the same backup. */
        RESTORE_MODES,
        /** what a backup adds after a small change, and the restore of the tenth backup against the first. */
        INCREMENTAL;

        static Section named(String name) {
            for (Section s : values()) {
                if (s.name().replace('_', '-').equalsIgnoreCase(name.strip())) {
                    return s;
                }
            }
            throw new IllegalArgumentException("--only: unknown section '" + name + "' (sections: backup, small, large, push,"
                    + " drain, pitr, cold, agent, restore-modes, incremental)");
        }
    }

    private final Options options;
    private final Report report = new Report(System.out);
    private double protocolLimitMBps;
    private boolean serverLz4;
    private double diskWriteMBps;
    private long datasetBytes;
    private Walvault walvault;
    private boolean restoreKnown;

    private BenchMain(Options options) {
        this.options = options;
    }

    public static void main(String[] args) throws Exception {
        Options options;
        try {
            options = Options.parse(args);
        } catch (RuntimeException e) {
            System.err.println("bench: " + e.getMessage());
            System.err.println(USAGE);
            System.exit(2);
            return;
        }
        try {
            new BenchMain(options).run();
        } catch (Throwable e) {
            System.err.println("bench: failed");
            e.printStackTrace();
            System.exit(1);
        }
        System.exit(0); // JDBC and S3 threads must not keep the JVM alive
    }

    private void run() throws Exception {
        long started = System.nanoTime();
        Path scratch = Files.createTempDirectory("walvault-bench-");
        // the hooks' directory is the server user's: it must not sit below the root-only scratch
        Path hooks = Files.createTempDirectory("walvault-bench-hooks-");
        try (Walvault wv = new Walvault(Path.of("").toAbsolutePath(), hooks)) {
            walvault = wv;
            restoreKnown = wv.knows("restore");
            if (options.runs(Section.BACKUP)) {
                diskWriteMBps = MachineLimits.diskWriteMBps(scratch, options.diskBytes());
                report.add("disk_write_MBps", diskWriteMBps, "MB/s", String.format(Locale.ROOT, "%d MiB of random data"
                        + " written sequentially in 1 MiB writes to the temp directory, then fsync", options.diskBytes() >> 20));
                try (PgCluster pg = options.backupServer().name("bench")
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
            }
            if (options.runs(Section.LARGE)) {
                largeDataset(scratch);
            }
            if (options.runs(Section.RESTORE_MODES)) {
                new RestoreModes(report, wv, scratch).measure(options.backupServer(), (long) (options.sizeGb() * 1e9));
            }
            if (options.runs(Section.INCREMENTAL)) {
                new IncrementalBackups(report, wv, scratch).measure(options.backupServer(), (long) (options.sizeGb() * 1e9));
            }
            try (WalBench wal = WalBench.open(report, wv, options.pgMajor())) {
                smallDataset(wal, scratch);
                if (options.runs(Section.PUSH)) {
                    wal.pushUnderLoad(options.archiveSeconds());
                }
                if (options.runs(Section.DRAIN)) {
                    wal.drain(options.drainSegments());
                }
                if (options.runs(Section.PITR)) {
                    wal.replay(options.replayGb(), benchRole(wal.cluster()));
                }
                if (options.runs(Section.COLD)) {
                    wal.coldPush(5);
                }
                if (!options.runs(Section.AGENT)) {
                    // not measured in this run
                } else if (wv.knows("agent")) {
                    wal.agentRpo(benchRole(wal.cluster()));
                } else {
                    report.unavailable("agent_rpo_s", "s", "agent command not available",
                            "age of the newest WAL in the repository when the server is killed under load, `walvault agent` running");
                }
            }
        } finally {
            deleteTree(hooks);
            deleteTree(scratch);
        }
        report.add("bench_wall_s", (System.nanoTime() - started) / 1e9, "s", "wall time of the whole end-to-end run");
        if (options.write()) {
            report.writeInto(options.out(), options.describe());
            System.out.println("# figures written to " + options.out());
        }
    }

    private int dataset(PgCluster pg) throws Exception {
        long t0 = System.nanoTime();
        int scale;
        long bytes;
        try (Connection c = pg.connect()) {
            scale = Dataset.create(c, (long) (options.sizeGb() * 1e9));
            bytes = Dataset.size(c);
        }
        datasetBytes = bytes;
        report.add("dataset_MB", bytes / 1e6, "MB", String.format(Locale.ROOT,
                "pgbench tables at scale %d plus random bytes, PostgreSQL %d, built in %.0f s",
                scale, options.pgMajor(), (System.nanoTime() - t0) / 1e9));
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
        serverLz4 = false;
        if (pg.version().major() < 15) {
            report.unavailable("protocol_limit_server_lz4_MBps", "MB/s", "PostgreSQL " + pg.version().major()
                    + " cannot compress a base backup", "the same drain with the server compressing (COMPRESSION 'lz4')");
        } else {
            try {
                long tar = ProtocolLimit.client(pg).bytes();
                double best = 0;
                long wire = 0;
                for (int round = 0; round < 3; round++) {
                    ProtocolLimit.Drain d = ProtocolLimit.raw(pg, ServerCompression.parse("lz4"));
                    best = Math.max(best, tar / 1e6 / d.seconds());
                    wire = d.bytes();
                }
                serverLz4 = true;
                report.add("protocol_limit_server_lz4_MBps", best, "MB/s", String.format(Locale.ROOT, "the same drain with the"
                        + " server compressing (COMPRESSION 'lz4', %.0f%% of the bytes on the socket): database bytes per"
                        + " second; best of 3", 100.0 * wire / tar));
            } catch (IOException e) {
                report.unavailable("protocol_limit_server_lz4_MBps", "MB/s", "this server's build has no lz4 (use --pg-home"
                        + " with one that has)", "the same drain with the server compressing (COMPRESSION 'lz4')");
            }
        }
        report.add("client_receive_MBps", client, "MB/s",
                "the same BASE_BACKUP received by walvault's client (tar split, CRC-32C per file, manifest verified) and discarded; best of 3");
        report.add("client_vs_protocol_limit", client / raw, "ratio", "client_receive_MBps / protocol_limit_MBps");
    }

    /**
     * walvault backup with LZ4 and passphrase encryption into a local directory and into S3
     * (S3Proxy on loopback), each in a child JVM with a 256 MiB heap.
     */
    private void backup(PgCluster pg, Path scratch) throws Exception {
        String conninfo = benchRole(pg);
        Path local = config(scratch.resolve("local.conf"), "repo = file://" + scratch.resolve("repo") + "\n");
        Repositories.create(repoSettings(local)).close();
        BackupRun.Result r = BackupRun.inChildJvm(conninfo, local, "256m");
        report.add("backup_MBps", r.mbps(), "MB/s", "walvault backup, LZ4 + AES-256-GCM (passphrase), into a local"
                + " directory, fast checkpoint, its own WAL streamed; child JVM with -Xmx256m");
        report.add("backup_vs_protocol_limit", r.mbps() / protocolLimitMBps, "ratio", "backup_MBps / protocol_limit_MBps");
        report.add("backup_peak_rss_MB", r.peakRssKb() / 1024.0, "MB", "VmHWM of the backup's JVM (-Xmx256m)");
        report.add("backup_cpu_ms_per_GB", r.cpuMsPerGb(), "ms/GB", "CPU time (user + system, all threads) of the backup's"
                + " JVM during the backup, per GB of database");
        if (serverLz4) {
            // each variant into a repository of its own: with chunks, a second backup of the same data stores nothing new
            BackupRun.Result off = BackupRun.inChildJvm(conninfo, freshRepository(scratch, "repo-plain"), "256m", "off");
            report.add("backup_stream_uncompressed_MBps", off.mbps(), "MB/s", "the same backup with backup-server-compression"
                    + " = off (the server sends the tar uncompressed)");
            report.add("backup_stream_uncompressed_cpu_ms_per_GB", off.cpuMsPerGb(), "ms/GB", "CPU time of that backup's JVM per"
                    + " GB of database");
            BackupRun.Result lz4 = BackupRun.inChildJvm(conninfo, freshRepository(scratch, "repo-server-lz4"), "256m", "lz4");
            report.add("backup_server_lz4_MBps", lz4.mbps(), "MB/s", "the same backup with backup-server-compression = lz4");
            report.add("backup_server_lz4_cpu_ms_per_GB", lz4.cpuMsPerGb(), "ms/GB", "CPU time of that backup's JVM per GB of"
                    + " database (decompression included)");
        } else {
            report.unavailable("backup_server_lz4_MBps", "MB/s", "the server cannot compress with lz4",
                    "the same backup with backup-server-compression = lz4");
        }
        report.add("repository_over_database", (double) r.addedBytes() / datasetBytes, "ratio",
                "stored bytes of the backup / database size (LZ4 on pgbench tables plus random bytes)");
        restore(local, scratch.resolve("restored"), datasetBytes, "");
        try (S3Server s3 = S3Server.start()) {
            S3Bucket bucket = s3.createBucket();
            Path s3conf = config(scratch.resolve("s3.conf"), "repo = s3://" + bucket.name() + "/bench\ns3-endpoint = "
                    + s3.endpoint() + "\ns3-path-style = true\ns3-region = " + s3.region() + "\ns3-access-key-id = "
                    + s3.accessKey() + "\ns3-secret-access-key = " + s3.secretKey() + "\n");
            Repositories.create(repoSettings(s3conf)).close();
            Thread.sleep(1100); // backup ids are per second
            BackupRun.Result s = BackupRun.inChildJvm(conninfo, s3conf, "256m");
            report.add("backup_s3_MBps", s.mbps(), "MB/s", "the same backup into S3Proxy on loopback (in this JVM)");
            report.add("backup_s3_vs_protocol_limit", s.mbps() / protocolLimitMBps, "ratio", "backup_s3_MBps / protocol_limit_MBps");
        }
    }

    /**
     * The large dataset (pgbench tables alone, --large-gb) on the backup section's server: the
     * protocol limit both ways (one round each: the dataset does not fit the page cache twice),
     * then a full backup with the default server compression and one with it off, their CPU per
     * GB and peak RSS.
     */
    private void largeDataset(Path scratch) throws Exception {
        try (PgCluster pg = options.backupServer().name("bench-large")
                .setting("fsync", "on")
                .setting("shared_buffers", "256MB")
                .setting("max_wal_size", "8GB")
                .setting("checkpoint_timeout", "30min")
                .start()) {
            long t0 = System.nanoTime();
            long bytes;
            int scale;
            try (Connection c = pg.connect()) {
                scale = Dataset.createPgbenchOnly(c, (long) (options.largeGb() * 1e9));
                bytes = Dataset.size(c);
            }
            report.add("large_dataset_MB", bytes / 1e6, "MB", String.format(Locale.ROOT, "pgbench tables alone at scale %d,"
                    + " PostgreSQL %d, built in %.0f s", scale, pg.version().major(), (System.nanoTime() - t0) / 1e9));
            ProtocolLimit.Drain raw = ProtocolLimit.raw(pg);
            double limit = raw.mbps();
            report.add("large_protocol_limit_MBps", limit, "MB/s", "BASE_BACKUP of the large dataset drained by a plain socket"
                    + " (uncompressed); one round");
            boolean lz4 = false;
            if (pg.version().major() >= 15) {
                try {
                    ProtocolLimit.Drain d = ProtocolLimit.raw(pg, ServerCompression.parse("lz4"));
                    lz4 = true;
                    report.add("large_protocol_limit_server_lz4_MBps", raw.bytes() / 1e6 / d.seconds(), "MB/s", String.format(
                            Locale.ROOT, "the same with the server compressing (lz4, %.0f%% of the bytes on the socket):"
                                    + " database bytes per second; one round", 100.0 * d.bytes() / raw.bytes()));
                } catch (IOException e) {
                    report.unavailable("large_protocol_limit_server_lz4_MBps", "MB/s", "this server's build has no lz4",
                            "the same with the server compressing (lz4)");
                }
            }
            String conninfo = benchRole(pg);
            Path conf = config(scratch.resolve("large.conf"), "repo = file://" + scratch.resolve("repo-large") + "\n");
            Repositories.create(repoSettings(conf)).close();
            BackupRun.Result r = BackupRun.inChildJvm(conninfo, conf, "256m");
            report.add("large_backup_MBps", r.mbps(), "MB/s", "walvault backup of the large dataset, LZ4 + AES-256-GCM"
                    + " (passphrase), local directory, default server compression (auto: lz4 when the server has it)");
            report.add("large_backup_vs_protocol_limit", r.mbps() / limit, "ratio", "large_backup_MBps / large_protocol_limit_MBps"
                    + " (the uncompressed stream's limit)");
            report.add("large_backup_cpu_ms_per_GB", r.cpuMsPerGb(), "ms/GB", "CPU time of that backup's JVM per GB of database");
            report.add("large_backup_peak_rss_MB", r.peakRssKb() / 1024.0, "MB", "VmHWM of that backup's JVM (-Xmx256m)");
            if (lz4) {
                // a repository of its own: with chunks, a second backup of the same data stores nothing new
                BackupRun.Result off = BackupRun.inChildJvm(conninfo, freshRepository(scratch, "repo-large-plain"), "256m", "off");
                report.add("large_backup_stream_uncompressed_MBps", off.mbps(), "MB/s", "the same with backup-server-compression = off");
                report.add("large_backup_stream_uncompressed_cpu_ms_per_GB", off.cpuMsPerGb(), "ms/GB", "CPU time of that"
                        + " backup's JVM per GB of database");
            }
        }
    }

    /** A login role with REPLICATION and a password (the backup authenticates as a user would); its conninfo. */
    static String benchRole(PgCluster pg) {
        pg.execute("DROP ROLE IF EXISTS wv_bench", "CREATE ROLE wv_bench LOGIN REPLICATION PASSWORD 'bench pw'");
        return "host=127.0.0.1 port=" + pg.port() + " user=wv_bench password='bench pw' sslmode=disable";
    }

    /**
     * restore_MBps and restore_peak_rss_MB (with {@code suffix}): {@code walvault restore
     * --pgdata DIR --target immediate} of the newest backup of the repository {@code config}
     * names, in a child JVM with -Xmx256m. Until the jar has the command, the figure is n/a.
     */
    private void restore(Path config, Path target, long bytes, String suffix) throws Exception {
        String method = "`walvault restore --pgdata DIR --target immediate` of that backup (download, decrypt,"
                + " decompress, write, verify), child JVM with -Xmx256m";
        if (!restoreKnown) {
            report.unavailable("restore_MBps" + suffix, "MB/s", "restore command not available", method);
            report.unavailable("restore_peak_rss_MB" + suffix, "MB", "restore command not available", "VmHWM of the restore's JVM");
            return;
        }
        Walvault.ChildResult r = walvault.childJvm("256m", List.of("restore", "--pgdata", target.toString(), "--target",
                "immediate", "--config", config.toString()), 3600);
        if (r.run().exitCode() == 2 && r.run().output().contains("Unmatched argument")) {
            report.unavailable("restore_MBps" + suffix, "MB/s", "restore command not available", method);
            return;
        }
        if (r.run().exitCode() != 0) {
            throw new IllegalStateException("walvault restore failed (exit " + r.run().exitCode() + "):\n" + r.run().output());
        }
        double mbps = bytes / 1e3 / (r.run().nanos() / 1e6);
        report.add("restore_MBps" + suffix, mbps, "MB/s", method + "; database bytes / wall time of the command");
        if (suffix.isEmpty()) {
            report.add("restore_vs_protocol_limit", mbps / protocolLimitMBps, "ratio", "restore_MBps / protocol_limit_MBps");
            report.add("restore_vs_disk_write", mbps / diskWriteMBps, "ratio", "restore_MBps / disk_write_MBps");
        }
        report.add("restore_peak_rss_MB" + suffix, r.peakRssKb() / 1024.0, "MB", "VmHWM of the restore's JVM (-Xmx256m),"
                + " written by a shutdown hook");
        deleteTree(target);
    }

    /** The second, smaller dataset: the WAL figures' server, backed up and restored for memory at two sizes. */
    private void smallDataset(WalBench wal, Path scratch) throws Exception {
        long bytes = wal.dataset((long) (options.smallGb() * 1e9));
        report.add("dataset_small_MB", bytes / 1e6, "MB", "the second server's dataset (same shape), for memory at"
                + " two sizes and the WAL figures");
        if (!options.runs(Section.SMALL)) {
            return;
        }
        Path conf = config(scratch.resolve("small.conf"), "repo = file://" + scratch.resolve("repo-small") + "\n");
        Repositories.create(repoSettings(conf)).close();
        BackupRun.Result r = BackupRun.inChildJvm(benchRole(wal.cluster()), conf, "256m");
        report.add("backup_small_MBps", r.mbps(), "MB/s", "the same local backup of the small dataset");
        report.add("backup_peak_rss_MB_small", r.peakRssKb() / 1024.0, "MB", "VmHWM of that backup's JVM (-Xmx256m)");
        restore(conf, scratch.resolve("restored-small"), bytes, "_small");
    }

    /** A repository configuration beside the bench's passphrase file (written once; both owner only: secrets). */
    static Path config(Path file, String repoLines) throws IOException {
        Path passphrase = file.resolveSibling("passphrase");
        if (Files.notExists(passphrase)) {
            Walvault.writePrivate(passphrase, "a long enough bench passphrase\n");
        }
        return Walvault.writePrivate(file, repoLines + "encryption = passphrase\npassphrase-file = " + passphrase + "\n");
    }

    /** A new, empty repository {@code scratch/name} and the config file that names it. */
    private static Path freshRepository(Path scratch, String name) throws IOException {
        Path conf = config(scratch.resolve(name + ".conf"), "repo = file://" + scratch.resolve(name) + "\n");
        Repositories.create(repoSettings(conf)).close();
        return conf;
    }

    static RepositorySettings repoSettings(Path conf) {
        return RepositorySettings.from(
                Settings.load(Map.of(), conf, Map.of()));
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

    static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) {
            return;
        }
        try (var s = Files.walk(p)) {
            for (Path x : (Iterable<Path>) s.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(x);
            }
        }
    }
}
