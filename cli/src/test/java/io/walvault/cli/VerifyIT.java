package io.walvault.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.walvault.core.error.ErrorCode;
import io.walvault.testkit.PgHarness;
import io.walvault.testkit.PgTest;
import io.walvault.testkit.ServerUser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * {@code walvault verify} with the built executable, on a backup taken under load with its WAL
 * archived: it passes on the intact repository, and a drill restores the backup into a scratch
 * directory, starts it with the harness's own server binaries, runs the user's SQL and removes
 * the scratch cluster; a corrupted bundle and a deleted WAL segment each fail verification,
 * naming the object.
 */
class VerifyIT {

    @PgTest
    void verifiesDrillsAndNamesWhatIsBroken(PgHarness harness) throws Exception {
        RestoreIT.Fixture f = new RestoreIT.Fixture(harness);
        f.pg.execute("CREATE DATABASE scratchpad");
        f.backup();
        f.writeAfterBackupAndArchive();

        WalvaultProcess.Result ok = f.walvault(Map.of(), "verify", "--repo", f.repoUri, "--jobs", "2");
        assertEquals(0, ok.exitCode(), ok.out());
        assertTrue(ok.out().contains("checked against the manifest: ok"), ok.out());
        assertTrue(ok.out().matches("(?s).*WAL of backup '[^']+' to the end of the archive: .* files \\(\\d+ checked now\\): ok.*"), ok.out());

        // a drill: restore into scratch, start the server, run the checks, clean up
        Path scratch = harness.scratchDirectory("drill");
        List<String> drill = new ArrayList<>(List.of("verify", "--repo", f.repoUri, "--drill", "--scratch", scratch.toString(),
                "--pg-bin", f.pg.installation().bin("postgres").getParent().toString(),
                "--sql", "SELECT count(*) FROM after_backup", "--sql", "SELECT count(*) FROM t2"));
        if (ServerUser.jvmIsRoot()) {
            drill.addAll(List.of("--run-as", ServerUser.get().name()));
        }
        List<String> logged = new ArrayList<>(drill);
        logged.addAll(List.of("--log-level", "debug"));
        WalvaultProcess.Result drilled = f.walvault(Map.of(), logged.toArray(String[]::new));
        assertEquals(0, drilled.exitCode(), drilled.out());
        // verification, restore and the drill's record share one opened repository: the passphrase's slow key is derived once
        assertEquals(1, drilled.out().lines().filter(l -> l.contains("from its passphrase (argon2id")).count(), drilled.out());
        assertTrue(drilled.out().contains("drill: recovery ended (promoted)"), drilled.out());
        assertTrue(drilled.out().contains("drill: check 'SELECT count(*) FROM after_backup' returned '2000'"), drilled.out());
        assertTrue(drilled.out().contains("drill: check 'SELECT count(*) FROM t2' returned '20000'"), drilled.out());
        assertTrue(drilled.out().contains("drill: ok"), drilled.out());
        // the drill measured both parts of a restore: status estimates the recovery time from them
        WalvaultProcess.Result status = f.walvault(Map.of(), "status", "--repo", f.repoUri, "--encryption", "passphrase", "--json");
        JsonNode rto = new ObjectMapper().readTree(status.out()).get("rto");
        assertEquals(1, rto.get("drillsMeasured").asInt(), status.out());
        assertTrue(rto.get("restoresMeasured").asInt() >= 1 && rto.get("replayBytesPerSecond").asLong() > 0, status.out());
        assertTrue(rto.get("unknownBecause").isNull() && rto.get("seconds").asLong() >= 0, status.out());
        assertEquals(rto.get("seconds").asLong(), new ObjectMapper().readTree(status.out()).get("rtoSeconds").asLong());
        // the same estimate as a gauge for Prometheus' textfile collector
        WalvaultProcess.Result gauges = f.walvault(Map.of(), "status", "--repo", f.repoUri, "--encryption", "passphrase",
                "--prometheus");
        assertTrue(gauges.out().lines().anyMatch(l -> l.matches("walvault_status_rto_seconds\\{[^}]*\\} " + rto.get("seconds").asLong()
                + "(\\.0+)?")), gauges.out());
        assertTrue(gauges.out().contains("walvault_build_info{version="), gauges.out());
        try (Stream<Path> s = Files.list(scratch)) {
            assertEquals(List.of(), s.toList(), "the scratch cluster was not removed");
        }

        // a selective restore's and a standby's rehearsals, on the newest major of the run (the restores
        // themselves are tested on every major by DeltaSelectiveRestoreIT and StandbyRestoreIT)
        if (harness.version().newestSelected()) {
            rehearsesSelectiveAndStandbyRestores(f, drill);
        }

        // a corrupted bundle: named
        Path bundle = RestoreIT.largest(f.repoDir.resolve("clusters"), "/data/");
        byte[] original = Files.readAllBytes(bundle);
        byte[] damaged = original.clone();
        damaged[damaged.length / 3] ^= 0x01;
        Files.write(bundle, damaged);
        WalvaultProcess.Result corrupt = f.walvault(Map.of(), "verify", "--repo", f.repoUri);
        Files.write(bundle, original);
        assertEquals(ErrorCode.VERIFY_FAILED.exitCode(), corrupt.exitCode(), corrupt.out());
        assertTrue(corrupt.out().contains("bundle '") && corrupt.out().contains(bundle.getFileName().toString()), corrupt.out());

        // a deleted WAL segment: named
        List<String> segments = RestoreIT.walObjects(f.repoDir.resolve("clusters"));
        String victim = segments.get(segments.size() - 2);
        try (Stream<Path> s = Files.walk(f.repoDir.resolve("clusters"))) {
            Files.delete(s.filter(p -> p.getFileName().toString().startsWith(victim)).findFirst().orElseThrow());
        }
        WalvaultProcess.Result gap = f.walvault(Map.of(), "verify", "--repo", f.repoUri);
        assertEquals(ErrorCode.VERIFY_FAILED.exitCode(), gap.exitCode(), gap.out());
        assertTrue(gap.out().contains("'" + victim + "'"), gap.out());
    }

    private static void rehearsesSelectiveAndStandbyRestores(RestoreIT.Fixture f, List<String> drill) throws Exception {
        // a selective restore's rehearsal: the skipped database is dropped once promoted, the checks still pass
        List<String> selective = new ArrayList<>(drill);
        selective.addAll(List.of("--db-exclude", "scratchpad"));
        WalvaultProcess.Result without = f.walvault(Map.of(), selective.toArray(String[]::new));
        assertEquals(0, without.exitCode(), without.out());
        assertTrue(without.out().contains("skipped: scratchpad ("), without.out());
        assertTrue(without.out().contains("drill: database 'scratchpad' was not restored (selective restore) and was dropped"),
                without.out());
        assertTrue(without.out().contains("drill: check 'SELECT count(*) FROM t2' returned '20000'"), without.out());

        // a standby's rehearsal: it serves reads with every archived row, and stays a standby
        List<String> standby = new ArrayList<>(drill);
        standby.add("--standby");
        WalvaultProcess.Result asStandby = f.walvault(Map.of(), standby.toArray(String[]::new));
        assertEquals(0, asStandby.exitCode(), asStandby.out());
        assertTrue(asStandby.out().contains("drill: recovery caught up as a standby"), asStandby.out());
        assertTrue(asStandby.out().contains("drill: check 'SELECT count(*) FROM after_backup' returned '2000'"), asStandby.out());
    }
}
