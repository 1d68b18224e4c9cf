package io.walvault.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.walvault.cli.WalvaultProcess.Result;
import io.walvault.core.error.ErrorCode;
import io.walvault.testkit.PgCluster;
import io.walvault.testkit.PgHarness;
import io.walvault.testkit.PgTest;
import io.walvault.testkit.ServerUser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.stream.Stream;

/**
 * {@code walvault restore --standby}: a standby built from the repository follows the primary
 * over a replication connection and serves reads; a second one, without a primary, catches up
 * from the repository alone as WAL is archived, and becomes a primary when promoted (its
 * recovery_end_command then removes what restore_command needed). What a standby cannot take
 * is refused before anything is written.
 */
class StandbyRestoreIT {

    @PgTest
    void aStandbyFollowsThePrimaryOrTheRepositoryAlone(PgHarness harness) throws Exception {
        RestoreIT.Fixture f = new RestoreIT.Fixture(harness);
        f.backup();
        f.writeAfterBackupAndArchive();
        String primary = "host=127.0.0.1 port=" + f.pg.port() + " user=wv_backup password='backup pw' sslmode=disable";

        // what a standby cannot take: refused, nothing written
        Path refused = harness.scratchDirectory("refused").resolve("data");
        for (String[] bad : new String[][] {{"--standby", "--target", "immediate"}, {"--primary-conninfo", primary},
                {"--standby", "--target-action", "promote"}, {"--standby", "--recovery-option", "restore_command=cp %f %p"}}) {
            Result r = f.restore(refused, bad);
            assertEquals(ErrorCode.USAGE.exitCode(), r.exitCode(), String.join(" ", bad) + "\n" + r.out());
            assertFalse(Files.exists(refused), String.join(" ", bad));
        }

        // standby A: the repository, then the primary's stream
        Path aTs = harness.scratchDirectory("a-ts");
        Path a = harness.scratchDirectory("a").resolve("data");
        Result ra = f.restore(a, "--standby", "--primary-conninfo", primary + " application_name=standby_a",
                "--recovery-option", "hot_standby_feedback=on", "--tablespace-map", f.tablespace + "=" + aTs);
        assertEquals(0, ra.exitCode(), ra.out());
        assertTrue(ra.out().contains("stay a standby") && ra.out().contains("starts as a standby"), ra.out());
        assertTrue(Files.exists(a.resolve("standby.signal")) && !Files.exists(a.resolve("recovery.signal")));
        PgCluster standbyA = startStandby(harness, f, "standby-a", a, aTs);
        assertEquals("t", standbyA.queryString("SELECT pg_is_in_recovery()"));
        assertEquals("on", standbyA.queryString("SHOW hot_standby_feedback"));
        f.pg.execute("INSERT INTO after_backup SELECT generate_series(2001, 3000)");
        awaitCount(standbyA, "3000", Duration.ofSeconds(90));
        assertEquals("standby_a", f.pg.queryString("SELECT string_agg(application_name, ',') FROM pg_stat_replication"
                + " WHERE application_name = 'standby_a'"), "standby A streams from the primary");
        standbyA.stop();

        // standby B: the repository alone, as WAL is archived; then promoted
        Path bTs = harness.scratchDirectory("b-ts");
        Path b = harness.scratchDirectory("b").resolve("data");
        Result rb = f.restore(b, "--standby", "--tablespace-map", f.tablespace + "=" + bTs);
        assertEquals(0, rb.exitCode(), rb.out());
        assertTrue(rb.out().contains("following the repository alone"), rb.out());
        PgCluster standbyB = startStandby(harness, f, "standby-b", b, bTs);
        f.pg.execute("INSERT INTO after_backup SELECT generate_series(3001, 4000)");
        String last = f.pg.queryString("SELECT pg_walfile_name(pg_current_wal_lsn())");
        f.pg.execute("SELECT pg_switch_wal()");
        f.pg.awaitArchived(last, Duration.ofMinutes(2));
        awaitCount(standbyB, "4000", Duration.ofSeconds(120));
        assertEquals("", standbyB.queryString("SELECT coalesce(string_agg(status, ','), '') FROM pg_stat_wal_receiver"),
                "no primary: every WAL byte came from the repository");
        standbyB.promote();
        assertEquals("f", standbyB.queryString("SELECT pg_is_in_recovery()"));
        standbyB.execute("INSERT INTO after_backup VALUES (4001)");
        Instant deadline = Instant.now().plusSeconds(30);
        while (privateFiles(b) > 0 && Instant.now().isBefore(deadline)) {
            Thread.sleep(200);
        }
        assertEquals(0, privateFiles(b), "recovery_end_command removes the restore's private files once promoted");
        standbyB.stop();
    }

    private static PgCluster startStandby(PgHarness harness, RestoreIT.Fixture f, String name, Path data, Path ts) {
        ServerUser.get().adopt(ts);
        PgCluster c = harness.cluster().name(name).dataDirectory(data).env("WALVAULT_JAR", f.jar.toString())
                .env("WALVAULT_CDS_DIR", WalvaultProcess.sharedClassArchives().toString()).create();
        c.start(); // a hot standby accepts read-only connections once consistent
        return c;
    }

    private static void awaitCount(PgCluster standby, String expected, Duration timeout) throws InterruptedException {
        Instant deadline = Instant.now().plus(timeout);
        String seen = "";
        while (Instant.now().isBefore(deadline)) {
            seen = standby.queryString("SELECT count(*) FROM after_backup");
            if (seen.equals(expected)) {
                return;
            }
            Thread.sleep(250);
        }
        throw new AssertionError("the standby has " + seen + " rows of after_backup, not " + expected + "\n" + standby.logTail(40));
    }

    private static long privateFiles(Path data) throws Exception {
        try (Stream<Path> s = Files.list(data.resolve("pg_wal"))) {
            return s.filter(p -> p.getFileName().toString().startsWith(".walvault-restore.")).count();
        }
    }
}
