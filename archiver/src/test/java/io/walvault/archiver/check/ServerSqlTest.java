package io.walvault.archiver.check;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.walvault.core.replication.conn.ConnectionSettings;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the SQL connection's failure says when no server answers at all (no server here). */
class ServerSqlTest {

    @TempDir
    Path dir;

    private static ConnectionSettings conninfo(String conninfo) {
        return ConnectionSettings.parse(conninfo + " user=walvault connect_timeout=5", Map.of(), Path.of("/nonexistent-home"),
                "nobody");
    }

    @Test
    void aHostThatDoesNotResolveAPortNobodyListensOnAndAMissingSocketAreToldApart() throws IOException {
        ServerSql.SqlFailure dns = assertThrows(ServerSql.SqlFailure.class,
                () -> ServerSql.open(conninfo("host=no-such-host.invalid port=5432")));
        assertTrue(dns.getMessage().contains("to 'no-such-host.invalid:5432': the host name does not resolve to an address"),
                dns.getMessage());
        assertTrue(dns.hint().contains("check the host and port"), dns.hint());

        int closed;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            closed = s.getLocalPort(); // free once closed: nothing listens there
        }
        int port = closed;
        ServerSql.SqlFailure refused = assertThrows(ServerSql.SqlFailure.class,
                () -> ServerSql.open(conninfo("host=127.0.0.1 port=" + port)));
        assertTrue(refused.getMessage().contains("to '127.0.0.1:" + port + "': connection refused"), refused.getMessage());

        ServerSql.SqlFailure socket = assertThrows(ServerSql.SqlFailure.class,
                () -> ServerSql.open(conninfo("host=" + dir + " port=5999")));
        assertTrue(socket.getMessage().contains("no socket file there: no server listens on that port in that directory"),
                socket.getMessage());
        assertTrue(socket.hint().contains("socket directory"), socket.hint());
        // not the role's rights: nothing answered to judge them
        assertTrue(!dns.hint().contains("CONNECT") && !refused.hint().contains("CONNECT") && !socket.hint().contains("CONNECT"));
    }
}
