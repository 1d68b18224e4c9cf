package io.walvault.archiver.backup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.walvault.core.config.RepositorySettings;
import io.walvault.core.config.Settings;
import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;
import io.walvault.core.repo.BackupInfo;
import io.walvault.core.repo.Repositories;
import io.walvault.core.repo.Repository;
import io.walvault.testkit.PgCluster;
import io.walvault.testkit.PgHarness;
import io.walvault.testkit.PgTest;
import io.walvault.testkit.WriteLoad;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.io.TempDir;

/**
 * A backup taken from a streaming standby, so that the primary does not carry its I/O. A
 * standby cannot switch WAL: the backup's last segment completes only when the primary writes
 * it full or switches, so the backup waits for it (up to {@code --wal-timeout}) and is complete
 * only then.
 */
class StandbyBackupIT {

    @TempDir
    Path dir;

    @PgTest
    void aBackupFromAStandbyIsCompleteOnceThePrimaryHasWrittenItsLastSegment(PgHarness harness) throws Exception {
        PgCluster primary = BackupIT.server(harness, 50_000);
        PgCluster standby = primary.createStandby(harness.cluster().name("standby"));
        assertEquals("t", standby.queryString("SELECT pg_is_in_recovery()"));
        RepositorySettings rs = repository();
        Repositories.create(rs).close();
        BackupInfo info;
        AtomicBoolean stop = new AtomicBoolean();
        // the primary keeps writing and switches WAL now and then, as a busy primary does
        Thread switcher = new Thread(() -> {
            while (!stop.get()) {
                try {
                    Thread.sleep(1000);
                    primary.execute("SELECT pg_switch_wal()");
                } catch (InterruptedException e) {
                    return;
                } catch (RuntimeException e) {
                    // the server is stopping at the end of the test
                }
            }
        }, "switcher");
        try (WriteLoad load = new WriteLoad(primary, "t", 50_000); Repository repo = Repositories.open(rs)) {
            switcher.start();
            info = new Backup(BackupIT.settings(standby), repo, BackupOptions.defaults().label("from standby")
                    .fastCheckpoint(true).walTimeout(Duration.ofMinutes(2))).run().info();
        } finally {
            stop.set(true);
            switcher.interrupt();
            switcher.join();
        }
        assertEquals("from standby", info.label());
        try (Repository repo = Repositories.open(rs)) {
            // every file as the standby's manifest lists it, and the WAL from start to end in the archive
            BackupIT.verify(standby, repo, info);
        }
    }

    @PgTest(min = 18)
    void aQuietPrimaryMakesAStandbyBackupWaitThenFailWithAHint(PgHarness harness) throws Exception {
        PgCluster primary = BackupIT.server(harness, 1000);
        PgCluster standby = primary.createStandby(harness.cluster().name("standby"));
        RepositorySettings rs = repository();
        Repositories.create(rs).close();
        long systemId = Long.parseUnsignedLong(standby.queryString("SELECT system_identifier FROM pg_control_system()"));
        try (Repository repo = Repositories.open(rs)) {
            WalvaultException e = assertThrows(WalvaultException.class, () -> new Backup(BackupIT.settings(standby), repo,
                    BackupOptions.defaults().fastCheckpoint(true).walTimeout(Duration.ofSeconds(3))).run());
            assertEquals(ErrorCode.BACKUP_WAL_INCOMPLETE, e.code(), e.getMessage());
            assertTrue(e.getMessage().contains("pg_switch_wal()"), e.getMessage());
            assertEquals(List.of(), repo.cluster(systemId).backups().list(), "no manifest: the backup does not exist");
        }
        assertTrue(primary.queryString("SELECT count(*) FROM pg_replication_slots").equals("0")
                && standby.queryString("SELECT count(*) FROM pg_replication_slots").equals("0"), "the temporary slot is gone");
    }

    private RepositorySettings repository() throws Exception {
        Path pass = dir.resolve("pass");
        Files.writeString(pass, "a long enough passphrase\n");
        Files.setPosixFilePermissions(pass, PosixFilePermissions.fromString("rw-------")); // a secret: owner only
        Path conf = dir.resolve("walvault.conf");
        Files.writeString(conf, "repo = file://" + dir.resolve("repo") + "\nencryption = passphrase\npassphrase-file = " + pass + "\n");
        Files.setPosixFilePermissions(conf, PosixFilePermissions.fromString("rw-------"));
        return RepositorySettings.from(Settings.load(Map.of(), conf, Map.of()));
    }
}
