package io.walvault.restore.recovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.walvault.testkit.PgCluster;
import io.walvault.testkit.PgHarness;
import io.walvault.testkit.PgTest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/** The settings walvault writes are the ones each PostgreSQL version reads. */
class RecoveryConfigIT {

    @PgTest
    void theServerRecoversWithOurSettingsAndIgnoresTheInheritedOnes(PgHarness pg) throws Exception {
        PgCluster source = pg.cluster().name("source").start();
        source.execute("CREATE TABLE t (id int)", "INSERT INTO t VALUES (42)",
                "ALTER SYSTEM SET primary_conninfo = 'host=192.0.2.1 port=5432'",
                "ALTER SYSTEM SET recovery_target_name = 'stale'");
        source.stop();

        Path data = pg.scratchDirectory("restored").resolve("data");
        org.junit.jupiter.api.Assertions.assertTrue(Files.notExists(data));
        PgCluster.copyDataDirectory(source.dataDirectory(), data);
        RecoveryConfigWriter.write(data, new RecoverySettings("false %f %p", "", new RecoveryTarget.EndOfArchive(), true,
                TargetAction.PROMOTE, TargetTimeline.latest(), true));

        PgCluster restored = pg.cluster().name("restored").dataDirectory(data).create();
        restored.startNoWait();
        assertEquals(PgCluster.RecoveryOutcome.PROMOTED, restored.awaitRecoveryEnd(Duration.ofSeconds(60)));
        assertEquals("42", restored.queryString("SELECT id FROM t"));
        assertEquals("", restored.queryString("SHOW primary_conninfo"));
        assertEquals("promote", restored.queryString("SHOW recovery_target_action"));
        assertEquals("off", restored.queryString("SHOW archive_mode"));
        assertEquals("false %f %p", restored.queryString("SHOW restore_command"));
        assertTrue(restored.logSinceStart().contains("archive recovery complete")
                || restored.logSinceStart().contains("selected new timeline ID"), restored.logSinceStart());
    }
}
