package io.walvault.archiver.backup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.walvault.core.config.RepositorySettings;
import io.walvault.core.repo.Repositories;
import io.walvault.core.repo.Repository;
import io.walvault.core.storage.ObjectInfo;
import io.walvault.testkit.PgCluster;
import io.walvault.testkit.PgHarness;
import io.walvault.testkit.PgTest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;

/** A backup stopped by SIGTERM cleans up: no manifest, no bundles, no lock, no replication slot. */
class BackupCancelIT {

    @TempDir
    Path dir;

    @PgTest(min = 18)
    void sigtermCancelsCleanly(PgHarness harness) throws Exception {
        PgCluster pg = harness.cluster().start();
        pg.execute("CREATE ROLE wv_backup LOGIN REPLICATION PASSWORD 'backup pw'");
        long systemId = Long.parseUnsignedLong(pg.queryString("SELECT system_identifier FROM pg_control_system()"));
        BackupIT t = new BackupIT();
        t.dir = dir;
        RepositorySettings rs = t.localRepository();
        Repositories.create(rs).close();
        String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        // throttled to 1 MB/s, so a backup of the ~25 MB cluster is still running when stopped
        Process p = new ProcessBuilder(javaBin, "-Xmx128m", "-cp", System.getProperty("java.class.path"),
                BackupChild.class.getName(), "host=127.0.0.1 port=" + pg.port() + " user=wv_backup password='backup pw' sslmode=disable",
                dir.resolve("walvault.conf").toString(), "1024").redirectErrorStream(true)
                .redirectOutput(dir.resolve("child.log").toFile()).start();
        Path backups = dir.resolve("repo/clusters/" + Long.toUnsignedString(systemId) + "/backups");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!pg.queryString("SELECT count(*) FROM pg_replication_slots WHERE temporary").equals("1")
                && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        Thread.sleep(2000); // data flows into the first bundle (a hidden temporary file until published)
        assertTrue(hasFiles(backups), "the backup is storing data");
        assertEquals("1", pg.queryString("SELECT count(*) FROM pg_replication_slots WHERE temporary"));
        p.destroy(); // SIGTERM
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        String out = Files.readString(dir.resolve("child.log"), StandardCharsets.UTF_8);
        assertNotEquals(0, p.exitValue(), out);
        assertTrue(out.contains("cancelled"), out);

        try (Repository repo = Repositories.open(rs)) {
            assertEquals(List.of(), repo.cluster(systemId).backups().list());
            String cluster = "clusters/" + Long.toUnsignedString(systemId) + "/";
            try (Stream<ObjectInfo> l = repo.storage().list(cluster + "backups/")) {
                assertEquals(List.of(), l.map(ObjectInfo::key).toList(), "the bundles were removed");
            }
            assertTrue(!hasFiles(dir.resolve("repo/" + cluster + "backups")), "no temporary file is left either");
            try (Stream<ObjectInfo> l = repo.storage().list(cluster + "locks/")) {
                assertEquals(List.of(), l.map(ObjectInfo::key).toList(), "the lock was released");
            }
        }
        String slots = "";
        for (int i = 0; i < 50 && !(slots = pg.queryString("SELECT count(*) FROM pg_replication_slots")).equals("0"); i++) {
            Thread.sleep(100);
        }
        assertEquals("0", slots, "the temporary slot is gone");
    }

    private static boolean hasFiles(Path d) throws Exception {
        if (!Files.isDirectory(d)) {
            return false;
        }
        try (Stream<Path> s = Files.walk(d)) {
            return s.anyMatch(Files::isRegularFile);
        }
    }
}
