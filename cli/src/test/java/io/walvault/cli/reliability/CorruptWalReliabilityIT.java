package io.walvault.cli.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.walvault.core.error.ErrorCode;
import io.walvault.testkit.PgCluster;
import io.walvault.testkit.PgHarness;
import io.walvault.testkit.PgTest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Scenario: one WAL object of the repository is damaged (a byte flipped, as bit rot or a bad
 * copy would). {@code verify --all} names it; a server restored from a backup before it stops
 * at that segment (restore_command 150, walvault's reason in its log) instead of promoting
 * without the rows after it; once the object is repaired (its good copy put back), the server
 * started again recovers to the end of the archive and holds exactly the acknowledged rows.
 */
class CorruptWalReliabilityIT {

    @PgTest(slot = 0)
    void aCorruptWalObjectStopsRecoveryUntilItIsRepaired(PgHarness pg) throws Exception {
        try (ScenarioRecord rec = new ScenarioRecord(pg, "corrupt-wal", "A corrupt WAL object under a restore")) {
            Rig rig = Rig.local(pg, rec, null);
            PgCluster primary = rig.startPrimary();
            rig.truth.write(500);
            rig.backup("base");
            String first = rig.currentSegment();
            rig.writeSegments(3 * Rig.SOAK, 1000);
            String last = rig.archiveAll(Duration.ofMinutes(2));
            String victim = Segments.plus(first, 1);
            assertTrue(victim.compareTo(last) < 0, "the load spans too few segments: " + first + " to " + last);

            Path object = rig.object("/wal/", victim);
            byte[] original = Rig.flipByte(object);
            rec.fault("corrupt WAL object", "one byte flipped in the middle of the stored " + victim, 1);

            Rig.Result verify = rig.walvault("verify", "--all");
            assertEquals(ErrorCode.VERIFY_FAILED.exitCode(), verify.code(), verify.output());
            assertTrue(verify.output().contains(victim), "verify does not name " + victim + ":\n" + verify.output());
            rec.note("verify --all: exit " + verify.code() + ", names " + victim);

            Path data = rig.newDataDirectory("corrupt");
            Rig.Result restore = rig.restore(data);
            assertEquals(0, restore.code(), restore.output());
            PgCluster restored = rig.startRestored("corrupt", data);
            PgCluster.RecoveryOutcome outcome = restored.awaitRecoveryEnd(Duration.ofSeconds(180));
            String log = restored.logSinceStart();
            assertNotEquals(PgCluster.RecoveryOutcome.PROMOTED, outcome, "promoted past a corrupt segment:\n" + log);
            assertTrue(log.contains("recovery stops here") && log.contains(victim), "walvault's reason is not in the log:\n" + log);
            rec.note("recovery over the corrupt " + victim + ": " + outcome + ", the log says why");

            // the repair: the damaged object replaced by its good copy (kept aside, as from a replica of the bucket)
            Files.write(object, original);
            restored.startNoWait();
            outcome = restored.awaitRecoveryEnd(Duration.ofSeconds(180));
            assertEquals(PgCluster.RecoveryOutcome.PROMOTED, outcome, restored.logSinceStart());
            rig.compare("repaired", "restore of the backup to the end of the archive, started again after the repair", restored, true);

            Rig.Result clean = rig.walvault("verify", "--all");
            assertEquals(0, clean.code(), clean.output());
            rec.passed();
        }
    }
}
