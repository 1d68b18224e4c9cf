package io.walvault.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/** The harness itself: every selected version starts, answers SQL, and survives what tests do to it. */
class PostgresHarnessIT {

    @PgTest
    void startsWithChecksumsAndAnswersSql(PgHarness pg, PgVersion version) throws Exception {
        PgCluster server = pg.cluster().start();

        assertEquals(Integer.toString(version.major()), server.queryString("SHOW server_version_num").substring(0, 2));
        assertEquals("on", server.queryString("SHOW data_checksums"));
        assertEquals("replica", server.queryString("SHOW wal_level"));
        assertEquals("2", server.queryString("SELECT 1 + 1"));
        Path socket = server.socketDirectory().resolve(".s.PGSQL." + server.port());
        assertTrue(Files.exists(socket), "unix socket in the server's own directory: " + socket);
    }

    @PgTest
    void serverRunsAsAnUnprivilegedUserWhenTestsRunAsRoot(PgHarness pg) throws Exception {
        PgCluster server = pg.cluster().start();
        String owner = Files.getOwner(server.dataDirectory().resolve("PG_VERSION")).getName();
        assertEquals(ServerUser.get().name(), owner);
        if (ServerUser.jvmIsRoot()) {
            assertNotEquals("root", owner);
            long pid = server.postmasterPid().orElseThrow();
            int uid = (Integer) Files.getAttribute(Path.of("/proc/" + pid), "unix:uid");
            assertNotEquals(0, uid, "postmaster must not run as root");
        }
    }

    @PgTest
    void committedDataSurvivesCrashAndRestart(PgHarness pg) {
        PgCluster server = pg.cluster().start();
        int port = server.port();
        server.execute("CREATE TABLE t (id int PRIMARY KEY, v text)",
                "INSERT INTO t SELECT g, md5(g::text) FROM generate_series(1, 5000) g");

        server.crash();
        assertFalse(server.isRunning());
        server.start();
        assertEquals("5000", server.queryString("SELECT count(*) FROM t"));
        assertTrue(server.log().contains("database system was interrupted")
                || server.log().contains("was not properly shut down"), "crash recovery ran");

        server.killPostmaster();
        assertFalse(server.isRunning());
        server.start();
        assertEquals("5000", server.queryString("SELECT count(*) FROM t"));

        server.restart();
        assertEquals(port, server.port(), "restart keeps the port");
        assertEquals("5000", server.queryString("SELECT count(*) FROM t"));
    }

    @PgTest
    void standbyFollowsAndIsPromotedToANewTimeline(PgHarness pg) {
        PgCluster primary = pg.cluster().name("primary").start();
        primary.execute("CREATE TABLE t (id int)", "INSERT INTO t SELECT generate_series(1, 100)");
        PgCluster standby = primary.createStandby(pg.cluster().name("standby"));
        assertEquals("t", standby.queryString("SELECT pg_is_in_recovery()"));

        primary.execute("INSERT INTO t SELECT generate_series(101, 200)");
        awaitEquals("200", () -> standby.queryString("SELECT count(*) FROM t"), Duration.ofSeconds(60));

        standby.promote();
        assertEquals("f", standby.queryString("SELECT pg_is_in_recovery()"));
        standby.execute("CHECKPOINT");
        assertEquals("2", standby.queryString("SELECT timeline_id FROM pg_control_checkpoint()"));
    }

    @PgTest
    void settingsAndHbaLinesReachTheServer(PgHarness pg) {
        PgCluster server = pg.cluster()
                .setting("work_mem", "7MB")
                .hba("host all nobody_here 127.0.0.1/32 reject")
                .start();
        assertEquals("7MB", server.queryString("SHOW work_mem"));
        assertEquals("reject", server.queryString(
                "SELECT auth_method FROM pg_hba_file_rules WHERE 'nobody_here' = ANY(user_name)"));
    }

    @PgTest
    void restoredDirectoryRecoversAndAFailedRecoveryIsReportedAsSuch(PgHarness pg) throws Exception {
        PgCluster source = pg.cluster().name("source").start();
        source.execute("CREATE TABLE t (id int)", "INSERT INTO t VALUES (1)");
        source.stop();

        // copies of a cleanly stopped cluster stand in for restored data directories
        Path good = pg.scratchDirectory("restored").resolve("data");
        PgCluster.copyTree(source.dataDirectory(), good);
        Files.writeString(good.resolve("postgresql.auto.conf"),
                "restore_command = 'false'\nrecovery_target_action = 'promote'\n");
        Files.createFile(good.resolve("recovery.signal"));
        PgCluster promoted = pg.cluster().name("restored").dataDirectory(good).create();
        promoted.startNoWait();
        assertEquals(PgCluster.RecoveryOutcome.PROMOTED, promoted.awaitRecoveryEnd(Duration.ofSeconds(60)));
        assertEquals("1", promoted.queryString("SELECT count(*) FROM t"));

        // a target the WAL never reaches: PostgreSQL 14+ stops with FATAL instead of promoting
        Path bad = pg.scratchDirectory("unreachable").resolve("data");
        PgCluster.copyTree(source.dataDirectory(), bad);
        Files.writeString(bad.resolve("postgresql.auto.conf"),
                "restore_command = 'false'\nrecovery_target_lsn = 'FFFF/0'\nrecovery_target_action = 'promote'\n");
        Files.createFile(bad.resolve("recovery.signal"));
        PgCluster failed = pg.cluster().name("unreachable").dataDirectory(bad).create();
        failed.startNoWait();
        assertEquals(PgCluster.RecoveryOutcome.FAILED, failed.awaitRecoveryEnd(Duration.ofSeconds(60)));
        assertTrue(failed.logSinceStart().contains("recovery ended before configured recovery target was reached"));
    }

    private static void awaitEquals(String expected, java.util.function.Supplier<String> actual, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        String last = null;
        while (System.nanoTime() < deadline) {
            last = actual.get();
            if (expected.equals(last)) {
                return;
            }
            PgCluster.sleep(100);
        }
        assertEquals(expected, last, "not reached within " + timeout);
    }
}
