package io.walvault.archiver.backup;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.walvault.core.config.RepositorySettings;
import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;
import io.walvault.core.pipeline.Sink;
import io.walvault.core.repo.LockKeeper;
import io.walvault.core.repo.Repositories;
import io.walvault.core.repo.Repository;
import io.walvault.core.storage.ObjectInfo;
import io.walvault.core.storage.Storage;
import io.walvault.testkit.ChildJvm;
import io.walvault.testkit.PgCluster;
import io.walvault.testkit.PgHarness;
import io.walvault.testkit.PgTest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;

/**
 * A backup stopped by SIGTERM cleans up: no manifest, no bundles, no lock, no replication slot. A
 * backup whose lock another process takes over stops the same way, and fails with LOCK_HELD.
 */
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
        // throttled to 1 MB/s, so a backup of the ~25 MB cluster is still running when stopped
        Process p = ChildJvm.builder("128m", List.of(), BackupChild.class,
                "host=127.0.0.1 port=" + pg.port() + " user=wv_backup password='backup pw' sslmode=disable",
                dir.resolve("walvault.conf").toString(), "1024").redirectOutput(dir.resolve("child.log").toFile()).start();
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

    @PgTest(min = 18)
    void aBackupWhoseLockIsTakenOverStopsAndCleansUp(PgHarness harness) throws Exception {
        PgCluster pg = harness.cluster().start();
        pg.execute("CREATE ROLE wv_backup LOGIN REPLICATION PASSWORD 'backup pw'");
        long systemId = Long.parseUnsignedLong(pg.queryString("SELECT system_identifier FROM pg_control_system()"));
        BackupIT t = new BackupIT();
        t.dir = dir;
        RepositorySettings rs = t.localRepository();
        Repositories.create(rs).close();
        String cluster = "clusters/" + Long.toUnsignedString(systemId) + "/";
        Path backups = dir.resolve("repo/" + cluster + "backups");
        try (Repository repo = Repositories.open(rs)) {
            // throttled to 1 MB/s, so the backup of the ~25 MB cluster is still running when its lock is taken;
            // a heartbeat every 200 ms notices the take-over at once (the default is a minute)
            Backup backup = new Backup(BackupIT.settings(pg), repo, BackupOptions.defaults().fastCheckpoint(true).maxRateKbps(1024))
                    .lockTiming(new LockKeeper.Timing(Duration.ofMinutes(10), Duration.ofMillis(200)));
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Thread runner = new Thread(() -> {
                try {
                    backup.run();
                } catch (Throwable e) {
                    failure.set(e);
                }
            }, "backup");
            runner.start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!pg.queryString("SELECT count(*) FROM pg_replication_slots WHERE temporary").equals("1")
                    && System.nanoTime() < deadline) {
                Thread.sleep(100);
            }
            Thread.sleep(2000); // data flows into the first bundle
            assertTrue(hasFiles(backups), "the backup is storing data");
            assertTrue(runner.isAlive(), "the backup still runs");

            // another process (on another host) takes the lock over, as it would a lock whose heartbeat it judged stale
            String now = Instant.now().toString();
            byte[] thief = ("{\"token\":\"thief\",\"host\":\"elsewhere\",\"pid\":4242,\"acquired\":\"" + now
                    + "\",\"heartbeat\":\"" + now + "\"}").getBytes(StandardCharsets.UTF_8);
            try (Sink w = repo.storage().newWrite(cluster + "locks/backup.lock", Storage.WriteMode.OVERWRITE)) {
                w.write(thief, 0, thief.length);
                w.finish();
            }
            long stolenAt = System.nanoTime();
            runner.join(60_000);
            assertFalse(runner.isAlive(), "the backup stopped");
            assertTrue(System.nanoTime() - stolenAt < TimeUnit.SECONDS.toNanos(20), "it stopped soon, long before its 25 s");
            WalvaultException e = assertInstanceOf(WalvaultException.class, failure.get());
            assertEquals(ErrorCode.LOCK_HELD, e.code(), e.toString());
            assertTrue(e.getMessage().contains("another process took over the cluster's backup lock")
                    && e.getMessage().contains("process 4242 on 'elsewhere'") && e.getMessage().contains("nothing was published"),
                    e.getMessage());

            assertEquals(List.of(), repo.cluster(systemId).backups().list());
            try (Stream<ObjectInfo> l = repo.storage().list(cluster + "backups/")) {
                assertEquals(List.of(), l.map(ObjectInfo::key).toList(), "the bundles were removed");
            }
            assertFalse(hasFiles(backups), "no temporary file is left either");
            try (java.io.InputStream in = repo.storage().newRead(cluster + "locks/backup.lock", 0, -1)) {
                assertArrayEquals(thief, in.readAllBytes(), "the new holder's lock is neither refreshed nor removed");
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
