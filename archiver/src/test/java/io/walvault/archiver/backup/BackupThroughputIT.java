package io.walvault.archiver.backup;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.walvault.core.repo.Repositories;
import io.walvault.testkit.PgCluster;
import io.walvault.testkit.PgHarness;
import io.walvault.testkit.PgTest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * The backup's throughput figure, never run by default: a ~1 GB cluster backed up with LZ4 and
 * encryption into a local directory by a child JVM with a 256 MiB heap; prints MB/s and peak RSS.
 *
 * <pre>mvn -B -pl archiver -am verify -Dpg.versions=18 -Dit.test=BackupThroughputIT -Dwalvault.throughput=true \
 *     -Dtest=NONE -Dsurefire.failIfNoSpecifiedTests=false -Dfailsafe.failIfNoSpecifiedTests=false</pre>
 * ({@code -Dwalvault.throughput.rows=N}: 3,000,000 rows make about 1 GB.)
 */
class BackupThroughputIT {

    @TempDir
    Path dir;

    @PgTest(min = 14)
    @EnabledIfSystemProperty(named = "walvault.throughput", matches = "true")
    void backupOfAGigabyteWithCompressionAndEncryption(PgHarness harness) throws Exception {
        PgCluster pg = harness.cluster().setting("shared_buffers", "128MB").start();
        int rows = Integer.getInteger("walvault.throughput.rows", 3_000_000);
        // half repetitive, half hex digits: compresses about 2:1 with LZ4, like many real tables
        pg.execute("CREATE TABLE big AS SELECT g AS id, repeat(md5(g::text), 5) || md5(random()::text) || md5(random()::text)"
                        + " || md5(random()::text) || md5(random()::text) AS v FROM generate_series(1, " + rows + ") g",
                "CHECKPOINT", "CREATE ROLE wv_backup LOGIN REPLICATION PASSWORD 'backup pw'");
        System.out.println("database_size: " + pg.queryString("SELECT pg_size_pretty(pg_database_size('postgres'))"));
        BackupIT t = new BackupIT();
        t.dir = dir;
        Repositories.create(t.localRepository()).close();
        // the same backup into a repository without compression or encryption: what the codec costs
        Path plainConf = dir.resolve("plain.conf");
        java.nio.file.Files.writeString(plainConf, "repo = file://" + dir.resolve("plain") + "\ncompression = none\nencryption = none\n");
        Repositories.create(io.walvault.core.config.RepositorySettings.from(
                io.walvault.core.config.Settings.load(java.util.Map.of(), plainConf, java.util.Map.of()))).close();
        String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        int rounds = Integer.getInteger("walvault.throughput.rounds", 2);
        for (int round = 0; round < rounds + 1; round++) {
            Path conf = round < rounds ? dir.resolve("walvault.conf") : plainConf;
            System.out.println(round < rounds ? "lz4 + passphrase encryption:" : "no compression, no encryption:");
            java.util.List<String> cmd = new java.util.ArrayList<>(java.util.List.of(javaBin, "-Xmx256m"));
            String jfr = System.getProperty("walvault.throughput.jfr"); // a directory: one recording per round
            if (jfr != null) {
                cmd.add("-XX:StartFlightRecording=filename=" + Path.of(jfr, "backup-" + round + ".jfr") + ",settings=profile");
            }
            cmd.addAll(java.util.List.of("-cp", System.getProperty("java.class.path"), BackupChild.class.getName(),
                    "host=127.0.0.1 port=" + pg.port() + " user=wv_backup password='backup pw' sslmode=disable", conf.toString()));
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out;
            try (var in = p.getInputStream()) {
                out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
            p.waitFor(10, TimeUnit.MINUTES);
            assertEquals(0, p.exitValue(), out);
            String[] f = out.lines().filter(l -> l.startsWith("backup ")).findFirst().orElseThrow().split(" ");
            long bytes = Long.parseLong(f[3]);
            long ms = Long.parseLong(f[7]);
            System.out.printf(Locale.ROOT, "round %d: backup %d bytes (%d stored) in %.2f s = %.0f MB/s, peak RSS %d MiB%n", round,
                    bytes, Long.parseLong(f[9]), ms / 1000.0, bytes / 1e3 / ms, Long.parseLong(f[5]) / 1024);
            Thread.sleep(1100); // backup ids are per second
        }
    }
}
