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
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.Map;

/**
 * {@code walvault check} against a real server archiving into a real repository: it passes on the
 * correct set-up, and names each broken part with what to change: the missing grant for the WAL
 * switch, an archive_command that does not run walvault (its segment never arrives), a wrong key,
 * a role without REPLICATION, a repository the server's OS user cannot write; and for WAL that
 * comes through the agent, a missing slot and the settings with which the server could
 * invalidate it.
 */
class CheckIT {

    @PgTest(slot = 0)
    void passesOnACorrectSetUpAndNamesEachBrokenPart(PgHarness harness) throws Exception {
        RestoreIT.Fixture f = new RestoreIT.Fixture(harness);
        String role = "host=127.0.0.1 port=" + f.pg.port() + " user=wv_backup password='backup pw' sslmode=disable";
        f.pg.execute("GRANT EXECUTE ON FUNCTION pg_switch_wal() TO wv_backup",
                "SELECT pg_create_physical_replication_slot('wv_slot', true)");
        // some WAL to switch away from
        f.pg.execute("INSERT INTO t SELECT g, 1 FROM generate_series(50001, 51000) g");

        // a named slot is checked even beside archive_command; the role may not read data_directory,
        // so the repository's owner is not compared with the server's OS user, and the line says so
        Result ok = check(f, Map.of(), role, "--slot", "wv_slot");
        assertEquals(0, ok.exitCode(), ok.out());
        for (String line : new String[] {"ok      replication connection", "ok      wal_level: replica", "ok      archive_command",
                "ok      slot 'wv_slot': physical, holds WAL from", "ok      max_slot_wal_keep_size: -1", "ok      repository",
                "ok      repository owner: not checked: role 'wv_backup' may not read data_directory",
                "GRANT pg_read_all_settings TO wv_backup", "ok      archiving end to end"}) {
            assertTrue(ok.out().contains(line), line + "\n" + ok.out());
        }
        assertEquals(harness.version().major() >= 17, ok.out().contains("summarize_wal"), ok.out());
        // the same through the server's Unix-domain socket (the conninfo's host a directory): the SQL checks run as well
        f.pg.execute("INSERT INTO t SELECT g, 1 FROM generate_series(60001, 60100) g");
        Result socket = check(f, Map.of(), "host=" + f.pg.socketDirectory() + " port=" + f.pg.port() + " user=wv_backup",
                "--slot", "wv_slot");
        assertEquals(0, socket.exitCode(), socket.out());
        for (String line : new String[] {"ok      replication connection", "ok      slot 'wv_slot': physical, holds WAL from",
                "ok      repository owner: not checked: role 'wv_backup' may not read data_directory", "ok      archiving end to end"}) {
            assertTrue(socket.out().contains(line), line + "\n" + socket.out());
        }
        f.pg.execute("GRANT pg_read_all_settings TO wv_backup");

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
        Result wrongRefused = f.walvault(Map.of(), "backup", "--repo", f.repoUri, "--encryption", "passphrase", "--pg", role,
                "--checkpoint", "fast", "--archive-check");
        assertEquals(ErrorCode.CHECK_FAILED.exitCode(), wrongRefused.exitCode(), wrongRefused.out());
        assertTrue(wrongRefused.out().contains("archive_command: '/bin/true' does not run walvault archive-push"),
                wrongRefused.out());
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

        // a zstd repository where zstd's native code cannot load (as on a /tmp mounted noexec): the repository
        // check stores an object as WAL is stored, so it fails here, with the way out, not at the first archive_command
        Path zstd = harness.scratchDirectory("zstd").resolve("repo");
        assertEquals(0, f.walvault(Map.of(), "init", "--repo", zstd.toUri().toString(), "--encryption", "passphrase",
                "--compression", "zstd").exitCode());
        String[] zstdCheck = {"check", "--repo", zstd.toUri().toString(), "--encryption", "passphrase", "--pg", role,
                "--archive-timeout", "5"};
        Result noZstd = f.walvault(Map.of("WALVAULT_JAVA_OPTS", "-Xmx96m -DZstdTempFolder=" + zstd.resolve("no-such-directory")),
                zstdCheck);
        assertEquals(ErrorCode.CHECK_FAILED.exitCode(), noZstd.exitCode(), noZstd.out());
        assertTrue(noZstd.out().contains("FAILED  repository: "), noZstd.out());
        assertTrue(noZstd.out().contains("the zstd library's native code cannot be loaded"), noZstd.out());
        assertTrue(noZstd.out().contains("-DZstdTempFolder=DIR"), noZstd.out());
        assertTrue(noZstd.out().contains("ok      wal_level"), noZstd.out());
        Result withZstd = f.walvault(Map.of(), zstdCheck);
        assertTrue(withZstd.out().contains(": opened with its key, took a write, and an object compressed, encrypted and read"
                + " back"), withZstd.out());

        // lz4 without its native code (its library cannot be unpacked: java.io.tmpdir below a regular file) works, slower: said
        Path notADirectory = Files.writeString(harness.scratchDirectory("tmp").resolve("file"), "");
        Result lz4InJava = check(f, Map.of("WALVAULT_JAVA_OPTS", "-Xmx96m -Djava.io.tmpdir=" + notADirectory.resolve("x")), role);
        assertTrue(lz4InJava.out().contains("ok      repository: "), lz4InJava.out());
        assertTrue(lz4InJava.out().contains("lz4 runs in Java here"), lz4InJava.out());
        assertFalse(ok.out().contains("lz4 runs in Java here"), ok.out());

        // a role without REPLICATION
        f.pg.execute("CREATE ROLE wv_plain LOGIN PASSWORD 'plain pw'");
        Result plain = check(f, Map.of(), "host=127.0.0.1 port=" + f.pg.port() + " user=wv_plain password='plain pw' sslmode=disable");
        assertEquals(ErrorCode.CHECK_FAILED.exitCode(), plain.exitCode(), plain.out());
        assertTrue(plain.out().contains("FAILED  replication connection"), plain.out());

        // the repository against the server's OS user, the owner of the data directory
        String user = ServerUser.get().name();
        if (ServerUser.jvmIsRoot()) {
            // check runs as root here, and its own write succeeds where archive_command's cannot
            Files.setOwner(f.repoDir, f.repoDir.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("root"));
            Files.setPosixFilePermissions(f.repoDir, PosixFilePermissions.fromString("rwx------"));
            Result rootOwned = check(f, Map.of(), role);
            assertEquals(ErrorCode.CHECK_FAILED.exitCode(), rootOwned.exitCode(), rootOwned.out());
            assertTrue(rootOwned.out().contains("ok      repository: "), rootOwned.out());
            assertTrue(rootOwned.out().contains("FAILED  repository owner: '" + f.repoDir + "' is owned by root (mode 0700), the"
                    + " server runs as " + user + ": archive_command cannot write it"), rootOwned.out());
            assertTrue(rootOwned.out().contains("HINT: as root: chown -R " + user + ":"), rootOwned.out());
            ServerUser.get().adopt(f.repoDir);
        }
        Result owned = check(f, Map.of(), role);
        assertTrue(owned.out().contains("ok      repository owner: '" + f.repoDir + "' is writable by " + user + ", the server's"
                + " OS user"), owned.out());
    }

    /**
     * WAL through the agent ({@code --no-archive-command}): the slot (the agent's default name)
     * must exist and hold WAL (not invalidated), and max_slot_wal_keep_size and, on PostgreSQL 18,
     * idle_replication_slot_timeout must not let the server invalidate it. No agent runs here, so
     * only the end-to-end line fails once the set-up is right.
     */
    @PgTest(min = 17)
    void checksTheAgentsSlotAndTheSettingsThatCouldInvalidateIt(PgHarness harness) throws Exception {
        boolean pg18 = harness.version().major() >= 18;
        Path scratch = harness.scratchDirectory("agent-check");
        Path pass = scratch.resolve("pass");
        Files.writeString(pass, RestoreIT.PASSPHRASE + "\n");
        Files.setPosixFilePermissions(pass, PosixFilePermissions.fromString("rw-------"));
        Path conf = scratch.resolve("walvault.conf");
        Files.writeString(conf, "repo = " + scratch.resolve("repo").toUri() + "\nencryption = passphrase\npassphrase-file = " + pass
                + "\n");
        Result init = inProcess("init", "--config", conf.toString());
        assertEquals(0, init.exitCode(), init.out());
        PgCluster pg = harness.cluster().name("primary").start();
        pg.execute("CREATE ROLE wv_agent LOGIN REPLICATION PASSWORD 'agent pw'",
                "GRANT EXECUTE ON FUNCTION pg_switch_wal() TO wv_agent");
        String[] check = {"check", "--config", conf.toString(), "--pg", "host=127.0.0.1 port=" + pg.port()
                + " user=wv_agent password='agent pw' sslmode=disable", "--no-archive-command", "--archive-timeout", "1"};

        Result missing = inProcess(check);
        assertEquals(ErrorCode.CHECK_FAILED.exitCode(), missing.exitCode(), missing.out());
        for (String line : new String[] {"FAILED  slot 'walvault': the server has no replication slot of that name",
                "'walvault agent --slot walvault' creates it when it starts", "ok      summarize_wal: off",
                "ok      max_slot_wal_keep_size: -1", "ok      repository: "}) {
            assertTrue(missing.out().contains(line), line + "\n" + missing.out());
        }
        assertEquals(pg18, missing.out().contains("ok      idle_replication_slot_timeout: 0"), missing.out());
        assertFalse(missing.out().contains("archive_command") || missing.out().contains("repository owner"), missing.out());
        // archive_mode off and no slot: nothing archives WAL, and backup says so before it starts
        String[] backup = {"backup", "--config", conf.toString(), "--pg", check[4], "--checkpoint", "fast", "--archive-check"};
        Result unarchived = inProcess(backup);
        assertEquals(ErrorCode.CHECK_FAILED.exitCode(), unarchived.exitCode(), unarchived.out());
        assertTrue(unarchived.out().contains("WAL archiving: archive_mode is off and the server has no physical replication slot"),
                unarchived.out());

        pg.execute("SELECT pg_create_physical_replication_slot('walvault', true)",
                "ALTER SYSTEM SET max_slot_wal_keep_size = '64MB'",
                pg18 ? "ALTER SYSTEM SET idle_replication_slot_timeout = '1d'" : "SELECT 1", "SELECT pg_reload_conf()");
        Thread.sleep(500);
        Result idle = inProcess(backup);
        assertEquals(ErrorCode.CHECK_FAILED.exitCode(), idle.exitCode(), idle.out());
        assertTrue(idle.out().contains("no walsender streams from the server's 1 physical replication slot(s) now"), idle.out());
        Result limited = inProcess(check);
        assertEquals(ErrorCode.CHECK_FAILED.exitCode(), limited.exitCode(), limited.out());
        for (String line : new String[] {"ok      slot 'walvault': physical, holds WAL from", "(is walvault agent running?)",
                "FAILED  max_slot_wal_keep_size: 64MB: the server invalidates slot 'walvault' once it holds more than 64MB",
                "HINT: set max_slot_wal_keep_size = -1 and reload the server"}) {
            assertTrue(limited.out().contains(line), line + "\n" + limited.out());
        }
        assertEquals(pg18, limited.out().contains("FAILED  idle_replication_slot_timeout: 1d: the server invalidates slot"
                + " 'walvault' when nothing has streamed from it for 1d"), limited.out());

        // the limit reached: the next checkpoint invalidates the slot
        pg.execute("ALTER SYSTEM SET max_slot_wal_keep_size = '1MB'", "SELECT pg_reload_conf()");
        Thread.sleep(500);
        pg.execute("CREATE TABLE filler AS SELECT g FROM generate_series(1, 1000) g", "SELECT pg_switch_wal()",
                "INSERT INTO filler SELECT g FROM generate_series(1, 1000) g", "SELECT pg_switch_wal()", "CHECKPOINT");
        Result lost = inProcess(check);
        assertTrue(lost.out().contains("FAILED  slot 'walvault': invalidated (wal_removed): the server removed WAL the slot held"),
                lost.out());
        assertTrue(lost.out().contains("drop the slot (SELECT pg_drop_replication_slot('walvault'))"), lost.out());

        pg.execute("ALTER SYSTEM RESET max_slot_wal_keep_size", "ALTER SYSTEM RESET " + (pg18 ? "idle_replication_slot_timeout"
                : "max_slot_wal_keep_size"), "SELECT pg_reload_conf()", "SELECT pg_drop_replication_slot('walvault')",
                "SELECT pg_create_physical_replication_slot('walvault', true)");
        Thread.sleep(500);
        Result reset = inProcess(check);
        assertTrue(reset.out().contains("ok      slot 'walvault': physical") && reset.out().contains("ok      max_slot_wal_keep_size: -1"),
                reset.out());
        assertEquals(pg18, reset.out().contains("ok      idle_replication_slot_timeout: 0"), reset.out());
        // with no agent running, the switched segment is all that fails, and the hint says what must stream it
        assertEquals(1, reset.out().split("FAILED  ", -1).length - 1, reset.out());
        assertTrue(reset.out().contains("FAILED  archiving end to end") && reset.out().contains("walvault agent must be running,"
                + " streaming from slot 'walvault', and writing into this repository"), reset.out());
    }

    @PgTest(slot = 1)
    void namesAServerThatCannotReplicate(PgHarness harness) throws Exception {
        Path conf = initializedRepository(harness, "minimal");
        PgCluster pg = harness.cluster().name("minimal").setting("wal_level", "minimal").setting("max_wal_senders", 0).start();
        pg.execute("CREATE ROLE wv_min LOGIN REPLICATION");
        Result r = inProcess("check", "--config", conf.toString(), "--pg", "host=127.0.0.1 port=" + pg.port()
                + " user=wv_min sslmode=disable", "--archive-timeout", "1");
        assertEquals(ErrorCode.CHECK_FAILED.exitCode(), r.exitCode(), r.out());
        for (String line : new String[] {"FAILED  replication connection: ", "FAILED  wal_level: minimal: the server writes no WAL",
                "HINT: set wal_level = replica and max_wal_senders to at least 3, then restart the server",
                "FAILED  max_wal_senders: 0: the server allows no replication connection"}) {
            assertTrue(r.out().contains(line), line + "\n" + r.out());
        }
    }

    /**
     * With archive_mode off no segment can come through archive_command: the end-to-end line
     * fails at once, without switching the server to a new WAL segment and without waiting out
     * --archive-timeout for a segment that cannot arrive.
     */
    @PgTest(slot = 1)
    void doesNotWaitForArchivingWhenTheServerArchivesNothing(PgHarness harness) throws Exception {
        Path conf = initializedRepository(harness, "unarchived");
        PgCluster pg = harness.cluster().name("unarchived").setting("archive_mode", "off").start();
        pg.execute("CREATE TABLE t AS SELECT generate_series(1, 1000) AS id"); // WAL a switch would leave
        String segment = pg.queryString("SELECT pg_walfile_name(pg_current_wal_lsn())");
        Result r = inProcess("check", "--config", conf.toString(), "--pg", "host=" + pg.socketDirectory() + " port=" + pg.port()
                + " user=" + PgCluster.SUPERUSER, "--archive-timeout", "600");
        assertEquals(ErrorCode.CHECK_FAILED.exitCode(), r.exitCode(), r.out());
        for (String line : new String[] {"FAILED  archive_mode: off",
                "FAILED  archiving end to end: not tried: archive_mode is off, so the server runs no archive_command"}) {
            assertTrue(r.out().contains(line), line + "\n" + r.out());
        }
        assertEquals(segment, pg.queryString("SELECT pg_walfile_name(pg_current_wal_lsn())"), "no WAL switch");
    }

    /** A config file naming a new unencrypted repository in the scratch directory {@code name}. */
    private static Path initializedRepository(PgHarness harness, String name) throws Exception {
        Path scratch = harness.scratchDirectory(name);
        Path conf = scratch.resolve("walvault.conf");
        Files.writeString(conf, "repo = " + scratch.resolve("repo").toUri() + "\nencryption = none\n");
        assertEquals(0, inProcess("init", "--config", conf.toString()).exitCode());
        return conf;
    }

    private static Result inProcess(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int rc = Main.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Result(rc, out + err.toString());
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
