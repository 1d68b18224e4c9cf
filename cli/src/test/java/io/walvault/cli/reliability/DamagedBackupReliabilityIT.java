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
 * Scenario: damaged backup objects. A bundle of the newest backup is damaged: {@code restore}
 * of it fails loudly (never exit 0, never a directory that starts), {@code verify} names the
 * bundle, and a restore of the older, intact backup equals the truth. Then the manifest of the
 * older backup is damaged: {@code info}, {@code verify --backup} of the newer one and a restore
 * of the newer one all keep working, and the restore equals the truth.
 */
class DamagedBackupReliabilityIT {

    @PgTest
    void damageStaysWithTheBackupItHits(PgHarness pg) throws Exception {
        try (ScenarioRecord rec = new ScenarioRecord(pg, "damaged-backups", "Damaged bundles and manifests in the repository")) {
            Rig rig = Rig.local(pg, rec, null);
            rig.startPrimary();
            rig.truth.write(2000);
            String older = rig.backup("older");
            rig.truth.write(4000);
            String newer = rig.backup("newer");
            rig.writeSegments(2 * Rig.SOAK, 1000);
            rig.archiveAll(Duration.ofMinutes(2));

            // a bundle of the newest backup
            Path bundle = rig.object("/backups/" + newer + "/data/", "0");
            byte[] goodBundle = Rig.flipByte(bundle);
            rec.fault("corrupt bundle", "one byte flipped in bundle " + bundle.getFileName() + " of the newest backup", 1);
            Path data = rig.newDataDirectory("damaged-newest");
            Rig.Result refused = rig.restore(data);
            assertNotEquals(0, refused.code(), "restore of a damaged backup reported success:\n" + refused.output());
            rec.note("restore of the newest backup (damaged bundle): exit " + refused.code());
            assertNeverPromotes(rig, "damaged-newest", data);
            Rig.Result verify = rig.walvault("verify", "--backup", newer);
            assertEquals(ErrorCode.VERIFY_FAILED.exitCode(), verify.code(), verify.output());
            assertTrue(verify.output().contains(bundle.getFileName().toString()), "verify does not name the bundle:\n" + verify.output());
            rec.note("verify --backup " + newer + ": exit " + verify.code() + ", names the bundle");
            PgCluster fromOlder = rig.restoreAndPromote("older", "--backup", older);
            rig.compare("older", "restore --backup <older, intact> to the end of the archive", fromOlder, true);
            fromOlder.close();
            Files.write(bundle, goodBundle);

            // the manifest of the older backup
            Path manifest = rig.object("/backups/" + older + "/", "manifest");
            Rig.flipByte(manifest);
            rec.fault("corrupt manifest", "one byte flipped in the manifest of the older backup", 1);
            assertTrue(rig.backups().contains(newer), "info lost the intact backup: " + rig.backups());
            Rig.Result verifyNewer = rig.walvault("verify", "--backup", newer);
            assertEquals(0, verifyNewer.code(), verifyNewer.output());
            rec.note("with the older backup's manifest damaged: info lists the newer backup, verify --backup <newer> exit 0");
            PgCluster fromNewer = rig.restoreAndPromote("newer", "--backup", newer);
            rig.compare("newer", "restore --backup <newer> beside a damaged manifest", fromNewer, true);
            rec.passed();
        }
    }

    /** Whatever a failed restore left in {@code data} must not come up as a server with data missing. */
    static void assertNeverPromotes(Rig rig, String name, Path data) {
        if (!Files.exists(data.resolve("PG_VERSION"))) {
            return;
        }
        PgCluster c;
        try {
            c = rig.startRestored(name, data);
        } catch (IllegalStateException refused) {
            return; // pg_ctl could not start it
        }
        PgCluster.RecoveryOutcome outcome = c.awaitRecoveryEnd(Duration.ofSeconds(60));
        assertNotEquals(PgCluster.RecoveryOutcome.PROMOTED, outcome, "a failed restore left a directory that starts:\n"
                + c.logSinceStart());
        c.close();
    }
}
