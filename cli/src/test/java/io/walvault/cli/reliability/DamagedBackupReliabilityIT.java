package io.walvault.cli.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.walvault.core.error.ErrorCode;
import io.walvault.testkit.PgCluster;
import io.walvault.testkit.PgHarness;
import io.walvault.testkit.PgTest;
import io.walvault.testkit.ServerUser;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Scenario: damaged backup objects. A bundle of the newest backup is damaged: {@code restore}
 * of it fails loudly (never exit 0, never a directory that starts), {@code verify} names the
 * bundle, and a restore of the older, intact backup equals the truth. Then the manifest of the
 * older backup is damaged: {@code info}, {@code verify --backup} of the newer one and a restore
 * of the newer one all keep working, and the restore equals the truth.
 */
class DamagedBackupReliabilityIT {

    @PgTest(slot = 1)
    void damageStaysWithTheBackupItHits(PgHarness pg) throws Exception {
        try (ScenarioRecord rec = new ScenarioRecord(pg, "damaged-backups", "Damaged bundles and manifests in the repository")) {
            Rig rig = Rig.local(pg, rec, null);
            rig.startPrimary();
            rig.truth.write(2000);
            String older = rig.backup("older");
            rig.truth.write(4000);
            String newer = rig.backup("newer");
            rig.writeSegments(Rig.SOAK, 1000);
            rig.archiveAll(Duration.ofMinutes(2));

            // a bundle of the newest backup
            Path bundle = rig.object("/backups/" + newer + "/data/", "0");
            byte[] goodBundle = Rig.flipByte(bundle);
            rec.fault("corrupt bundle", "one byte flipped in bundle " + bundle.getFileName() + " of the newest backup", 1);
            Path data = rig.newDataDirectory("damaged-newest");
            Rig.Result refused = rig.restore(data);
            assertNotEquals(0, refused.code(), "restore of a damaged backup reported success:\n" + refused.output());
            rec.note("restore of the newest backup (damaged bundle): exit " + refused.code());
            assertNeverStarts(rig, data);
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

    /**
     * Whatever a failed restore left in {@code data} must not come up as a server: pg_ctl, run as
     * the servers' user on a free port, must fail to start it (a server that does start is
     * stopped and fails the test).
     */
    static void assertNeverStarts(Rig rig, Path data) throws Exception {
        if (!Files.exists(data.resolve("PG_VERSION"))) {
            return;
        }
        Path pgCtl = rig.primary.installation().bin("pg_ctl");
        Path log = rig.scratch.resolve("start-attempt.log");
        int port;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            port = s.getLocalPort();
        }
        ServerUser.get().adopt(data.getParent());
        List<String> start = List.of(pgCtl.toString(), "start", "-D", data.toString(), "-w", "-t", "30", "-l", log.toString(),
                "-o", "-p " + port + " -c listen_addresses='' -k " + rig.scratch);
        Process p = new ProcessBuilder(ServerUser.get().wrap(start)).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor(60, TimeUnit.SECONDS);
        if (p.exitValue() == 0) {
            new ProcessBuilder(ServerUser.get().wrap(List.of(pgCtl.toString(), "stop", "-D", data.toString(), "-m", "immediate")))
                    .start().waitFor(60, TimeUnit.SECONDS);
            throw new AssertionError("a failed restore left a directory that starts:\n" + out);
        }
        rig.record.note("pg_ctl start on what the failed restore left: exit " + p.exitValue());
    }
}
