package io.walvault.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.walvault.cli.WalvaultProcess.Result;
import io.walvault.core.error.ErrorCode;
import io.walvault.testkit.PgHarness;
import io.walvault.testkit.PgTest;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;

/**
 * {@code walvault check} against a real server archiving into a real repository: it passes on the
 * correct set-up, and names each broken part with what to change: the missing grant for the WAL
 * switch, an archive_command that does not run walvault (its segment never arrives), a wrong key,
 * a role without REPLICATION.
 */
class CheckIT {

    @PgTest(slot = 0)
    void passesOnACorrectSetUpAndNamesEachBrokenPart(PgHarness harness) throws Exception {
        RestoreIT.Fixture f = new RestoreIT.Fixture(harness);
        String role = "host=127.0.0.1 port=" + f.pg.port() + " user=wv_backup password='backup pw' sslmode=disable";
        f.pg.execute("GRANT EXECUTE ON FUNCTION pg_switch_wal() TO wv_backup");
        // some WAL to switch away from
        f.pg.execute("INSERT INTO t SELECT g, 1 FROM generate_series(50001, 51000) g");

        Result ok = check(f, Map.of(), role);
        assertEquals(0, ok.exitCode(), ok.out());
        for (String line : new String[] {"ok      replication connection", "ok      wal_level: replica", "ok      archive_command",
                "ok      repository", "ok      archiving end to end"}) {
            assertTrue(ok.out().contains(line), line + "\n" + ok.out());
        }

        // no grant for pg_switch_wal: the end-to-end check fails with the GRANT to run
        f.pg.execute("REVOKE EXECUTE ON FUNCTION pg_switch_wal() FROM wv_backup");
        Result noGrant = check(f, Map.of(), role);
        assertEquals(ErrorCode.CHECK_FAILED.exitCode(), noGrant.exitCode(), noGrant.out());
        assertTrue(noGrant.out().contains("GRANT EXECUTE ON FUNCTION pg_switch_wal() TO wv_backup"), noGrant.out());
        f.pg.execute("GRANT EXECUTE ON FUNCTION pg_switch_wal() TO wv_backup");

        // archiving into another repository: the switched segment never arrives in this one
        Path other = harness.scratchDirectory("other").resolve("repo");
        assertEquals(0, f.walvault(Map.of(), "init", "--repo", other.toUri().toString(), "--encryption", "passphrase").exitCode());
        f.pg.execute("INSERT INTO t SELECT g, 1 FROM generate_series(51001, 51500) g");
        Result elsewhere = f.walvault(Map.of(), "check", "--repo", other.toUri().toString(), "--encryption", "passphrase",
                "--pg", role, "--archive-timeout", "5", "--json");
        assertEquals(ErrorCode.CHECK_FAILED.exitCode(), elsewhere.exitCode(), elsewhere.out());
        assertTrue(elsewhere.out().startsWith("{\"ok\":false,"), elsewhere.out());
        assertTrue(elsewhere.out().contains("did not reach the repository within 5 s"), elsewhere.out());

        // an archive_command that does not run walvault: named
        f.pg.execute("ALTER SYSTEM SET archive_command = '/bin/true'", "SELECT pg_reload_conf()");
        Thread.sleep(500);
        Result wrongCommand = check(f, Map.of(), role);
        assertEquals(ErrorCode.CHECK_FAILED.exitCode(), wrongCommand.exitCode(), wrongCommand.out());
        assertTrue(wrongCommand.out().contains("FAILED  archive_command: '/bin/true' does not run walvault archive-push"),
                wrongCommand.out());
        // a failing archive_command: check names it, backup warns, and refuses with --archive-check
        f.pg.execute("ALTER SYSTEM SET archive_command = '/bin/false'", "SELECT pg_reload_conf()");
        Thread.sleep(500);
        f.pg.execute("INSERT INTO t SELECT g, 1 FROM generate_series(52001, 53000) g", "SELECT pg_switch_wal()");
        Instant deadline = Instant.now().plusSeconds(60);
        while (f.pg.queryString("SELECT failed_count FROM pg_stat_archiver").equals("0")) {
            assertTrue(Instant.now().isBefore(deadline), "archive_command never failed");
            Thread.sleep(200);
        }
        Result failing = check(f, Map.of(), role);
        assertEquals(ErrorCode.CHECK_FAILED.exitCode(), failing.exitCode(), failing.out());
        assertTrue(failing.out().contains("FAILED  archiving: ") && failing.out().contains("failed attempts"), failing.out());
        String[] backup = {"backup", "--repo", f.repoUri, "--encryption", "passphrase", "--pg", role, "--checkpoint", "fast"};
        Result refused = f.walvault(Map.of(), concat(backup, "--archive-check"));
        assertEquals(ErrorCode.CHECK_FAILED.exitCode(), refused.exitCode(), refused.out());
        assertTrue(refused.out().contains("archiving is failing"), refused.out());
        Result warned = f.walvault(Map.of(), backup);
        assertEquals(0, warned.exitCode(), warned.out());
        assertTrue(warned.out().contains("warning: archiving is failing"), warned.out());
        f.pg.execute("ALTER SYSTEM RESET archive_command", "SELECT pg_reload_conf()");

        // a wrong key: the repository check fails, the server's still pass
        Result wrongKey = check(f, Map.of("WALVAULT_PASSPHRASE", "not the passphrase"), role);
        assertEquals(ErrorCode.CHECK_FAILED.exitCode(), wrongKey.exitCode(), wrongKey.out());
        assertTrue(wrongKey.out().contains("FAILED  repository"), wrongKey.out());
        assertTrue(wrongKey.out().contains("ok      wal_level"), wrongKey.out());

        // a role without REPLICATION
        f.pg.execute("CREATE ROLE wv_plain LOGIN PASSWORD 'plain pw'");
        Result plain = check(f, Map.of(), "host=127.0.0.1 port=" + f.pg.port() + " user=wv_plain password='plain pw' sslmode=disable");
        assertEquals(ErrorCode.CHECK_FAILED.exitCode(), plain.exitCode(), plain.out());
        assertTrue(plain.out().contains("FAILED  replication connection"), plain.out());
    }

    private static Result check(RestoreIT.Fixture f, Map<String, String> env, String conninfo, String... more) throws Exception {
        return f.walvault(env, concat(new String[] {"check", "--repo", f.repoUri, "--encryption", "passphrase", "--pg", conninfo,
                "--archive-timeout", "5"}, more));
    }

    private static String[] concat(String[] a, String... b) {
        String[] all = new String[a.length + b.length];
        System.arraycopy(a, 0, all, 0, a.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }
}
