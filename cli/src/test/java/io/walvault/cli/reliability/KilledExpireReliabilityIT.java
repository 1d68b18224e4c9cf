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
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Scenario: {@code walvault expire} killed (-9) again and again while it works on an S3 store
 * (each of its requests held a moment by the proxy, the kill landing while the run's 1st, 13th,
 * 25th, ... request is held: listings, the manifests it marks chunks from, the removal of expired
 * backups' objects and WAL, the chunk sweep), until a run gets through. After every kill {@code verify --all} passes (nothing a remaining
 * backup needs was removed); the run that finishes leaves the newest backup only, and its
 * restore equals the truth.
 */
@ExtendWith(S3Extension.class)
class KilledExpireReliabilityIT {

    @PgTest(slot = 0)
    void expireKilledAtEachOfItsDeletesLeavesARepositoryThatVerifies(PgHarness pg, S3Bucket bucket, FaultProxy proxy)
            throws Exception {
        try (ScenarioRecord rec = new ScenarioRecord(pg, "kill-9-expire", "expire killed during each of its deletes")) {
            Rig rig = Rig.s3(pg, rec, bucket.through(proxy));
            PgCluster primary = rig.startPrimary();
            rig.truth.write(300);
            // a table of some MB, so that backups hold chunks; each backup after the first changes a part of it
            primary.execute("CREATE TABLE filler AS SELECT g, repeat(md5(g::text), 8) AS pad FROM generate_series(1, 40000) g");
            rig.backup("first");
            for (int i = 0; i < 2; i++) {
                primary.execute("UPDATE filler SET pad = md5(pad) WHERE g % 3 = " + i);
                rig.truth.write(100);
                rig.backup("next-" + i);
            }
            List<String> before = rig.backups();
            assertEquals(3, before.size());
            String newest = before.get(2);
            rig.truth.write(100);
            rig.archiveAll(Duration.ofMinutes(2));

            FaultRule held = proxy.rule().always().inject(Fault.stall(Duration.ofMillis(100)));
            int kills = 0;
            for (int k = 1; k <= 100; k += 12) {
                int seen = held.fired();
                Process expire = rig.start(Map.of(), "expire", "--retain-full", "1", "--orphan-grace", "0h");
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                // kill once the k-th request of this run is held (or let it finish if it has fewer)
                while (expire.isAlive() && held.fired() < seen + k && System.nanoTime() < deadline) {
                    Thread.sleep(5);
                }
                if (!expire.isAlive()) {
                    String out = new String(expire.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                    assertEquals(0, expire.exitValue(), out);
                    rec.note("expire run " + k + " finished after " + kills + " kill(s): " + out.strip());
                    break;
                }
                expire.destroyForcibly();
                expire.waitFor(30, TimeUnit.SECONDS);
                assertEquals(137, expire.exitValue(), "expire was not killed");
                kills++;
                rec.fault("kill -9 expire", "expire killed while its request " + k + " was held", 1);
                held.remove();
                Rig.Result verify = rig.walvault("verify", "--all");
                assertEquals(0, verify.code(), "after expire was killed at its request " + k + ":\n" + verify.output());
                assertTrue(rig.backups().contains(newest), "the newest backup is still there after kill " + k);
                held = proxy.rule().always().inject(Fault.stall(Duration.ofMillis(100)));
            }
            held.remove();
            assertTrue(kills >= 3, "expire was killed " + kills + " time(s): the scenario needs it killed mid-way several times");
            Rig.Result again = rig.walvault("expire", "--retain-full", "1", "--orphan-grace", "0h");
            assertEquals(0, again.code(), again.output());
            assertEquals(List.of(newest), rig.backups());
            Rig.Result verify = rig.walvault("verify", "--all");
            assertEquals(0, verify.code(), verify.output());

            PgCluster restored = rig.restoreAndPromote("after-killed-expires");
            rig.compare("after-killed-expires", "restore of the newest backup to the end of the archive, after expire was killed "
                    + kills + " times and run again", restored, true);
            rec.passed();
        }
    }
}
