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
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Scenario: the store goes down in the middle of a restored server's recovery. The server does
 * not promote: restore_command answers 150 and PostgreSQL stops, with walvault's reason in its
 * log. The outage ends, the server is started again, resumes recovery and holds exactly the
 * acknowledged rows.
 */
@ExtendWith(S3Extension.class)
class StoreOutageReliabilityIT {

    @PgTest(slot = 0)
    void anOutageDuringRecoveryStopsItAndItResumesOnceTheStoreIsBack(PgHarness pg, S3Bucket bucket, FaultProxy proxy)
            throws Exception {
        try (ScenarioRecord rec = new ScenarioRecord(pg, "store-outage", "A store outage during recovery")) {
            Rig rig = Rig.s3(pg, rec, bucket.through(proxy), "s3-max-attempts", "3", "archive-get-prefetch", "1");
            rig.startPrimary();
            rig.truth.write(500);
            rig.backup("base");
            String first = rig.currentSegment();
            rig.writeSegments(7 * Rig.SOAK, 300);
            rig.archiveAll(Duration.ofMinutes(2));

            Path data = rig.newDataDirectory("outage");
            Rig.Result restore = rig.restore(data);
            assertEquals(0, restore.code(), restore.output());
            // recovery is held a few seconds on the fourth segment after the backup; the store goes down meanwhile
            FaultRule slow = S3FaultsReliabilityIT.walRequest(proxy, "GET", first, 4).inject(Fault.stall(Duration.ofSeconds(4)));
            PgCluster restored = rig.startRestored("outage", data);
            slow.awaitFired(1, Duration.ofSeconds(120));
            FaultRule outage = proxy.outage(Fault.serviceUnavailable());
            PgCluster.RecoveryOutcome outcome = restored.awaitRecoveryEnd(Duration.ofSeconds(180));
            String log = restored.logSinceStart();
            assertNotEquals(PgCluster.RecoveryOutcome.PROMOTED, outcome, "promoted during a store outage:\n" + log);
            assertTrue(log.contains("recovery stops here") && log.contains("exit code 150"), "walvault's reason is not in the log:\n" + log);
            outage.remove();
            rec.lap("recovery stopped by the outage");
            rig.fired("segment GET stalled 4 s (holds recovery mid-way)", slow);
            rig.fired("store outage: every request answered 503 ServiceUnavailable", outage);
            rec.note("recovery during the outage: " + outcome + ", restore_command exit code 150 and walvault's reason in the log");

            restored.startNoWait();
            assertEquals(PgCluster.RecoveryOutcome.PROMOTED, restored.awaitRecoveryEnd(Duration.ofSeconds(180)), restored.logSinceStart());
            rig.compare("after-outage", "the same server started again once the store was back", restored, true);
            rec.passed();
        }
    }
}
