package io.walvault.core.replication;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.walvault.testkit.PgCluster;
import io.walvault.testkit.PgHarness;
import io.walvault.testkit.PgTest;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/**
 * The throughput figure, not a test of correctness and never run by default: MB/s of walvault's
 * client receiving a base backup of a ~1 GB cluster (tar splitting, per-file CRC-32C, manifest
 * verification) and discarding it, next to the simplest possible loop that drains BASE_BACKUP's
 * messages from a plain socket (the protocol's own limit on this machine). Prints
 * {@code protocol_limit_MBps:}, {@code transport_only_MBps:} and {@code client_MBps:} (best of
 * the rounds) and the medians; asserts no timing. The machine is shared: compare figures of one run.
 *
 * <pre>mvn -B -pl core -am verify -Dpg.versions=18 -Dit.test=BaseBackupThroughputIT -Dwalvault.throughput=true -Dfailsafe.failIfNoSpecifiedTests=false \
 *     -Dtest=NONE -Dsurefire.failIfNoSpecifiedTests=false</pre>
 * ({@code -Dwalvault.throughput.rows=N} changes the table size; 900000 rows make about 1 GB.)
 */
class BaseBackupThroughputIT {

    @PgTest(min = 14)
    @EnabledIfSystemProperty(named = "walvault.throughput", matches = "true")
    void receiveAndDiscardNextToTheRawProtocolLimit(PgHarness harness) throws Exception {
        PgCluster pg = harness.cluster().setting("shared_buffers", "128MB").start();
        int rows = Integer.getInteger("walvault.throughput.rows", 900_000);
        pg.execute("CREATE TABLE big AS SELECT g AS id, repeat('x', 1000) AS v FROM generate_series(1, " + rows + ") g",
                "CHECKPOINT");
        String size = pg.queryString("SELECT pg_size_pretty(pg_database_size('postgres'))");
        System.out.println("database_size: " + size);
        String command = BaseBackupOptions.defaults().fastCheckpoint(true).progress(false).command(harness.version().major());

        double bestRaw = 0;
        double bestTransport = 0;
        double bestClient = 0;
        int rounds = Integer.getInteger("walvault.throughput.rounds", 3);
        java.util.List<Double> raws = new java.util.ArrayList<>();
        java.util.List<Double> clients = new java.util.ArrayList<>();
        for (int round = 0; round < rounds; round++) {
            long t0 = System.nanoTime();
            long raw = rawDrain(pg, command);
            double rawSeconds = (System.nanoTime() - t0) / 1e9;
            double rawMBps = raw / 1e6 / rawSeconds;
            bestRaw = Math.max(bestRaw, rawMBps);
            raws.add(rawMBps);
            System.out.printf("round %d raw loop: %d bytes in %.2f s%n", round, raw, rawSeconds);

            long t2 = System.nanoTime();
            long drained = transportDrain(pg, command);
            double transportSeconds = (System.nanoTime() - t2) / 1e9;
            bestTransport = Math.max(bestTransport, drained / 1e6 / transportSeconds);
            System.out.printf("round %d walvault transport only: %d bytes in %.2f s%n", round, drained, transportSeconds);

            long t1 = System.nanoTime();
            BaseBackupResult r;
            try (ReplicationConnection c = ReplicationConnection.open(ReplicationConnectionIT.settings(pg,
                    "user=postgres sslmode=disable"))) {
                r = c.baseBackup(BaseBackupOptions.defaults().fastCheckpoint(true).progress(false), new BaseBackupListener() { });
            }
            double clientSeconds = (System.nanoTime() - t1) / 1e9;
            double clientMBps = r.bytes() / 1e6 / clientSeconds;
            bestClient = Math.max(bestClient, clientMBps);
            clients.add(clientMBps);
            System.out.printf("round %d walvault client: %d bytes in %.2f s (%d files, manifest verified)%n",
                    round, r.bytes(), clientSeconds, r.files());
            assertTrue(r.bytes() > 500_000_000L || rows < 900_000);
        }
        java.util.Collections.sort(raws);
        java.util.Collections.sort(clients);
        System.out.printf("median over %d rounds: raw %.1f MB/s, client %.1f MB/s%n", rounds,
                raws.get(rounds / 2), clients.get(rounds / 2));
        System.out.printf("protocol_limit_MBps: %.1f%n", bestRaw);
        System.out.printf("transport_only_MBps: %.1f%n", bestTransport);
        System.out.printf("client_MBps: %.1f%n", bestClient);
    }

    /** walvault's Netty transport and message loop alone: no tar parsing, checksums or manifest. */
    private static long transportDrain(PgCluster pg, String command) {
        try (ReplicationConnection c = ReplicationConnection.open(ReplicationConnectionIT.settings(pg, "user=postgres sslmode=disable"))) {
            c.transport().send(io.walvault.core.replication.wire.FrontendMessages.query(command), "Query");
            long copyBytes = 0;
            while (true) {
                try (io.walvault.core.replication.wire.BackendMessage m = c.next()) {
                    if (m.type() == 'd') {
                        copyBytes += m.body().readableBytes();
                    } else if (m.type() == 'Z') {
                        return copyBytes;
                    }
                }
            }
        }
    }

    /** Startup as the trusted superuser, BASE_BACKUP, then read every message until ReadyForQuery, counting CopyData bytes. */
    private static long rawDrain(PgCluster pg, String command) throws IOException {
        try (Socket s = new Socket(pg.host(), pg.port())) {
            s.setReceiveBufferSize(1 << 20);
            DataOutputStream out = new DataOutputStream(s.getOutputStream());
            DataInputStream in = new DataInputStream(new BufferedInputStream(s.getInputStream(), 1 << 18));
            byte[] params = "user\0postgres\0replication\0true\0\0".getBytes(StandardCharsets.UTF_8);
            out.writeInt(8 + params.length);
            out.writeInt(196608);
            out.write(params);
            out.flush();
            byte[] buf = new byte[1 << 20];
            awaitReady(in, buf);
            byte[] q = (command + "\0").getBytes(StandardCharsets.UTF_8);
            out.writeByte('Q');
            out.writeInt(4 + q.length);
            out.write(q);
            out.flush();
            long copyBytes = 0;
            while (true) {
                int type = in.readUnsignedByte();
                int len = in.readInt() - 4;
                skip(in, buf, len);
                if (type == 'd') {
                    copyBytes += len;
                } else if (type == 'E') {
                    throw new IOException("server error during BASE_BACKUP");
                } else if (type == 'Z') {
                    return copyBytes;
                }
            }
        }
    }

    private static void awaitReady(DataInputStream in, byte[] buf) throws IOException {
        while (true) {
            int type = in.readUnsignedByte();
            int len = in.readInt() - 4;
            skip(in, buf, len);
            assertTrue(type != 'E', "startup failed");
            if (type == 'Z') {
                return;
            }
        }
    }

    private static void skip(DataInputStream in, byte[] buf, int len) throws IOException {
        int left = len;
        while (left > 0) {
            int n = in.read(buf, 0, Math.min(buf.length, left));
            if (n < 0) {
                throw new IOException("connection closed");
            }
            left -= n;
        }
        assertEquals(0, left);
    }
}
