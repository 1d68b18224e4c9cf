package io.walvault.core.replication;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;
import io.walvault.core.replication.conn.ConnectionSettings;
import io.walvault.core.wal.Lsn;
import io.walvault.testkit.PgCluster;
import io.walvault.testkit.PgHarness;
import io.walvault.testkit.PgTest;
import io.walvault.testkit.ServerUser;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * TLS per sslmode against a real server whose certificate the test issues, with a role that has
 * only LOGIN REPLICATION authenticating with SCRAM-SHA-256-PLUS, doing a base backup and
 * streaming WAL over TLS.
 */
class TlsIT {

    @PgTest
    void sslModesChannelBindingAndAReplicationRoleDoingEverythingOverTls(PgHarness harness) throws Exception {
        TestCertificates authority = TestCertificates.newAuthority("walvault test CA");
        TestCertificates stranger = TestCertificates.newAuthority("some other CA");
        TestCertificates.Issued server = authority.issueServer();

        PgCluster pg = harness.cluster().setting("ssl", "on")
                .hba("hostssl replication wv_tls 127.0.0.1/32 scram-sha-256")
                .hba("hostnossl replication wv_tls 127.0.0.1/32 reject")
                .create();
        TestCertificates.writePem(pg.dataDirectory().resolve("server.crt"), server.certificate());
        TestCertificates.writeKey(pg.dataDirectory().resolve("server.key"), server.key());
        ServerUser.get().adopt(pg.dataDirectory());
        pg.start();
        pg.execute("CREATE ROLE wv_tls LOGIN REPLICATION PASSWORD 'tls pw'");

        Path certs = harness.scratchDirectory("certs");
        Path rootCa = certs.resolve("root.crt");
        Path otherCa = certs.resolve("other.crt");
        TestCertificates.writePem(rootCa, authority.ca);
        TestCertificates.writePem(otherCa, stranger.ca);

        String base = "port=" + pg.port() + " user=wv_tls password='tls pw' ";
        for (String ok : new String[] {
            "host=127.0.0.1 sslmode=require channel_binding=require",
            "host=127.0.0.1 sslmode=prefer",
            "host=127.0.0.1 sslmode=verify-ca sslrootcert=" + rootCa,
            "host=127.0.0.1 sslmode=verify-full sslrootcert=" + rootCa,
            "host=localhost hostaddr=127.0.0.1 sslmode=verify-full sslrootcert=" + rootCa + " channel_binding=require"}) {
            try (ReplicationConnection c = ReplicationConnection.open(parse(base + ok))) {
                assertTrue(c.isTls(), ok);
                assertEquals("t", pg.queryString("SELECT ssl FROM pg_stat_ssl s JOIN pg_stat_replication r USING (pid)"), ok);
            }
        }

        WalvaultException wrongCa = assertThrows(WalvaultException.class, () -> ReplicationConnection.open(
                parse(base + "host=127.0.0.1 sslmode=verify-ca sslrootcert=" + otherCa)));
        assertEquals(ErrorCode.TLS_FAILED, wrongCa.code());
        assertTrue(wrongCa.getMessage().contains("HINT: check that sslrootcert"), wrongCa.getMessage());

        WalvaultException wrongName = assertThrows(WalvaultException.class, () -> ReplicationConnection.open(
                parse(base + "host=db.example hostaddr=127.0.0.1 sslmode=verify-full sslrootcert=" + rootCa)));
        assertEquals(ErrorCode.TLS_FAILED, wrongName.code());
        assertTrue(wrongName.getMessage().contains("'db.example:" + pg.port() + "'"), wrongName.getMessage());

        // trust authentication cannot bind the channel: refused when binding is required
        WalvaultException unbound = assertThrows(WalvaultException.class, () -> ReplicationConnection.open(
                parse("port=" + pg.port() + " host=127.0.0.1 user=postgres sslmode=require channel_binding=require")));
        assertEquals(ErrorCode.AUTHENTICATION_FAILED, unbound.code());
        assertTrue(unbound.getMessage().startsWith("channel binding required"), unbound.getMessage());

        // no TLS over a Unix socket: a mode that needs it is refused before anything is sent
        WalvaultException socket = assertThrows(WalvaultException.class, () -> ReplicationConnection.open(
                parse("port=" + pg.port() + " host=" + pg.socketDirectory() + " user=postgres sslmode=require")));
        assertEquals(ErrorCode.TLS_FAILED, socket.code());

        // without TLS the server refuses this role (hostnossl ... reject)
        ServerErrorException plain = assertThrows(ServerErrorException.class,
                () -> ReplicationConnection.open(parse(base + "host=127.0.0.1 sslmode=disable")));
        assertEquals(ErrorCode.CONNECTION_REJECTED, plain.code());
        // sslmode=allow starts in plaintext and retries with TLS when refused
        try (ReplicationConnection c = ReplicationConnection.open(parse(base + "host=127.0.0.1 sslmode=allow"))) {
            assertTrue(c.isTls());
        }

        // everything the archiver does, over TLS with channel binding, as a role with only LOGIN REPLICATION
        pg.execute("CREATE TABLE t (id int, v text)", "INSERT INTO t SELECT g, md5(g::text) FROM generate_series(1, 20000) g");
        try (ReplicationConnection c = ReplicationConnection.open(parse(base
                + "host=127.0.0.1 sslmode=verify-full sslrootcert=" + rootCa + " channel_binding=require"))) {
            BaseBackupResult backup = c.baseBackup(BaseBackupOptions.defaults().fastCheckpoint(true), new BaseBackupListener() { });
            assertTrue(backup.files() > 500);
            c.createPhysicalSlot("wv_tls_slot", true);
            long segSize = c.walSegmentSize();
            Lsn start = backup.start().startLsn().segmentStart(segSize);
            try (WalStream s = c.startReplication(StartReplicationOptions.of("wv_tls_slot", start, backup.start().startTimeline()))) {
                pg.execute("SELECT pg_switch_wal()");
                long received = 0;
                while (received < segSize) {
                    WalEvent e = s.read(Duration.ofSeconds(30));
                    received += assertInstanceOf(WalEvent.WalData.class, e).data().remaining();
                }
                s.reportFlushed(start.plus(segSize));
            }
            assertFalse(c.isClosed(), "closing the stream keeps the connection");
            assertEquals(backup.start().startTimeline(), c.identifySystem().timeline());
        }
    }

    private static ConnectionSettings parse(String conninfo) {
        return ConnectionSettings.parse(conninfo, Map.of(), Path.of("/nonexistent-home"), "nobody");
    }
}
