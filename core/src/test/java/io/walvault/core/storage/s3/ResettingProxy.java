package io.walvault.core.storage.s3;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * A TCP proxy in front of an HTTP server (S3Proxy) that resets the connection in the middle of
 * chosen responses: after their headers and {@code bodyBytes} bytes of body, the client's socket
 * is closed with a TCP reset, as a load balancer or a flaky network does. It may also rewrite request
 * heads on their way (to model a store that ignores some headers). Every request is made
 * to close its connection ({@code Connection: close}), so each connection carries one exchange
 * and the proxy needs no HTTP framing beyond the request's head. Loopback only; for tests.
 */
final class ResettingProxy implements AutoCloseable {

    private final InetSocketAddress upstream;
    private final Predicate<String> requestLine;
    private final int bodyBytes;
    private final AtomicInteger faultsLeft;
    private final AtomicInteger resets = new AtomicInteger();
    private final ServerSocket server;
    private final List<Socket> open = new CopyOnWriteArrayList<>();
    private final Thread acceptor;
    private volatile java.util.function.UnaryOperator<String> headRewriter = java.util.function.UnaryOperator.identity();

    /**
     * @param requestLine which requests to break, by their request line ({@code GET /bucket?list-type=2...})
     * @param faults      how many responses to break, then none
     * @param bodyBytes   body bytes let through before the reset
     */
    ResettingProxy(URI upstream, Predicate<String> requestLine, int faults, int bodyBytes) throws IOException {
        this.upstream = new InetSocketAddress(upstream.getHost(), upstream.getPort());
        this.requestLine = requestLine;
        this.bodyBytes = bodyBytes;
        this.faultsLeft = new AtomicInteger(faults);
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        this.acceptor = new Thread(this::accept, "resetting-proxy");
        this.acceptor.setDaemon(true);
        this.acceptor.start();
    }

    /** Rewrites each request head (its lines, without the final blank line) before it goes upstream. */
    ResettingProxy rewritingRequestHeads(java.util.function.UnaryOperator<String> rewriter) {
        this.headRewriter = rewriter;
        return this;
    }

    URI endpoint() {
        return URI.create("http://127.0.0.1:" + server.getLocalPort());
    }

    /** Responses broken so far. */
    int resets() {
        return resets.get();
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket client = server.accept();
                open.add(client);
                Thread t = new Thread(() -> serve(client), "resetting-proxy-conn");
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    private void serve(Socket client) {
        try (client; Socket up = new Socket()) {
            open.add(up);
            up.connect(upstream, 5000);
            InputStream cin = client.getInputStream();
            byte[] head = readHead(cin);
            if (head == null) {
                return;
            }
            String text = new String(head, StandardCharsets.ISO_8859_1);
            String line = text.substring(0, text.indexOf("\r\n"));
            StringBuilder rewritten = new StringBuilder();
            for (String h : headRewriter.apply(text.substring(0, text.length() - 4)).split("\r\n")) {
                if (!h.regionMatches(true, 0, "connection:", 0, 11)) {
                    rewritten.append(h).append("\r\n");
                }
            }
            rewritten.append("Connection: close\r\n\r\n");
            OutputStream uout = up.getOutputStream();
            uout.write(rewritten.toString().getBytes(StandardCharsets.ISO_8859_1));
            uout.flush();
            Thread body = new Thread(() -> {
                try {
                    cin.transferTo(uout);
                    up.shutdownOutput();
                } catch (IOException ignored) {
                    // either side went away
                }
            }, "resetting-proxy-body");
            body.setDaemon(true);
            body.start();
            InputStream uin = up.getInputStream();
            OutputStream cout = client.getOutputStream();
            boolean breakIt = requestLine.test(line) && faultsLeft.getAndUpdate(n -> Math.max(0, n - 1)) > 0;
            if (!breakIt) {
                uin.transferTo(cout);
                cout.flush();
                return;
            }
            byte[] responseHead = readHead(uin);
            if (responseHead == null) {
                return;
            }
            cout.write(responseHead);
            byte[] some = uin.readNBytes(bodyBytes);
            cout.write(some);
            cout.flush();
            resets.incrementAndGet();
            client.setSoLinger(true, 0); // close with RST: "connection reset" on the client
        } catch (IOException ignored) {
            // the client or the server went away
        }
    }

    /** The bytes up to and including the blank line that ends an HTTP head, or null at EOF. */
    private static byte[] readHead(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int state = 0;
        while (state < 4) {
            int c = in.read();
            if (c < 0) {
                return null;
            }
            b.write(c);
            state = (c == '\r' && (state == 0 || state == 2)) || (c == '\n' && (state == 1 || state == 3)) ? state + 1
                    : c == '\r' ? 1 : 0;
        }
        return b.toByteArray();
    }

    @Override
    public void close() throws IOException {
        server.close();
        for (Socket s : open) {
            s.close();
        }
        try {
            acceptor.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
