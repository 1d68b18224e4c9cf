package io.walvault.core.replication.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;
import io.walvault.core.replication.ConnectionLostException;
import io.walvault.core.replication.ProtocolException;
import io.walvault.core.replication.conn.Endpoint;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Framing and the raw SSL answer, against a socket that sends chosen bytes (no PostgreSQL here). */
class TransportTest {

    /** Accepts one connection and writes {@code bytes} to it, then keeps it open until closed. */
    private static final class Peer implements AutoCloseable {
        final ServerSocket server;
        final Thread thread;
        volatile Socket socket;

        Peer(byte[] bytes) throws IOException {
            server = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"));
            thread = new Thread(() -> {
                try {
                    socket = server.accept();
                    OutputStream out = socket.getOutputStream();
                    out.write(bytes);
                    out.flush();
                } catch (IOException e) {
                    // closed
                }
            });
            thread.setDaemon(true);
            thread.start();
        }

        Transport connect() {
            return Transport.connect(Endpoint.of("127.0.0.1", server.getLocalPort()), Duration.ofSeconds(5));
        }

        @Override
        public void close() throws IOException {
            if (socket != null) {
                socket.close();
            }
            server.close();
        }
    }

    @Test
    void aConnectionAfterTheSetUpWasStartedAheadWaitsForItAndWorks() throws Exception {
        Transport.prepareInBackground();
        Transport.prepareInBackground(); // idempotent
        byte[] ready = {'Z', 0, 0, 0, 5, 'I'};
        try (Peer p = new Peer(ready); Transport t = p.connect()) {
            t.startFraming();
            try (BackendMessage z = t.receive(Duration.ofSeconds(5))) {
                assertEquals('Z', z.type());
            }
        }
    }

    @Test
    void theEventLoopsStopBeforeTheProcessExitsAndComeBackForANewConnection() throws Exception {
        byte[] ready = {'Z', 0, 0, 0, 5, 'I'};
        try (Peer p = new Peer(ready); Transport t = p.connect()) {
            t.startFraming();
            t.receive(Duration.ofSeconds(5)).close();
        }
        assertTrue(eventLoopThreads() > 0, "a connection runs on the event loops");
        Transport.shutdownEventLoops(Duration.ofSeconds(5));
        // a thread left waiting in epoll_wait would hold the JVM's exit back by 0.3 s
        assertEquals(0, eventLoopThreads(), "event loop threads left after the shutdown");
        try (Peer p = new Peer(ready); Transport t = p.connect()) {
            t.startFraming();
            try (BackendMessage z = t.receive(Duration.ofSeconds(5))) {
                assertEquals('Z', z.type());
            }
        }
    }

    private static long eventLoopThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(th -> th.getName().startsWith("walvault-pg-io-") && !th.getName().startsWith("walvault-pg-io-prepare"))
                .filter(Thread::isAlive).count();
    }

    @Test
    void aHostThatDoesNotResolveAndASocketThatIsNotThereAreSaidSo(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
        WalvaultException dns = assertThrows(WalvaultException.class,
                () -> Transport.connect(Endpoint.of("no-such-host.invalid", 5432), Duration.ofSeconds(5)));
        assertEquals(ErrorCode.CONNECTION_FAILED, dns.code());
        assertTrue(dns.getMessage().contains("'no-such-host.invalid:5432': the host name does not resolve to an address"
                + " HINT: check the host in the connection settings"), dns.getMessage());
        org.junit.jupiter.api.Assumptions.assumeTrue(io.netty.channel.epoll.Epoll.isAvailable(), "Unix sockets need epoll");
        WalvaultException socket = assertThrows(WalvaultException.class,
                () -> Transport.connect(Endpoint.of(dir.toString(), 5999), Duration.ofSeconds(5)));
        assertTrue(socket.getMessage().contains("no socket file there: no server listens on that port in that directory"),
                socket.getMessage());
        assertTrue(!socket.getMessage().contains("Exception"), socket.getMessage());
    }

    @Test
    void framesAreSplitWhateverTheReads() throws Exception {
        byte[] two = {'Z', 0, 0, 0, 5, 'I', 'C', 0, 0, 0, 9, 'S', 'H', 'O', 'W', 0};
        try (Peer p = new Peer(two); Transport t = p.connect()) {
            t.startFraming();
            try (BackendMessage z = t.receive(Duration.ofSeconds(5))) {
                assertEquals('Z', z.type());
                assertEquals('I', z.reader("ReadyForQuery").int8("status"));
            }
            try (BackendMessage c = t.receive(Duration.ofSeconds(5))) {
                assertEquals('C', c.type());
                assertEquals("SHOW", c.reader("CommandComplete").cstring("tag"));
            }
            assertNull(t.receive(Duration.ofMillis(200)), "nothing more");
        }
    }

    @Test
    void lengthShorterThanItselfIsAProtocolError() throws Exception {
        try (Peer p = new Peer(new byte[] {'Z', 0, 0, 0, 2}); Transport t = p.connect()) {
            t.startFraming();
            assertThrows(ProtocolException.class, () -> t.receive(Duration.ofSeconds(5)));
        }
    }

    @Test
    void messageLongerThanTheLimitIsAProtocolError() throws Exception {
        try (Peer p = new Peer(new byte[] {'d', 0x7F, 0, 0, 0}); Transport t = p.connect()) {
            t.startFraming();
            ProtocolException e = assertThrows(ProtocolException.class, () -> t.receive(Duration.ofSeconds(5)));
            assertTrue(e.getMessage().contains("longer than"), e.getMessage());
        }
    }

    @Test
    void truncatedMessageThenCloseIsALostConnection() throws Exception {
        try (Peer p = new Peer(new byte[] {'D', 0, 0, 0, 100, 1, 2}); Transport t = p.connect()) {
            t.startFraming();
            assertNull(t.receive(Duration.ofMillis(300)), "an incomplete message is not handed out");
            p.close();
            assertThrows(ConnectionLostException.class, () -> t.receive(Duration.ofSeconds(5)));
            assertThrows(ConnectionLostException.class, () -> t.receive(Duration.ofSeconds(1)), "and stays lost");
        }
    }

    @Test
    void bytesAfterTheSslAnswerAreRefused() throws Exception {
        // CVE-2021-23222: a man in the middle appends a plaintext message to the server's 'S'
        try (Peer p = new Peer(new byte[] {'S', 'Z', 0, 0, 0, 5, 'I'}); Transport t = p.connect()) {
            Thread.sleep(200); // let both bytes arrive together
            ProtocolException e = assertThrows(ProtocolException.class, () -> t.requestSsl(Duration.ofSeconds(5)));
            assertTrue(e.getMessage().contains("expected exactly one"), e.getMessage());
        }
    }

    @Test
    void theSslAnswerIsOneByte() throws Exception {
        try (Peer p = new Peer(new byte[] {'N'}); Transport t = p.connect()) {
            assertEquals('N', t.requestSsl(Duration.ofSeconds(5)));
        }
    }

    @Test
    void nothingListeningIsAConnectionFailure() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            port = s.getLocalPort();
        }
        WalvaultException e = assertThrows(WalvaultException.class,
                () -> Transport.connect(Endpoint.of("127.0.0.1", port), Duration.ofSeconds(5)));
        assertEquals(ErrorCode.CONNECTION_FAILED, e.code());
        assertTrue(e.getMessage().startsWith("cannot connect to '127.0.0.1:" + port + "'"), e.getMessage());
    }
}
