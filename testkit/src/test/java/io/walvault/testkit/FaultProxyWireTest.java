package io.walvault.testkit;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.URI;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The proxy on the wire, against a scripted upstream and a raw client: request and answer bytes
 * pass unchanged (Host included), chunked bodies in both directions, HEAD answers without a body,
 * persistent connections, {@code Expect: 100-continue}, and faults aimed at the payload of a
 * chunked answer. The parsing here is the test's own, not the proxy's.
 */
@Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class FaultProxyWireTest {

    private final List<AutoCloseable> closing = new ArrayList<>();

    @AfterEach
    void close() throws Exception {
        Collections.reverse(closing);
        for (AutoCloseable c : closing) {
            c.close();
        }
    }

    @Test
    void chunkedRequestAndAnswerPassByteForByte() throws Exception {
        String answer = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nx-amz-request-id: 1\r\n\r\n"
                + "5;ext=1\r\nhello\r\n7\r\n, world\r\n0\r\nx-trailer: t\r\n\r\n";
        Upstream up = upstream(r -> answer);
        Socket client = connect(proxy(up));
        String request = "PUT /bucket/some%20key?partNumber=2&uploadId=u HTTP/1.1\r\nHost: example.invalid:9\r\n"
                + "x-amz-Date: 20260101T000000Z\r\nAuthorization: AWS4-HMAC-SHA256 Credential=k/x, Signature=abc\r\n"
                + "Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\na;name=value\r\n0123456789\r\n0\r\nx-checksum: c\r\n\r\n";
        send(client, request);
        assertEquals(answer, readAnswer(client.getInputStream(), false));
        assertEquals(List.of(request), up.requests(0));
    }

    @Test
    void persistentConnectionsWithHeadAnswersThatHaveNoBody() throws Exception {
        Upstream up = upstream(r -> {
            if (r.startsWith("HEAD")) {
                return "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\nETag: \"e\"\r\n\r\n";
            } else if (r.contains("/chunked")) {
                return "HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n3\r\nxyz\r\n0\r\n\r\n";
            }
            return "HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\nNoSuchKey";
        });
        FaultProxy proxy = proxy(up);
        Socket client = connect(proxy);
        InputStream in = client.getInputStream();
        for (int i = 0; i < 3; i++) {
            send(client, "HEAD /b/k HTTP/1.1\r\nHost: h\r\n\r\n");
            assertEquals("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\nETag: \"e\"\r\n\r\n", readAnswer(in, true));
            send(client, "GET /b/chunked HTTP/1.1\r\nHost: h\r\n\r\n");
            assertEquals("HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n3\r\nxyz\r\n0\r\n\r\n", readAnswer(in, false));
            send(client, "PUT /b/missing HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\n\r\nbody");
            assertEquals("HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\nNoSuchKey", readAnswer(in, false));
        }
        assertEquals(1, up.connections());
        assertEquals(9, up.requests(0).size());
        assertEquals(1, proxy.acceptedConnections());
        assertEquals(9, proxy.exchanges().size());
    }

    @Test
    void expectContinueGoesToTheUpstreamAndItsInterimAnswerBack() throws Exception {
        Upstream up = upstream(r -> r.contains("/refused")
                ? "HTTP/1.1 403 Forbidden\r\nContent-Length: 6\r\n\r\ndenied"
                : "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
        up.continueUnless = "/refused";
        Socket client = connect(proxy(up));
        InputStream in = client.getInputStream();
        String head = "PUT /b/k HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n";
        send(client, head);
        assertEquals("HTTP/1.1 100 Continue\r\n\r\n", readAnswer(in, true));
        send(client, "12345");
        assertEquals("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", readAnswer(in, false));
        assertEquals(List.of(head + "12345"), up.requests(0));

        // a final answer instead of 100: the body is never sent, so the connection cannot go on
        send(client, "PUT /b/refused HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n");
        assertEquals("HTTP/1.1 403 Forbidden\r\nContent-Length: 6\r\nConnection: close\r\n\r\ndenied", readAnswer(in, false));
        assertEquals(-1, in.read());
    }

    @Test
    void payloadFaultsSpareTheChunkFraming() throws Exception {
        Upstream up = upstream(r -> "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\n4\r\nefgh\r\n0\r\n\r\n");
        FaultProxy proxy = proxy(up);
        proxy.rule().method("GET").key("^corrupt$").inject(Fault.corruptBody(3, 2));
        proxy.rule().method("GET").key("^truncate$").inject(Fault.truncateBody(6));
        proxy.rule().method("GET").key("^reset$").inject(Fault.resetResponse(50));

        Socket client = connect(proxy);
        send(client, "GET /b/corrupt HTTP/1.1\r\nHost: h\r\n\r\n");
        String flipped = "" + (char) ('d' ^ 0xff) + "\r\n4\r\n" + (char) ('e' ^ 0xff) + "fgh";
        assertEquals("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nabc" + flipped + "\r\n0\r\n\r\n",
                readAnswer(client.getInputStream(), false));

        send(client, "GET /b/truncate HTTP/1.1\r\nHost: h\r\n\r\n");
        assertEquals("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\n4\r\nef",
                new String(client.getInputStream().readAllBytes(), ISO_8859_1));

        Socket other = connect(proxy);
        send(other, "GET /b/reset HTTP/1.1\r\nHost: h\r\n\r\n");
        byte[] got = new byte[200];
        int n = 0;
        SocketException reset = null;
        try {
            for (int r; (r = other.getInputStream().read(got, n, got.length - n)) >= 0; ) {
                n += r;
            }
        } catch (SocketException e) {
            reset = e;
        }
        assertTrue(reset != null && reset.getMessage().contains("reset"), "no reset after " + n + " bytes");
        assertEquals(50, n);
    }

    @Test
    void faultsThatNeedTheBodyTellTheClientToContinue() throws Exception {
        Upstream up = upstream(r -> "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
        FaultProxy proxy = proxy(up);
        FaultRule reset = proxy.rule().key("^reset$").inject(Fault.resetRequest(90));
        FaultRule late = proxy.rule().key("^late$").inject(Fault.lateWrite(java.time.Duration.ZERO, null));

        String head = "PUT /b/reset HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 100\r\n\r\n";
        Socket client = connect(proxy);
        send(client, head);
        assertEquals("HTTP/1.1 100 Continue\r\n\r\n", readAnswer(client.getInputStream(), true));
        OutputStream out = client.getOutputStream();
        IOException e = assertThrows(IOException.class, () -> {
            for (int i = 0; i < 1000; i++) {
                out.write("x".repeat(100).getBytes(ISO_8859_1));
                out.flush();
                Thread.sleep(1);
            }
        });
        assertTrue(e.getMessage().contains("reset") || e.getMessage().contains("Broken pipe"), e.toString());
        assertEquals(1, reset.fired());
        assertEquals("reset after 90 request bytes", proxy.exchanges().get(0).detail());
        assertEquals(0, up.connections());

        String request = "PUT /b/late HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n";
        Socket other = connect(proxy);
        send(other, request);
        assertEquals("HTTP/1.1 100 Continue\r\n\r\n", readAnswer(other.getInputStream(), true));
        send(other, "abc");
        assertThrows(SocketException.class, () -> other.getInputStream().read());
        assertEquals(1, late.fired());
        assertEquals(1, proxy.heldLateWrites());
        assertEquals(0, up.connections());
        assertEquals(1, proxy.releaseLateWrites());
        assertEquals(List.of(request + "abc"), up.requests(0));
    }

    private Upstream upstream(Function<String, String> script) throws IOException {
        Upstream u = new Upstream(script);
        closing.add(u);
        return u;
    }

    private FaultProxy proxy(Upstream up) {
        FaultProxy p = FaultProxy.start(URI.create("http://127.0.0.1:" + up.port()));
        closing.add(p);
        return p;
    }

    private Socket connect(FaultProxy proxy) throws IOException {
        Socket s = new Socket(InetAddress.getLoopbackAddress(), proxy.endpoint().getPort());
        s.setSoTimeout(10_000);
        closing.add(s);
        return s;
    }

    private static void send(Socket s, String bytes) throws IOException {
        s.getOutputStream().write(bytes.getBytes(ISO_8859_1));
        s.getOutputStream().flush();
    }

    /** One answer as raw text: head, then its body by Content-Length or chunked framing (none if {@code headOnly}). */
    static String readAnswer(InputStream in, boolean headOnly) throws IOException {
        StringBuilder b = new StringBuilder();
        String head = readHead(in);
        b.append(head);
        if (!headOnly) {
            b.append(readBody(in, head));
        }
        return b.toString();
    }

    static String readHead(InputStream in) throws IOException {
        StringBuilder b = new StringBuilder();
        while (!b.toString().endsWith("\r\n\r\n")) {
            int c = in.read();
            if (c < 0) {
                throw new EOFException("end of stream in a head: " + b);
            }
            b.append((char) c);
        }
        return b.toString();
    }

    static String readBody(InputStream in, String head) throws IOException {
        String lower = head.toLowerCase(Locale.ROOT);
        StringBuilder b = new StringBuilder();
        if (lower.contains("transfer-encoding: chunked")) {
            while (true) {
                String line = readLine(in);
                b.append(line);
                int size = Integer.parseInt(line.strip().split(";")[0], 16);
                if (size == 0) {
                    String t;
                    do {
                        t = readLine(in);
                        b.append(t);
                    } while (!t.equals("\r\n"));
                    return b.toString();
                }
                b.append(new String(in.readNBytes(size + 2), ISO_8859_1));
            }
        }
        int at = lower.indexOf("content-length: ");
        if (at >= 0) {
            int length = Integer.parseInt(lower.substring(at + 16, lower.indexOf("\r\n", at)).strip());
            b.append(new String(in.readNBytes(length), ISO_8859_1));
        }
        return b.toString();
    }

    private static String readLine(InputStream in) throws IOException {
        StringBuilder b = new StringBuilder();
        while (!b.toString().endsWith("\r\n")) {
            int c = in.read();
            if (c < 0) {
                throw new EOFException("end of stream in a line: " + b);
            }
            b.append((char) c);
        }
        return b.toString();
    }

    /** A raw HTTP/1.1 server that records each request's bytes by connection and answers from a script. */
    static final class Upstream implements AutoCloseable {
        private final ServerSocket server;
        private final Function<String, String> script;
        private final List<List<String>> received = new CopyOnWriteArrayList<>();
        private final List<Socket> sockets = new CopyOnWriteArrayList<>();
        /** Requests with Expect get a 100 unless their line contains this. */
        volatile String continueUnless = "\u0000";

        Upstream(Function<String, String> script) throws IOException {
            this.script = script;
            this.server = new ServerSocket();
            server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            Thread t = new Thread(this::accept, "scripted-upstream");
            t.setDaemon(true);
            t.start();
        }

        int port() {
            return server.getLocalPort();
        }

        int connections() {
            return received.size();
        }

        List<String> requests(int connection) {
            return List.copyOf(received.get(connection));
        }

        private void accept() {
            try {
                while (true) {
                    Socket s = server.accept();
                    sockets.add(s);
                    List<String> mine = new CopyOnWriteArrayList<>();
                    received.add(mine);
                    Thread t = new Thread(() -> serve(s, mine), "scripted-upstream-conn");
                    t.setDaemon(true);
                    t.start();
                }
            } catch (IOException e) {
                // closed
            }
        }

        private void serve(Socket s, List<String> mine) {
            try (s) {
                InputStream in = s.getInputStream();
                OutputStream out = s.getOutputStream();
                while (true) {
                    String head;
                    try {
                        head = readHead(in);
                    } catch (EOFException e) {
                        return;
                    }
                    String lower = head.toLowerCase(Locale.ROOT);
                    if (lower.contains("expect: 100-continue")) {
                        if (head.contains(continueUnless)) {
                            out.write(script.apply(head).getBytes(ISO_8859_1));
                            out.flush();
                            mine.add(head);
                            return;
                        }
                        out.write("HTTP/1.1 100 Continue\r\n\r\n".getBytes(ISO_8859_1));
                        out.flush();
                    }
                    String request = head + (lower.startsWith("get") || lower.startsWith("head") ? "" : readBody(in, head));
                    mine.add(request);
                    out.write(script.apply(request).getBytes(ISO_8859_1));
                    out.flush();
                }
            } catch (IOException e) {
                // the proxy went away
            }
        }

        @Override
        public void close() throws IOException {
            server.close();
            for (Socket s : sockets) {
                s.close();
            }
        }
    }
}
