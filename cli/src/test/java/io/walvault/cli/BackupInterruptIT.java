package io.walvault.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.walvault.core.config.RepositorySettings;
import io.walvault.core.config.Settings;
import io.walvault.core.repo.Repositories;
import io.walvault.core.repo.Repository;
import io.walvault.core.storage.ObjectInfo;
import io.walvault.testkit.PgCluster;
import io.walvault.testkit.PgHarness;
import io.walvault.testkit.PgTest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;

/**
 * Ctrl-C on a running {@code bin/walvault backup}: exit code 4 (interrupted), as README
 * documents, after the backup cleaned up: no backup, no bundle, no temporary file, no lock, no
 * replication slot.
 */
class BackupInterruptIT {

    @TempDir
    Path dir;

    @PgTest(min = 18)
    void ctrlCDuringABackupExitsWith4AfterCleaningUp(PgHarness harness) throws Exception {
        PgCluster pg = harness.cluster().start();
        pg.execute("CREATE ROLE wv_backup LOGIN REPLICATION PASSWORD 'backup pw'");
        long systemId = Long.parseUnsignedLong(pg.queryString("SELECT system_identifier FROM pg_control_system()"));
        Path conf = dir.resolve("walvault.conf");
        Files.writeString(conf, "repo = " + dir.resolve("repo").toUri() + "\nencryption = none\n");
        Files.setPosixFilePermissions(conf, PosixFilePermissions.fromString("rw-------"));
        RepositorySettings rs = RepositorySettings.from(Settings.load(Map.of(), conf, Map.of()));
        Repositories.create(rs).close();

        // throttled to 1 MB/s, so the backup of the ~25 MB cluster is still running when interrupted
        Process p = WalvaultProcess.of("backup", "--config", conf.toString(),
                "--pg", "host=127.0.0.1 port=" + pg.port() + " user=wv_backup password='backup pw' sslmode=disable",
                "--max-rate", "1M", "--progress", "none")
                .start(dir.resolve("backup.log"));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!pg.queryString("SELECT count(*) FROM pg_replication_slots WHERE temporary").equals("1")
                && System.nanoTime() < deadline && p.isAlive()) {
            Thread.sleep(100);
        }
        Thread.sleep(1500); // data flows into the first bundle
        assertTrue(p.isAlive(), Files.readString(dir.resolve("backup.log")));
        WalvaultProcess.signal(p, "INT");
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        String out = Files.readString(dir.resolve("backup.log"), StandardCharsets.UTF_8);
        assertEquals(4, p.exitValue(), out);
        assertTrue(out.contains("interrupted by SIGINT"), out);

        String cluster = "clusters/" + Long.toUnsignedString(systemId) + "/";
        try (Repository repo = Repositories.open(rs)) {
            assertEquals(List.of(), repo.cluster(systemId).backups().list());
            try (Stream<ObjectInfo> l = repo.storage().list(cluster)) {
                // the backup's WAL and the record that the cluster belongs to the repository stay; nothing of the backup
                List<String> left = l.map(ObjectInfo::key).filter(k -> !k.startsWith(cluster + "wal/"))
                        .filter(k -> !k.equals(cluster + "cluster.json")).toList();
                assertEquals(List.of(), left, "no bundle, no lock");
            }
        }
        try (Stream<Path> w = Files.walk(dir.resolve("repo"))) {
            List<Path> hidden = w.filter(f -> f.getFileName().toString().startsWith(".")).toList();
            assertEquals(List.of(), hidden, "no temporary file");
        }
        String slots = "";
        for (int i = 0; i < 50 && !(slots = pg.queryString("SELECT count(*) FROM pg_replication_slots")).equals("0"); i++) {
            Thread.sleep(100);
        }
        assertEquals("0", slots, "the temporary slot is gone");
    }
}
