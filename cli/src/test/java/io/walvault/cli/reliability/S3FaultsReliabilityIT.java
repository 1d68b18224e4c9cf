package io.walvault.cli.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Scenario: S3 misbehaves between walvault and the store while archive_command pushes, and
 * again while a restore reads. On the PUT of one WAL segment each: SlowDown and 500 bursts the
 * client retries, a 503 burst longer than its retries (archive_command fails, PostgreSQL retries it),
 * a reset mid-request, a reset mid-response after the store took the object, a stall of the
 * answer past the client's read timeout (the object stored meanwhile), and a late write that
 * lands seconds after the client gave up on it. On the restore's GETs: a listing reset in the
 * middle of its body, a bundle and a segment cut short, a segment reset mid-response and one
 * with a corrupted body. The restore to the end of the archive equals the truth exactly.
 */
@ExtendWith(S3Extension.class)
class S3FaultsReliabilityIT {

    @PgTest(slot = 1)
    void archivingAndRestoreRideOutS3Faults(PgHarness pg, S3Bucket bucket, FaultProxy proxy) throws Exception {
        try (ScenarioRecord rec = new ScenarioRecord(pg, "s3-faults", "S3 faults under archive-push and restore")) {
            Rig rig = Rig.s3(pg, rec, bucket.through(proxy), "s3-max-attempts", "4");
            PgCluster primary = rig.startPrimary();
            rig.truth.write(500);
            rig.backup("base");

            String first = rig.currentSegment();
            Map<String, FaultRule> puts = new LinkedHashMap<>();
            puts.put("PUT 503 SlowDown x3 (retried by the client)", walRequest(proxy, "PUT", first, 0).times(3).inject(Fault.slowDown()));
            puts.put("PUT 500 InternalError x2 (retried by the client)",
                    walRequest(proxy, "PUT", first, 1).times(2).inject(Fault.internalError()));
            // 503 until archive_command has failed on it: PostgreSQL retries it, and archives it once the burst ends
            String burstSegment = Segments.plus(first, 2);
            FaultRule burst = walRequest(proxy, "PUT", first, 2).always().inject(Fault.serviceUnavailable());
            puts.put("PUT 503 on every attempt until archive_command failed on the segment (PostgreSQL retries it)", burst);
            puts.put("PUT reset after 16 KiB of the request", walRequest(proxy, "PUT", first, 3).inject(Fault.resetRequest(16 * 1024)));
            puts.put("PUT reset after 20 bytes of the answer (the object was stored)",
                    walRequest(proxy, "PUT", first, 4).inject(Fault.resetResponse(20)));
            puts.put("PUT answer stalled 35 s, past the client's read timeout (the object was stored)",
                    walRequest(proxy, "PUT", first, 5).inject(Fault.stallResponse(Duration.ofSeconds(35))));
            puts.put("PUT held, client reset after 1 s, written to the store 8 s later (late write)",
                    walRequest(proxy, "PUT", first, 6).inject(Fault.lateWrite(Duration.ofSeconds(1), Duration.ofSeconds(8))));
            rig.writeSegments(9 * Rig.SOAK, 400);
            Rig.await(() -> burstSegment.equals(primary.queryString("SELECT last_failed_wal FROM pg_stat_archiver")),
                    Duration.ofMinutes(2), () -> "archive_command never failed on " + burstSegment + ": " + burst);
            burst.remove();
            rec.lap("archive_command failed on " + burstSegment + ", burst ended");
            rig.archiveAll(Duration.ofMinutes(3));
            Rig.await(() -> proxy.heldLateWrites() == 0, Duration.ofSeconds(30), () -> "late write not forwarded");
            for (var e : puts.entrySet()) {
                rig.fired(e.getKey(), e.getValue());
                e.getValue().remove();
            }
            int failed = Integer.parseInt(primary.queryString("SELECT failed_count FROM pg_stat_archiver"));
            rec.note("archive_command failed " + failed + " time(s) and PostgreSQL retried until every segment was archived");
            rig.truth.write(200);
            rig.archiveAll(Duration.ofMinutes(1));

            // the restore reads through the same proxy, with faults on its GETs
            Map<String, FaultRule> gets = new LinkedHashMap<>();
            gets.put("LIST answer reset in the middle of its body",
                    proxy.rule().method("GET").query("list-type").inject(Fault.resetResponse(700)));
            gets.put("GET of a bundle cut short after 4 KiB of its body",
                    proxy.rule().method("GET").key("/backups/[^/]+/data/").inject(Fault.truncateBody(4096)));
            gets.put("GET of a segment reset after 1000 bytes of the answer",
                    walRequest(proxy, "GET", first, 2).inject(Fault.resetResponse(1000)));
            gets.put("GET of a segment cut short after 2000 bytes of its body",
                    walRequest(proxy, "GET", first, 3).inject(Fault.truncateBody(2000)));
            gets.put("GET of a segment with a byte of its body flipped",
                    walRequest(proxy, "GET", first, 5).inject(Fault.corruptBody(3000)));
            Path data = rig.newDataDirectory("through-faults");
            Rig.Result restore = rig.restore(data);
            assertEquals(0, restore.code(), restore.output());
            PgCluster restored = rig.startRestored("through-faults", data);
            PgCluster.RecoveryOutcome outcome = restored.awaitRecoveryEnd(Duration.ofSeconds(180));
            List<String> starts = new ArrayList<>(List.of(outcome.toString()));
            if (outcome != PgCluster.RecoveryOutcome.PROMOTED) {
                // fail closed is allowed (a corrupt body stops recovery); it must say why, and resume when started again
                String log = restored.logSinceStart();
                assertTrue(log.contains("recovery stops here"), "recovery ended without walvault's reason:\n" + log);
                restored.startNoWait();
                outcome = restored.awaitRecoveryEnd(Duration.ofSeconds(180));
                starts.add(outcome.toString());
            }
            assertEquals(PgCluster.RecoveryOutcome.PROMOTED, outcome, restored.logSinceStart());
            rec.note("restored server's recovery outcomes, start by start: " + starts);
            for (var e : gets.entrySet()) {
                rig.fired(e.getKey(), e.getValue());
            }
            rig.compare("through-faults", "restore to the end of the archive, read through the faults", restored, true);
            rec.passed();
        }
    }

    /** A rule for {@code method} requests of WAL segment {@code n} after {@code first}. */
    static FaultRule.Builder walRequest(FaultProxy proxy, String method, String first, int n) {
        return proxy.rule().method(method).key("/wal/.*/" + Segments.plus(first, n) + "[.]");
    }
}
