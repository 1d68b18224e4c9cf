package io.walvault.core.replication;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;
import io.walvault.core.replication.conn.ConnectionSettings;
import io.walvault.core.wal.Lsn;
import io.walvault.core.wal.TimelineId;
import io.walvault.testkit.PgCluster;
import io.walvault.testkit.PgHarness;
import io.walvault.testkit.PgTest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.Optional;

/** Connecting, authenticating and running the one-shot replication commands against real servers. */
class ReplicationConnectionIT {

    static ConnectionSettings settings(PgCluster pg, String conninfo) {
        return ConnectionSettings.parse("host=127.0.0.1 port=" + pg.port() + " " + conninfo, Map.of(),
                Path.of("/nonexistent-home"), "nobody");
    }

    @PgTest
    void commandsOverTcpAndUnixSocketAsSuperuser(PgHarness harness) throws Exception {
        PgCluster pg = harness.cluster().start();
        String systemId = pg.queryString("SELECT system_identifier FROM pg_control_system()");

        try (ReplicationConnection c = ReplicationConnection.open(settings(pg, "user=postgres sslmode=disable"))) {
            assertEquals(harness.version().major(), c.serverVersion().major());
            SystemIdentity id = c.identifySystem();
            assertEquals(systemId, id.systemId());
            assertEquals(TimelineId.FIRST, id.timeline());
            assertTrue(id.flushPosition().isValid());
            assertEquals(16L * 1024 * 1024, c.walSegmentSize());
            assertEquals(8192, c.walBlockSize());
            assertFalse(c.isTls());
            assertTrue(c.backendPid() > 0);

            c.createPhysicalSlot("wv_cmds", false);
            Lsn reserved = Lsn.parse(pg.queryString("SELECT restart_lsn FROM pg_replication_slots WHERE slot_name = 'wv_cmds'"));
            assertTrue(reserved.isValid(), "RESERVE_WAL gives the slot a restart position at once");
            assertFalse(reserved.isAfter(c.identifySystem().flushPosition()));
            assertEquals("wv_cmds", pg.queryString("SELECT slot_name FROM pg_replication_slots WHERE slot_type = 'physical'"));
            if (harness.version().major() >= 15) {
                SlotInfo info = c.readSlot("wv_cmds").orElseThrow();
                assertEquals(Optional.of(reserved), info.restartLsn());
                assertEquals(Optional.of(TimelineId.FIRST), info.restartTimeline());
                assertEquals(Optional.empty(), c.readSlot("wv_nothing"));
            } else {
                WalvaultException e = assertThrows(WalvaultException.class, () -> c.readSlot("wv_cmds"));
                assertEquals(ErrorCode.SERVER_VERSION_UNSUPPORTED, e.code());
            }
            ServerErrorException dup = assertThrows(ServerErrorException.class, () -> c.createPhysicalSlot("wv_cmds", false));
            assertEquals(ErrorCode.SLOT_ALREADY_EXISTS, dup.code());
            c.dropSlot("wv_cmds", false);
            ServerErrorException gone = assertThrows(ServerErrorException.class, () -> c.dropSlot("wv_cmds", false));
            assertEquals(ErrorCode.SLOT_NOT_FOUND, gone.code());
            assertTrue(gone.getMessage().contains("'wv_cmds'"), gone.getMessage());
            assertEquals("0", pg.queryString("SELECT count(*) FROM pg_replication_slots"));
            // the connection stays usable after the server refused a command
            assertEquals(systemId, c.identifySystem().systemId());
        }

        // sslmode=prefer: TLS is offered but its handshake fails, so plaintext is tried, as libpq does
        try (BrokenTlsFront front = new BrokenTlsFront(pg.host(), pg.port())) {
            try (ReplicationConnection c = ReplicationConnection.open(ConnectionSettings.parse("host=127.0.0.1 port="
                    + front.port() + " user=postgres sslmode=prefer", Map.of(), Path.of("/nonexistent-home"), "nobody"))) {
                assertFalse(c.isTls());
                assertEquals(systemId, c.identifySystem().systemId());
            }
            WalvaultException required = assertThrows(WalvaultException.class, () -> ReplicationConnection.open(
                    ConnectionSettings.parse("host=127.0.0.1 port=" + front.port() + " user=postgres sslmode=require",
                            Map.of(), Path.of("/nonexistent-home"), "nobody")));
            assertEquals(ErrorCode.TLS_FAILED, required.code());
        }

        ConnectionSettings socket = ConnectionSettings.parse("host=" + pg.socketDirectory() + " port=" + pg.port()
                + " user=postgres", Map.of(), Path.of("/nonexistent-home"), "nobody");
        try (ReplicationConnection c = ReplicationConnection.open(socket)) {
            assertEquals(systemId, c.identifySystem().systemId());
            assertEquals("walvault", pg.queryString("SELECT application_name FROM pg_stat_replication"));
        }
    }

    @PgTest
    void passwordMethodsAndRoleErrors(PgHarness harness) throws Exception {
        PgCluster pg = harness.cluster()
                .hba("host replication wv_scram 127.0.0.1/32 scram-sha-256")
                .hba("host replication wv_md5 127.0.0.1/32 md5")
                .hba("host replication wv_plain 127.0.0.1/32 password")
                .hba("host replication wv_norep 127.0.0.1/32 scram-sha-256")
                .hba("host replication wv_rejected 127.0.0.1/32 reject")
                .hba("host replication wv_nologin 127.0.0.1/32 trust")
                .start();
        pg.execute("CREATE ROLE wv_scram LOGIN REPLICATION PASSWORD 'scram pw'",
                "CREATE ROLE wv_plain LOGIN REPLICATION PASSWORD 'plain pw'",
                "CREATE ROLE wv_norep LOGIN PASSWORD 'norep pw'",
                "CREATE ROLE wv_rejected LOGIN REPLICATION PASSWORD 'x'",
                "CREATE ROLE wv_nologin REPLICATION",
                "SET password_encryption = 'md5'; CREATE ROLE wv_md5 LOGIN REPLICATION PASSWORD 'md5 pw'");

        for (String ok : new String[] {"user=wv_scram password='scram pw'", "user=wv_md5 password='md5 pw'",
                "user=wv_plain password='plain pw'"}) {
            try (ReplicationConnection c = ReplicationConnection.open(settings(pg, ok + " sslmode=disable"))) {
                assertEquals(TimelineId.FIRST, c.identifySystem().timeline(), ok);
            }
        }

        // the password file, as libpq reads it (database 'replication' for a replication connection)
        Path home = Files.createTempDirectory("wv-home");
        Path pass = home.resolve(".pgpass");
        Files.writeString(pass, "127.0.0.1:" + pg.port() + ":replication:wv_scram:scram pw\n");
        Files.setPosixFilePermissions(pass, PosixFilePermissions.fromString("rw-------"));
        ConnectionSettings fromFile = ConnectionSettings.parse("", Map.of("PGHOST", "127.0.0.1",
                "PGPORT", Integer.toString(pg.port()), "PGUSER", "wv_scram", "PGSSLMODE", "disable"), home, "nobody");
        try (ReplicationConnection c = ReplicationConnection.open(fromFile)) {
            assertEquals(TimelineId.FIRST, c.identifySystem().timeline());
        }

        ServerErrorException wrong = assertThrows(ServerErrorException.class,
                () -> ReplicationConnection.open(settings(pg, "user=wv_scram password=wrong sslmode=disable")));
        assertEquals(ErrorCode.AUTHENTICATION_FAILED, wrong.code());
        assertEquals("28P01", wrong.sqlState());
        assertTrue(wrong.getMessage().startsWith("password authentication failed for user 'wv_scram'"), wrong.getMessage());
        assertFalse(wrong.getMessage().contains("wrong"), "the password never appears in a message");

        WalvaultException none = assertThrows(WalvaultException.class,
                () -> ReplicationConnection.open(settings(pg, "user=wv_scram sslmode=disable")));
        assertEquals(ErrorCode.AUTHENTICATION_FAILED, none.code());
        assertTrue(none.getMessage().contains("none is set HINT:"), none.getMessage());

        ServerErrorException norep = assertThrows(ServerErrorException.class,
                () -> ReplicationConnection.open(settings(pg, "user=wv_norep password='norep pw' sslmode=disable")));
        assertEquals(ErrorCode.REPLICATION_PRIVILEGE_MISSING, norep.code());
        assertTrue(norep.getMessage().startsWith("role 'wv_norep' lacks the REPLICATION attribute"), norep.getMessage());
        assertTrue(norep.getMessage().endsWith("HINT: ALTER ROLE wv_norep REPLICATION"), norep.getMessage());

        ServerErrorException rejected = assertThrows(ServerErrorException.class,
                () -> ReplicationConnection.open(settings(pg, "user=wv_rejected password=x sslmode=disable")));
        assertEquals(ErrorCode.CONNECTION_REJECTED, rejected.code());
        assertTrue(rejected.getMessage().contains("pg_hba.conf"), rejected.getMessage());
        assertTrue(rejected.getMessage().contains("HINT: add a line such as 'host replication wv_rejected"), rejected.getMessage());

        ServerErrorException nologin = assertThrows(ServerErrorException.class,
                () -> ReplicationConnection.open(settings(pg, "user=wv_nologin sslmode=disable")));
        assertEquals(ErrorCode.AUTHENTICATION_FAILED, nologin.code());
        assertTrue(nologin.getMessage().contains("HINT: ALTER ROLE wv_nologin LOGIN"), nologin.getMessage());

        ServerErrorException unknown = assertThrows(ServerErrorException.class,
                () -> ReplicationConnection.open(settings(pg, "user=wv_nobody sslmode=disable")));
        assertEquals(ErrorCode.AUTHENTICATION_FAILED, unknown.code());
        assertTrue(unknown.getMessage().startsWith("role 'wv_nobody' does not exist"), unknown.getMessage());

        WalvaultException refused = assertThrows(WalvaultException.class,
                () -> ReplicationConnection.open(ConnectionSettings.parse("host=127.0.0.1 port=1 sslmode=disable connect_timeout=3",
                        Map.of(), home, "nobody")));
        assertEquals(ErrorCode.CONNECTION_FAILED, refused.code());

        // something that accepts connections but never speaks: the startup gives up after connect_timeout
        try (java.net.ServerSocket silent = new java.net.ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
            long t0 = System.nanoTime();
            WalvaultException mute = assertThrows(WalvaultException.class, () -> ReplicationConnection.open(
                    ConnectionSettings.parse("host=127.0.0.1 port=" + silent.getLocalPort() + " sslmode=disable connect_timeout=2",
                            Map.of(), home, "nobody")));
            assertEquals(ErrorCode.CONNECTION_FAILED, mute.code());
            assertTrue(mute.getMessage().contains("did not complete the connection startup within 2 s"), mute.getMessage());
            assertTrue(System.nanoTime() - t0 < 10_000_000_000L);
        }
    }

    @PgTest
    void streamingLimitsAndUnsupportedVersion(PgHarness harness) {
        PgCluster pg = harness.cluster().setting("max_wal_senders", "2").start();
        ConnectionSettings s = settings(pg, "user=postgres sslmode=disable");

        WalvaultException old = assertThrows(WalvaultException.class,
                () -> ReplicationConnection.open(s, harness.version().major() + 1));
        assertEquals(ErrorCode.SERVER_VERSION_UNSUPPORTED, old.code());
        assertTrue(old.getMessage().contains("HINT: upgrade the server"), old.getMessage());

        try (ReplicationConnection a = ReplicationConnection.open(s);
             ReplicationConnection b = ReplicationConnection.open(s)) {
            SystemIdentity id = a.identifySystem();
            a.createPhysicalSlot("wv_busy", false);
            Lsn start = a.identifySystem().flushPosition().segmentStart(a.walSegmentSize());
            try (WalStream first = a.startReplication(StartReplicationOptions.of("wv_busy", start, id.timeline()))) {
                ServerErrorException inUse = assertThrows(ServerErrorException.class,
                        () -> b.startReplication(StartReplicationOptions.of("wv_busy", start, id.timeline())));
                assertEquals(ErrorCode.SLOT_IN_USE, inUse.code());
                assertTrue(inUse.getMessage().startsWith("replication slot 'wv_busy' is in use by another process"), inUse.getMessage());

                ServerErrorException full = assertThrows(ServerErrorException.class, () -> ReplicationConnection.open(s));
                assertEquals(ErrorCode.TOO_MANY_CONNECTIONS, full.code());
                assertTrue(full.getMessage().contains("max_wal_senders"), full.getMessage());
            }
            b.dropSlot("wv_busy", true);

            // a start the server does not have yet: the error arrives after streaming has begun
            Lsn ahead = start.plus(64L * b.walSegmentSize());
            ServerErrorException future = assertThrows(ServerErrorException.class, () -> {
                try (WalStream w = b.startReplication(new StartReplicationOptions(Optional.empty(), ahead,
                        Optional.of(id.timeline()), java.time.Duration.ofSeconds(10)))) {
                    w.read(java.time.Duration.ofSeconds(10));
                }
            });
            assertEquals(ErrorCode.SERVER_ERROR, future.code());
            assertTrue(future.getMessage().contains("ahead of the WAL flush position"), future.getMessage());
            assertEquals(id.systemId(), b.identifySystem().systemId(), "the connection is usable afterwards");
        }
    }
}
