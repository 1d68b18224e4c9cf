package io.walvault.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.walvault.testkit.PgCluster;
import io.walvault.testkit.PgHarness;
import io.walvault.testkit.PgTest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * The server's Unix-domain socket from a JVM without Netty's native transport, as on a CPU Netty
 * ships no library for, or where the temporary directory it unpacks that library into is mounted
 * noexec (a common hardening): a backup through it, and the restore of that backup, must still work.
 */
class SocketTransportIT {

    private static final Duration LONG = Duration.ofMinutes(3);

    @PgTest
    void aBackupOverTheUnixSocketNeedsNoNativeTransport(PgHarness harness) throws Exception {
        PgCluster pg = harness.cluster().start();
        pg.execute("CREATE TABLE t AS SELECT g AS id, md5(g::text) AS v FROM generate_series(1, 20000) g");
        Path dir = harness.scratchDirectory("socket");
        Path conf = dir.resolve("walvault.conf");
        Files.writeString(conf, "repo = file://" + dir.resolve("repo") + "\nencryption = none\n"
                + "pg = host=" + pg.socketDirectory() + " port=" + pg.port() + " user=postgres\n");
        String noNative = "-Dio.netty.transport.noNative=true";
        // every command as the servers' OS user: the restored server reads the repository through archive-get

        WalvaultProcess.Result init = WalvaultProcess.of("init", "--config", conf.toString()).asServerUser().timeout(LONG).run();
        assertEquals(0, init.exitCode(), init.out());
        WalvaultProcess.Result backup = WalvaultProcess.of("backup", "--config", conf.toString(), "--checkpoint", "fast",
                "--log-level", "debug").env("WALVAULT_JAVA_OPTS", noNative).asServerUser().timeout(LONG).run();
        assertEquals(0, backup.exitCode(), backup.out());
        assertTrue(backup.out().contains("Netty's native transport is not available here"), backup.out());
        assertTrue(backup.out().contains("connected to " + pg.socketDirectory().resolve(".s.PGSQL." + pg.port())),
                backup.out());

        // TCP through the JDK's sockets too, its keepalive options taken (Netty warns of an option a channel refuses)
        pg.execute("INSERT INTO t SELECT g, md5(g::text) FROM generate_series(20001, 30000) g");
        WalvaultProcess.Result overTcp = WalvaultProcess.of("backup", "--config", conf.toString(), "--checkpoint", "fast",
                "--pg", "host=127.0.0.1 port=" + pg.port() + " user=postgres sslmode=disable", "--log-level", "debug")
                .env("WALVAULT_JAVA_OPTS", noNative).asServerUser().timeout(LONG).run();
        assertEquals(0, overTcp.exitCode(), overTcp.out());
        assertTrue(overTcp.out().contains("Netty's native transport is not available here"), overTcp.out());
        assertFalse(overTcp.out().contains("channel option"), overTcp.out());

        // what came through the JDK's sockets is the cluster: verified, restored, and its rows there
        WalvaultProcess.Result verify = WalvaultProcess.of("verify", "--config", conf.toString()).asServerUser().timeout(LONG).run();
        assertEquals(0, verify.exitCode(), verify.out());
        Path data = harness.scratchDirectory("socket-restored").resolve("data");
        WalvaultProcess.Result restore = WalvaultProcess.of("restore", "--config", conf.toString(), "--pgdata",
                data.toString(), "--target", "immediate", "--target-action", "promote").asServerUser().timeout(LONG).run();
        assertEquals(0, restore.exitCode(), restore.out());
        PgCluster restored = harness.cluster().name("socket-restored").dataDirectory(data)
                .env("WALVAULT_CDS_DIR", WalvaultProcess.sharedClassArchives().toString()).create();
        restored.startNoWait();
        assertEquals(PgCluster.RecoveryOutcome.PROMOTED, restored.awaitRecoveryEnd(LONG), restored.logSinceStart());
        assertEquals(pg.queryString("SELECT string_agg(v, ',' ORDER BY id) FROM t"),
                restored.queryString("SELECT string_agg(v, ',' ORDER BY id) FROM t"));
    }
}
