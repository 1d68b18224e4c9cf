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
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Scenario: a WAL object is lost from the repository (removed by mistake, or because it was
 * damaged) and repaired the way archive-get's own hint says: the segment pushed again by hand
 * from the original server's pg_wal with {@code walvault archive-push}. The push must store it
 * (or fail): the restored server that stopped at the gap, started again, then recovers to the
 * truth.
 *
 * <p>Before the loss, the push worker's upload of that segment is slow (a PUT stalled a few
 * seconds, as S3 is at times), so the segment's archive_command call waits for it or stores it
 * itself. The worker's status file for the segment ({@code pg_wal/.walvault/push/NAME.ok}) may
 * still be there when the segment is pushed again by hand: it must not answer for it, since
 * PostgreSQL no longer has the segment ready.
 */
@ExtendWith(S3Extension.class)
class WalRepairReliabilityIT {

    @PgTest(slot = 0)
    void aSegmentPushedAgainByHandAfterItsObjectWasLostIsStoredAgain(PgHarness pg, S3Bucket bucket, FaultProxy proxy)
            throws Exception {
        try (ScenarioRecord rec = new ScenarioRecord(pg, "wal-repair", "A lost WAL object pushed again from pg_wal")) {
            Rig rig = Rig.s3(pg, rec, bucket.through(proxy));
            PgCluster primary = rig.startPrimary(rig.archiveCommandConfigOnly(), Map.of());
            rig.truth.write(500);
            rig.backup("base");
            String first = rig.currentSegment();
            rig.writeSegments(1, 300); // its push starts the worker
            rig.archiveAll(Duration.ofMinutes(1));
            String victim = Segments.plus(first, 2);
            FaultRule slow = S3FaultsReliabilityIT.walRequest(proxy, "PUT", first, 2).inject(Fault.stall(Duration.ofSeconds(6)));
            rig.writeSegments(3, 300);
            rig.archiveAll(Duration.ofMinutes(2));
            slow.awaitFired(1, Duration.ofSeconds(30));
            Thread.sleep(8000); // the stalled upload ends
            rig.fired("PUT of one segment stalled 6 s (the first upload of it)", slow);
            List<String> markers = Rig.files(primary.dataDirectory().resolve("pg_wal/.walvault/push"));
            rec.note("status files in the primary's pg_wal/.walvault/push after everything was archived: " + markers);

            Path data = rig.newDataDirectory("gap");
            Rig.Result restore = rig.restore(data);
            assertEquals(0, restore.code(), restore.output());
            // lost after the restore was planned, before the restored server reads it
            String key;
            try (S3Client s3 = bucket.newClient()) {
                key = s3.listObjectsV2Paginator(b -> b.bucket(bucket.name()).prefix("r/clusters/")).contents().stream()
                        .map(o -> o.key()).filter(k -> k.contains("/wal/") && k.contains("/" + victim + ".")).findFirst().orElseThrow();
                s3.deleteObject(b -> b.bucket(bucket.name()).key(key));
            }
            // the restore fetched the first segments ahead into the server's spool: that verified copy would carry
            // recovery past the loss (rightly); removed, so that the server has to read the lost object
            Files.deleteIfExists(data.resolve("pg_wal/.walvault/get").resolve(victim));
            rec.fault("lost WAL object", "the stored " + victim + " removed from the bucket after the restore (and the copy"
                    + " the restore had fetched ahead)", 1);
            PgCluster restored = rig.startRestored("gap", data);
            PgCluster.RecoveryOutcome outcome = restored.awaitRecoveryEnd(Duration.ofSeconds(180));
            assertNotEquals(PgCluster.RecoveryOutcome.PROMOTED, outcome, restored.logSinceStart());
            assertTrue(restored.logSinceStart().contains("put the file back"), restored.logSinceStart());

            // the repair archive-get's hint asks for: the segment pushed again from the primary's pg_wal
            Path segment = primary.dataDirectory().resolve("pg_wal").resolve(victim);
            Rig.Result push = rig.walvault(Map.of(), "archive-push", segment.toString());
            rec.note("archive-push of " + victim + " by hand: exit " + push.code() + " " + push.output().strip());
            assertEquals(0, push.code(), push.output());
            boolean stored;
            try (S3Client s3 = bucket.newClient()) {
                stored = s3.listObjectsV2(b -> b.bucket(bucket.name()).prefix(key)).contents().stream().anyMatch(o -> o.key().equals(key));
            }
            assertTrue(stored, "archive-push answered 0 for " + victim + " but did not store it; status files in the"
                    + " primary's pg_wal/.walvault/push: " + markers);

            restored.startNoWait();
            assertEquals(PgCluster.RecoveryOutcome.PROMOTED, restored.awaitRecoveryEnd(Duration.ofSeconds(180)),
                    restored.logSinceStart());
            rig.compare("repaired", "the same server started again after the segment was pushed again", restored, true);
            rec.passed();
        }
    }
}
