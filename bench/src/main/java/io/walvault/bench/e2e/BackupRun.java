package io.walvault.bench.e2e;

import com.sun.management.OperatingSystemMXBean;
import io.walvault.archiver.backup.Backup;
import io.walvault.archiver.backup.BackupOptions;
import io.walvault.archiver.backup.BackupResult;
import io.walvault.archiver.backup.ServerCompressionChoice;
import io.walvault.core.config.RepositorySettings;
import io.walvault.core.config.Settings;
import io.walvault.core.replication.ReplicationConnection;
import io.walvault.core.replication.conn.ConnectionSettings;
import io.walvault.core.repo.Repositories;
import io.walvault.core.repo.Repository;
import io.walvault.testkit.ChildJvm;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One backup in its own JVM, so its heap can be capped and its peak RSS read from
 * /proc/self/status: {@code BackupRun <conninfo> <config file>} prints
 * {@code backup-result <bytes> <bytes added to the repository> <elapsed ms> <peak RSS kB> <CPU ms>}. A third argument
 * sets {@code backup-server-compression} (default: the setting's default); the environment's
 * {@code WALVAULT_BENCH_CHUNK_KIB} another chunk size than the default.
 */
public final class BackupRun {

    /** What the child reported. */
    record Result(long bytes, long addedBytes, long millis, long peakRssKb, long cpuMillis) {
        double mbps() {
            return bytes / 1e3 / millis;
        }

        /** CPU time (user + system, all threads) of the backup per GB of database. */
        double cpuMsPerGb() {
            return cpuMillis / (bytes / 1e9);
        }
    }

    private BackupRun() {
    }

    public static void main(String[] args) throws Exception {
        ConnectionSettings cs = ConnectionSettings.parse(args[0], Map.of(), Path.of("/nonexistent-home"), "nobody");
        RepositorySettings rs = RepositorySettings.from(Settings.load(Map.of(), Path.of(args[1]), Map.of()));
        BackupOptions options = BackupOptions.defaults().fastCheckpoint(true)
                .serverCompression(args.length > 2 ? ServerCompressionChoice.parse(args[2]) : ServerCompressionChoice.auto());
        String chunkKib = System.getenv("WALVAULT_BENCH_CHUNK_KIB"); // another chunk size than the default, to compare
        if (chunkKib != null && !chunkKib.isBlank()) {
            options = options.chunkSize(Integer.parseInt(chunkKib.trim()) * 1024);
        }
        String uploads = System.getenv("WALVAULT_BENCH_UPLOADS"); // another number of upload threads than the default
        if (uploads != null && !uploads.isBlank()) {
            options = options.uploads(Integer.parseInt(uploads.trim()));
        }
        // as walvault backup does: the network code set up while the repository is opened (its key derived)
        ReplicationConnection.prepareInBackground();
        try (Repository repo = Repositories.open(rs)) {
            if (System.getenv("WALVAULT_BENCH_BACKUP_WARM") != null) {
                // one backup first, so the figures below are a warm JVM's (the JIT's fixed cost left out)
                new Backup(cs, repo, options).run();
            }
            var os = (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
            long cpu0 = os.getProcessCpuTime();
            BackupResult r;
            try (ThreadCpu threads = new ThreadCpu()) {
                r = new Backup(cs, repo, options).run();
                threads.close();
                threads.millisByName().entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed())
                        .forEach(e -> System.out.println("backup-thread-cpu " + e.getValue() + " ms " + e.getKey()));
            }
            System.out.println("backup-result " + r.info().bytes() + " " + r.info().addedBytes() + " "
                    + r.elapsed().toMillis() + " " + ChildJvm.peakRssKb() + " " + (os.getProcessCpuTime() - cpu0) / 1_000_000);
        }
    }

    /** Runs a backup in a child JVM with {@code heap} (such as 256m) and returns what it reported. */
    static Result inChildJvm(String conninfo, Path config, String heap) throws IOException, InterruptedException {
        return inChildJvm(conninfo, config, heap, "auto");
    }

    /** The same with {@code backup-server-compression} set to {@code serverCompression}. */
    static Result inChildJvm(String conninfo, Path config, String heap, String serverCompression)
            throws IOException, InterruptedException {
        // extra options for the backup's JVM only, such as a flight recording
        String extra = System.getenv("WALVAULT_BENCH_BACKUP_OPTS");
        List<String> options = new ArrayList<>(Walvault.LAUNCHER_MEMORY); // as bin/walvault starts it
        if (extra != null && !extra.isBlank()) {
            options.addAll(List.of(extra.trim().split("\\s+")));
        }
        Path log = Files.createTempFile("walvault-bench-backup", ".log");
        try {
            Process p = ChildJvm.builder(heap, options, BackupRun.class, conninfo, config.toString(), serverCompression)
                    .redirectOutput(log.toFile()).start();
            if (!p.waitFor(30, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw new IllegalStateException("the backup did not finish within 30 minutes");
            }
            String out = Files.readString(log, StandardCharsets.UTF_8);
            boolean all = System.getenv("WALVAULT_BENCH_BACKUP_LOG") != null; // the child's whole output, to see where time goes
            out.lines().filter(l -> all || l.startsWith("backup-thread-cpu ")).forEach(l -> System.out.println("# " + l));
            if (p.exitValue() != 0) {
                throw new IllegalStateException("the backup failed (exit " + p.exitValue() + "):\n" + out);
            }
            String[] f = out.lines().filter(l -> l.startsWith("backup-result ")).findFirst()
                    .orElseThrow(() -> new IllegalStateException("no result from the backup:\n" + out)).split(" ");
            return new Result(Long.parseLong(f[1]), Long.parseLong(f[2]), Long.parseLong(f[3]), Long.parseLong(f[4]),
                    Long.parseLong(f[5]));
        } finally {
            Files.deleteIfExists(log);
        }
    }
}
