package io.walvault.cli.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.walvault.testkit.PgCluster;
import io.walvault.testkit.PgHarness;
import io.walvault.testkit.PgTest;
import io.walvault.testkit.ServerUser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Assumptions;

/**
 * Scenario: a full file system, on a small tmpfs (mounting one needs root; otherwise the
 * scenario is skipped and says why). (a) The local repository's file system fills up:
 * archive-push fails while it is full, PostgreSQL keeps the WAL and retries, and once space is
 * freed everything is archived; the restore equals the truth. (b) The restored server's data
 * directory fills up: archive-get cannot write the segment recovery asks for, so recovery stops
 * (150) instead of promoting (or the server's own redo meets the full disk first, when the get
 * worker fetching ahead took the last free bytes: its startup process stops just as loudly);
 * with space freed, the server started again recovers to the truth.
 */
class FullDiskReliabilityIT {

    private static void assumeRoot(ScenarioRecord rec) {
        String why = "mounting a tmpfs needs root; the tests run as " + System.getProperty("user.name");
        if (!ServerUser.jvmIsRoot()) {
            rec.skipped(why);
        }
        Assumptions.assumeTrue(ServerUser.jvmIsRoot(), why);
    }

    @PgTest(slot = 1)
    void aFullRepositoryFileSystemHoldsArchivingBackUntilSpaceIsFreed(PgHarness pg) throws Exception {
        try (ScenarioRecord rec = new ScenarioRecord(pg, "full-fs-repository", "The repository's file system fills up")) {
            assumeRoot(rec);
            Path mountPoint = pg.scratchDirectory("full-repo").resolve("fs");
            try (Tmpfs fs = Tmpfs.mount(mountPoint, 64)) {
                Rig rig = Rig.local(pg, rec, fs.path().resolve("repo"));
                // each retry straight to Java: with the repository on the command line the launcher would first wait
                // 3 s for the watcher, which gave up on the files that failed
                PgCluster primary = rig.startPrimary(rig.archiveCommandConfigOnly(), java.util.Map.of());
                rig.truth.write(500);
                rig.backup("base");
                rig.archiveAll(Duration.ofMinutes(1));
                Path ballast = fs.path().resolve("ballast");
                fs.fill(ballast, 512 * 1024);
                rig.writeSegments(4 * Rig.SOAK, 1000);
                Rig.await(() -> Integer.parseInt(primary.queryString("SELECT failed_count FROM pg_stat_archiver")) >= 2,
                        Duration.ofSeconds(60), () -> "archiving never failed on a full file system");
                int failed = Integer.parseInt(primary.queryString("SELECT failed_count FROM pg_stat_archiver"));
                String failedWal = primary.queryString("SELECT last_failed_wal FROM pg_stat_archiver");
                rec.fault("file system full", "the repository's 64 MiB tmpfs filled to 512 KiB free; archive_command"
                        + " failures while full (pg_stat_archiver.failed_count)", failed);
                rec.note("archiving failed " + failed + " times while full (last on " + failedWal + ")");
                Files.delete(ballast);
                rig.truth.write(2000);
                rig.archiveAll(Duration.ofMinutes(3));
                PgCluster restored = rig.restoreAndPromote("after-full-repo");
                rig.compare("after-full-repo", "restore to the end of the archive after space was freed", restored, true);
                restored.close();
                primary.close();
            }
            rec.passed();
        }
    }

    @PgTest(slot = 0)
    void aFullDataDirectoryStopsRecoveryInsteadOfPromoting(PgHarness pg) throws Exception {
        try (ScenarioRecord rec = new ScenarioRecord(pg, "full-fs-pgdata", "The restored server's file system fills up")) {
            assumeRoot(rec);
            Rig rig = Rig.local(pg, rec, null);
            rig.startPrimary();
            rig.truth.write(500);
            rig.backup("base");
            rig.writeSegments(3 * Rig.SOAK, 1000);
            rig.archiveAll(Duration.ofMinutes(2));
            Path mountPoint = pg.scratchDirectory("full-pgdata").resolve("fs");
            try (Tmpfs fs = Tmpfs.mount(mountPoint, 256)) {
                Path data = fs.path().resolve("data");
                Rig.Result restore = rig.restore(data);
                assertEquals(0, restore.code(), restore.output());
                Path ballast = fs.path().resolve("ballast");
                fs.fill(ballast, 4L * 1024 * 1024);
                PgCluster restored = rig.startRestored("full-pgdata", data);
                PgCluster.RecoveryOutcome outcome = restored.awaitRecoveryEnd(Duration.ofSeconds(120));
                String log = restored.logSinceStart();
                assertNotEquals(PgCluster.RecoveryOutcome.PROMOTED, outcome, "promoted though archive-get could not write:\n" + log);
                // who meets the full disk first is a race: archive-get writing the next segment (it stops recovery with
                // 150 and says why), or, when the get worker fetching ahead took the last free bytes, the server's own
                // redo extending a relation (its startup process stops with a FATAL); never "not in the archive"
                boolean walvaultStopped = log.contains("recovery stops here") && log.contains("exit code 150");
                boolean redoStopped = log.contains("No space left on device") && log.contains("startup process")
                        && log.contains("exited with exit code 1");
                assertTrue(walvaultStopped || redoStopped, "neither walvault's reason nor the server's own stop is in the log:\n"
                        + log);
                rec.fault("file system full", "the restored data directory's 256 MiB tmpfs filled to 4 MiB free before the start", 1);
                rec.note("recovery with no room for a segment: " + outcome + (walvaultStopped
                        ? ", restore_command exit code 150 in the log" : ", the server's redo stopped on the full disk first"));
                Files.delete(ballast);
                restored.startNoWait();
                assertEquals(PgCluster.RecoveryOutcome.PROMOTED, restored.awaitRecoveryEnd(Duration.ofSeconds(180)),
                        restored.logSinceStart());
                rig.compare("after-full-pgdata", "the same restored server started again after space was freed", restored, true);
                restored.close();
            }
            rec.passed();
        }
    }
}
