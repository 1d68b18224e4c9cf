package io.walvault.cli.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.walvault.testkit.Fault;
import io.walvault.testkit.FaultProxy;
import io.walvault.testkit.FaultRule;
import io.walvault.testkit.PgCluster;
import io.walvault.testkit.PgHarness;
import io.walvault.testkit.PgTest;
import io.walvault.testkit.S3Bucket;
import io.walvault.testkit.S3Extension;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Scenario: a backup's manifest PUT is held back by the network until the backup has given up
 * and cleaned up, and lands afterwards. The backup fails with a documented exit code; the
 * manifest that arrives later never makes a listed backup ({@code info --json}); a default
 * restore uses the previous good backup and equals the truth; {@code expire --retain-full 1}
 * keeps the good backup and the WAL it needs.
 */
@ExtendWith(S3Extension.class)
class LateManifestReliabilityIT {

    @PgTest(slot = 0)
    void aManifestThatLandsAfterTheBackupGaveUpNeverMakesABackup(PgHarness pg, S3Bucket bucket, FaultProxy proxy) throws Exception {
        try (ScenarioRecord rec = new ScenarioRecord(pg, "late-manifest", "A backup's manifest PUT lands after the backup gave up")) {
            Rig rig = Rig.s3(pg, rec, bucket.through(proxy), "s3-max-attempts", "3");
            rig.startPrimary();
            rig.truth.write(2000);
            String good = rig.backup("good");
            rig.writeSegments(2, 400);

            FaultRule late = proxy.rule().method("PUT").key("/backups/[^/]+/manifest").always()
                    .inject(Fault.lateWrite(Duration.ofMillis(500), null));
            Rig.Result failed = rig.walvault("backup", "--pg", rig.backupConninfo(), "--checkpoint", "fast", "--label", "late");
            late.remove();
            assertNotEquals(0, failed.code(), "the backup succeeded without its manifest:\n" + failed.output());
            String readme = Files.readString(Rig.ROOT.resolve("README.md"));
            assertTrue(readme.contains("\n| " + failed.code() + " |"), "exit code " + failed.code() + " is not documented");
            rec.note("backup whose manifest never arrived in time: exit " + failed.code());
            assertTrue(proxy.heldLateWrites() > 0, "no manifest PUT was held");
            int released = proxy.releaseLateWrites();
            rig.fired("manifest PUT held until the backup gave up, then written to the store", late);
            rec.note(released + " held manifest PUT(s) released into the store after the backup failed");
            try (S3Client s3 = bucket.newClient()) {
                long manifests = s3.listObjectsV2Paginator(b -> b.bucket(bucket.name()).prefix("r/clusters/")).contents().stream()
                        .filter(o -> o.key().matches(".*/backups/[^/]+/manifest[^/]*") && !o.key().contains("/" + good + "/"))
                        .count();
                assertTrue(manifests >= 1, "the late manifest did not land");
            }
            assertEquals(List.of(good), rig.backups(), "the late manifest made a backup");

            rig.writeSegments(2, 400);
            rig.archiveAll(Duration.ofMinutes(2));
            Rig.Result expire = rig.walvault("expire", "--retain-full", "1");
            assertEquals(0, expire.code(), expire.output());
            assertEquals(List.of(good), rig.backups(), "expire removed the good backup:\n" + expire.output());
            rec.note("expire --retain-full 1: exit 0, the good backup kept");

            PgCluster restored = rig.restoreAndPromote("default");
            rig.compare("default", "default restore (the good backup) to the end of the archive, after expire", restored, true);
            rec.passed();
        }
    }
}
