package io.walvault.bench.e2e;

import io.walvault.core.replication.BaseBackupListener;
import io.walvault.core.replication.BaseBackupOptions;
import io.walvault.core.replication.BaseBackupResult;
import io.walvault.core.replication.ReplicationConnection;
import io.walvault.core.replication.ServerCompression;
import io.walvault.core.replication.conn.ConnectionSettings;
import io.walvault.testkit.PgCluster;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;

/**
 * The replication protocol's own limit on this machine: BASE_BACKUP drained by the simplest
 * possible loop (a plain socket that reads and drops every message), next to walvault's client
 * receiving the same backup (tar splitting, CRC-32C of every file, manifest verification) and
 * discarding it.
 */
final class ProtocolLimit {

    /** Bytes and seconds of one drain. */
    record Drain(long bytes, double seconds) {
        double mbps() {
            return bytes / 1e6 / seconds;
        }
    }

    private ProtocolLimit() {
    }

    static ConnectionSettings settings(PgCluster pg) {
        return ConnectionSettings.parse("host=127.0.0.1 port=" + pg.port() + " user=" + PgCluster.SUPERUSER
                + " sslmode=disable", Map.of(), Path.of("/nonexistent-home"), "nobody");
    }

    /** walvault's client: every file split out, checksummed and checked against the manifest. */
    static Drain client(PgCluster pg) {
        long t0 = System.nanoTime();
        BaseBackupResult r;
        try (ReplicationConnection c = ReplicationConnection.open(settings(pg))) {
            r = c.baseBackup(BaseBackupOptions.defaults().fastCheckpoint(true).progress(false), new BaseBackupListener() { });
        }
        return new Drain(r.bytes(), (System.nanoTime() - t0) / 1e9);
    }

    /** Startup as the trusted superuser, BASE_BACKUP, then every message read and dropped until ReadyForQuery. */
    static Drain raw(PgCluster pg) throws IOException {
        return raw(pg, ServerCompression.NONE);
    }

    /**
     * The same with the server compressing the archives; the drain's bytes are the compressed
     * ones. An IOException when the server refuses (its build lacks the method).
     */
    static Drain raw(PgCluster pg, ServerCompression compression) throws IOException {
        String command = BaseBackupOptions.defaults().fastCheckpoint(true).progress(false).compression(compression)
                .command(pg.version().major());
        long t0 = System.nanoTime();
        try (Socket s = new Socket(pg.host(), pg.port())) {
            s.setReceiveBufferSize(1 << 20);
            DataOutputStream out = new DataOutputStream(s.getOutputStream());
            DataInputStream in = new DataInputStream(new BufferedInputStream(s.getInputStream(), 1 << 18));
            byte[] params = ("user\0" + PgCluster.SUPERUSER + "\0replication\0true\0\0").getBytes(StandardCharsets.UTF_8);
            out.writeInt(8 + params.length);
            out.writeInt(196608);
            out.write(params);
            out.flush();
            byte[] buf = new byte[1 << 20];
            drainUntilReady(in, buf);
            byte[] q = (command + "\0").getBytes(StandardCharsets.UTF_8);
            out.writeByte('Q');
            out.writeInt(4 + q.length);
            out.write(q);
            out.flush();
            long copyBytes = drainUntilReady(in, buf);
            return new Drain(copyBytes, (System.nanoTime() - t0) / 1e9);
        }
    }

    /** Reads messages until ReadyForQuery; returns the CopyData bytes seen. */
    private static long drainUntilReady(DataInputStream in, byte[] buf) throws IOException {
        long copyBytes = 0;
        while (true) {
            int type = in.readUnsignedByte();
            int len = in.readInt() - 4;
            int left = len;
            while (left > 0) {
                int n = in.read(buf, 0, Math.min(buf.length, left));
                if (n < 0) {
                    throw new IOException("connection closed");
                }
                left -= n;
            }
            if (type == 'd') {
                copyBytes += len;
            } else if (type == 'E') {
                throw new IOException("the server reported an error");
            } else if (type == 'Z') {
                return copyBytes;
            }
        }
    }
}
