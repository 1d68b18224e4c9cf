package io.walvault.testkit;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One client connection of {@link FaultProxy}, on a thread of its own: reads request after
 * request, asks the proxy's rules about each, and forwards it or applies the fault, on one
 * upstream connection kept as long as both sides keep theirs.
 *
 * <pre>
 *   client ──head──▶ rules ──┬─ no fault ─▶ head+body ──▶ upstream ──answer──▶ client
 *                            ├─ Status ──────────────────────────── S3 error ─▶ client
 *                            ├─ ResetRequest ─ read n bytes (─▶ upstream, FIN) ─ RST ─▶ client
 *                            ├─ Stall ─ wait ─▶ as no fault
 *                            ├─ LateWrite ─ spool to a file ─ hold, RST ─▶ client; later ─▶ upstream
 *                            └─ answer faults ─▶ as no fault, the answer through a FaultingSink
 * </pre>
 *
 * <p>Length: one proxied connection's two directions and every fault that can be injected into
 * either, which share the connection's state.
 */
final class ProxyConnection implements Runnable {

    private static final int BUFFER = 64 * 1024;
    private static final byte[] CONTINUE = "HTTP/1.1 100 Continue\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1);
    /** An upstream connection idle longer than this is replaced: the upstream may have timed it out. */
    /** How long the upstream may take to answer {@code Expect: 100-continue} before the body goes anyway. */
    private static final int CONTINUE_WAIT_MILLIS = 2_000;
    private static final long UPSTREAM_IDLE_NANOS = Duration.ofSeconds(5).toNanos();
    private static final AtomicLong REQUEST_IDS = new AtomicLong();
    private static final Map<Integer, String> REASONS = Map.of(400, "Bad Request", 403, "Forbidden", 404, "Not Found",
            409, "Conflict", 412, "Precondition Failed", 500, "Internal Server Error", 501, "Not Implemented",
            502, "Bad Gateway", 503, "Service Unavailable", 504, "Gateway Timeout");

    private final FaultProxy proxy;
    private final Socket client;
    private final InputStream in;
    private final OutputStream out;
    private volatile Socket upstream; // read by abort() from other threads
    private InputStream upIn;
    private OutputStream upOut;
    private long upstreamIdleSince;
    private volatile Thread thread;
    private volatile boolean aborted;

    /**
     * What the log says about one exchange. Recorded before the client can see the end of its
     * answer (the last flush, the reset), so a test that got its answer finds it in the log.
     */
    private final class Outcome {
        final Instant at = Instant.now();
        final ProxiedRequest request;
        final Fault fault;
        int status;
        String detail = "";
        boolean recorded;

        Outcome(ProxiedRequest request, Fault fault) {
            this.request = request;
            this.fault = fault;
        }

        void record() {
            if (!recorded) {
                recorded = true;
                proxy.record(new ProxyExchange(at, request.method(), request.target(), status,
                        fault == null ? "" : fault.toString(), detail));
            }
        }
    }

    ProxyConnection(FaultProxy proxy, Socket client) throws IOException {
        this.proxy = proxy;
        this.client = client;
        client.setTcpNoDelay(true);
        this.in = new BufferedInputStream(client.getInputStream(), BUFFER);
        this.out = new BufferedOutputStream(client.getOutputStream(), BUFFER);
    }

    @Override
    public void run() {
        thread = Thread.currentThread();
        try {
            boolean open = !aborted;
            while (open) {
                HttpHead head = HttpHead.read(in);
                if (head == null) {
                    break;
                }
                open = exchange(head);
            }
        } catch (IOException e) {
            // the client went away, or broke the protocol: there is nobody to tell
        } catch (InterruptedException e) {
            // the proxy is closing
        } finally {
            FaultProxy.closeQuietly(upstream);
            FaultProxy.closeQuietly(client);
            proxy.forget(this);
        }
    }

    /** Resets the client connection and closes the upstream one (refusing or closing). */
    void abort() {
        aborted = true;
        reset(client);
        FaultProxy.closeQuietly(upstream);
        Thread t = thread;
        if (t != null) {
            t.interrupt();
        }
    }

    /** Closes {@code s} with a TCP reset (SO_LINGER 0) instead of a FIN. */
    static void reset(Socket s) {
        try {
            s.setSoLinger(true, 0);
        } catch (IOException ignored) {
            // closed already
        }
        FaultProxy.closeQuietly(s);
    }

    /** Handles one request; whether the connection stays open for the next. */
    private boolean exchange(HttpHead head) throws IOException, InterruptedException {
        ProxiedRequest request = ProxiedRequest.of(head.method(), head.target());
        FaultRule rule = proxy.decide(request);
        Fault fault = rule == null ? null : rule.fault();
        Outcome o = new Outcome(request, fault);
        try {
            if (fault == null) {
                return forward(head, null, o);
            } else if (fault instanceof Fault.Status) {
                return answer(head, request, (Fault.Status) fault, o);
            } else if (fault instanceof Fault.ResetRequest) {
                resetRequest(head, (Fault.ResetRequest) fault, o);
                return false;
            } else if (fault instanceof Fault.Stall) {
                sleep(((Fault.Stall) fault).delay());
                return forward(head, null, o);
            } else if (fault instanceof Fault.LateWrite) {
                lateWrite(head, request, (Fault.LateWrite) fault, o);
                return false;
            } else {
                return forward(head, fault, o);
            }
        } catch (IOException e) {
            if (o.detail.isEmpty()) {
                o.detail = "connection failed: " + e;
            }
            throw e;
        } finally {
            o.record();
        }
    }

    /** Forwards the request and relays the answer, through the answer's fault if any. */
    private boolean forward(HttpHead head, Fault fault, Outcome o) throws IOException, InterruptedException {
        HttpHead.Framing body = head.requestFraming();
        boolean[] progress = new boolean[2]; // [0]: the client got bytes, [1]: the body was read from it
        HttpHead answer;
        boolean rejected; // the upstream answered before the body it had to ask for
        try {
            boolean reused = openUpstream();
            try {
                answer = send(head, body, progress);
            } catch (IOException e) {
                if (!reused || progress[0] || progress[1]) {
                    throw e;
                }
                // the upstream had closed the idle connection, and nothing is lost yet: once more
                closeUpstream();
                openUpstream();
                answer = send(head, body, progress);
            }
            rejected = body.hasBody() && !progress[1];
        } catch (IOException e) {
            closeUpstream();
            o.detail = "forwarding failed: " + e;
            if (!progress[0] && !client.isClosed()) {
                try {
                    out.write(errorResponse(502, "BadGateway", "fault proxy: " + e, head.target(), head.method(), true));
                    o.status = 502;
                    o.record();
                    out.flush();
                } catch (IOException ignored) {
                    // the client is gone too
                }
            }
            return false;
        }

        o.status = answer.status();
        HttpHead.Framing answerBody = answer.responseFraming(head.method());
        boolean close = rejected || head.closes() || answer.closes() || answerBody.kind() == HttpHead.Kind.UNTIL_CLOSE;
        byte[] answerHead = close && !answer.closes() ? answer.withConnectionClose() : answer.raw();
        if (fault instanceof Fault.StallResponse) {
            sleep(((Fault.StallResponse) fault).delay());
        }
        FaultingSink sink = answerSink(fault);
        try {
            sink.head(answerHead);
            BodyRelay.copy(upIn, answerBody, sink);
        } catch (FaultingSink.Cut cut) {
            o.detail = cut.getMessage();
            o.record();
            closeUpstream();
            if (cut.reset) {
                reset(client);
            } else {
                client.shutdownOutput();
            }
            return false;
        }
        upstreamIdleSince = System.nanoTime();
        if (fault instanceof Fault.ResetResponse) {
            o.detail = "reset after the whole answer of " + sink.rawBytes() + " bytes";
            o.record();
            out.flush();
            closeUpstream();
            reset(client);
            return false;
        }
        if (fault instanceof Fault.CorruptBody) {
            o.detail = "flipped " + sink.corrupted() + " body bytes";
        } else if (fault instanceof Fault.TruncateBody) {
            o.detail = "body of " + sink.contentBytes() + " bytes passed whole";
        }
        o.record();
        out.flush();
        if (close) {
            closeUpstream();
            closeGracefully();
        }
        return !close;
    }

    /**
     * Sends the request upstream (opening a connection if needed) and returns the final answer's
     * head; interim answers go to the client. With {@code Expect: 100-continue} the body follows
     * the upstream's 100 only, and a final answer instead of it comes back with the body unread.
     */
    private HttpHead send(HttpHead head, HttpHead.Framing body, boolean[] progress) throws IOException {
        upOut.write(head.raw());
        boolean waitForContinue = body.hasBody() && head.expectsContinue();
        if (body.hasBody() && !waitForContinue) {
            progress[1] = true;
            BodyRelay.copy(in, body, BodyRelay.to(upOut));
        }
        upOut.flush();
        if (waitForContinue && !answerWithin(CONTINUE_WAIT_MILLIS)) {
            // an upstream that ignores the expectation waits for the body: have the client send it
            out.write(CONTINUE);
            out.flush();
            progress[0] = true;
            waitForContinue = false;
            progress[1] = true;
            BodyRelay.copy(in, body, BodyRelay.to(upOut));
            upOut.flush();
        }
        while (true) {
            HttpHead h = readAnswerHead();
            if (h.status() >= 200) {
                return h;
            }
            out.write(h.raw());
            out.flush();
            progress[0] = true;
            if (h.status() == 100 && waitForContinue) {
                waitForContinue = false;
                progress[1] = true;
                BodyRelay.copy(in, body, BodyRelay.to(upOut));
                upOut.flush();
            }
        }
    }

    private FaultingSink answerSink(Fault fault) {
        if (fault instanceof Fault.ResetResponse) {
            return FaultingSink.resetAfter(out, ((Fault.ResetResponse) fault).afterBytes());
        } else if (fault instanceof Fault.TruncateBody) {
            return FaultingSink.truncateAfter(out, ((Fault.TruncateBody) fault).afterBytes());
        } else if (fault instanceof Fault.CorruptBody) {
            Fault.CorruptBody c = (Fault.CorruptBody) fault;
            return FaultingSink.corrupt(out, c.offset(), c.count());
        }
        return FaultingSink.plain(out);
    }

    /** Answers an S3 error without forwarding. */
    private boolean answer(HttpHead head, ProxiedRequest request, Fault.Status s, Outcome o) throws IOException {
        HttpHead.Framing body = head.requestFraming();
        boolean close = head.closes();
        if (body.hasBody()) {
            if (head.expectsContinue()) {
                close = true; // the client waits for a 100 that will not come, and sends no body
            } else {
                BodyRelay.copy(in, body, BodyRelay.DISCARD);
            }
        }
        out.write(errorResponse(s.status(), s.code(), s.message(), request.path(), head.method(), close));
        o.status = s.status();
        o.record();
        out.flush();
        if (close) {
            closeGracefully();
        }
        return !close;
    }

    /** Reads the head and some body bytes, maybe passes them on, and resets the client. */
    private void resetRequest(HttpHead head, Fault.ResetRequest r, Outcome o) throws IOException {
        HttpHead.Framing body = head.requestFraming();
        long bodyBytes = r.afterBytes() - head.raw().length;
        OutputStream to = null;
        if (r.forwardPart()) {
            closeUpstream();
            openUpstream();
            upOut.write(head.raw());
            to = upOut;
        }
        long read = head.raw().length;
        if (bodyBytes > 0 && body.hasBody()) {
            if (head.expectsContinue()) {
                out.write(CONTINUE);
                out.flush();
            }
            FaultingSink sink = FaultingSink.resetAfter(to, bodyBytes);
            try {
                BodyRelay.copy(in, body, sink);
            } catch (FaultingSink.Cut cut) {
                // as planned
            }
            read += sink.rawBytes();
        }
        if (to != null) {
            // an orderly end: the upstream gets every byte sent, then sees the request end early
            upOut.flush();
            upstream.shutdownOutput();
            closeUpstream();
        }
        o.detail = "reset after " + read + " request bytes" + (r.forwardPart() ? ", sent upstream" : "");
        o.record();
        reset(client);
    }

    /** Spools the request, leaves the client without an answer, and has the proxy forward it later. */
    private void lateWrite(HttpHead head, ProxiedRequest request, Fault.LateWrite l, Outcome o)
            throws IOException, InterruptedException {
        HttpHead.Framing body = head.requestFraming();
        Path spool = proxy.spoolFile();
        try (OutputStream file = new BufferedOutputStream(Files.newOutputStream(spool), BUFFER)) {
            file.write(head.raw());
            if (body.hasBody()) {
                if (head.expectsContinue()) {
                    out.write(CONTINUE);
                    out.flush();
                }
                BodyRelay.copy(in, body, BodyRelay.to(file));
            }
        } catch (IOException e) {
            Files.deleteIfExists(spool);
            o.detail = "late write not held, the request did not arrive whole: " + e;
            throw e;
        }
        proxy.hold(new HeldWrite(proxy, request, l, spool), l.forwardAfter());
        Duration hold = l.resetClientAfter();
        o.detail = "held as a late write, " + (hold == null ? "client held until it closes"
                : hold.isZero() ? "client reset at once" : "client reset after " + hold);
        o.record();
        if (hold != null && hold.isZero()) {
            reset(client);
            return;
        }
        client.setSoTimeout(hold == null ? 0 : (int) Math.max(1, Math.min(Integer.MAX_VALUE, hold.toMillis())));
        try {
            drainUntilClosed();
        } catch (SocketTimeoutException e) {
            // time to reset
        }
        reset(client);
    }

    private void drainUntilClosed() throws IOException {
        byte[] buf = new byte[BUFFER];
        try {
            while (in.read(buf) >= 0) {
                // a client waiting for an answer sends nothing more; drop whatever comes
            }
        } catch (SocketTimeoutException e) {
            throw e;
        } catch (IOException e) {
            // reset by the client: closed too
        }
    }

    /** Opens an upstream connection unless one is open and fresh; whether it was reused. */
    private boolean openUpstream() throws IOException {
        if (upstream != null && (System.nanoTime() - upstreamIdleSince > UPSTREAM_IDLE_NANOS || upIn.available() > 0)) {
            closeUpstream(); // idle too long, or bytes nobody asked for: not to be trusted
        }
        if (upstream != null) {
            return true;
        }
        upstream = proxy.connectUpstream();
        upIn = new BufferedInputStream(upstream.getInputStream(), BUFFER);
        upOut = new BufferedOutputStream(upstream.getOutputStream(), BUFFER);
        upstreamIdleSince = System.nanoTime();
        if (aborted) {
            closeUpstream();
            throw new IOException("fault proxy connection aborted");
        }
        return false;
    }

    /** Whether the upstream starts an answer within {@code millis}; nothing is consumed. */
    private boolean answerWithin(int millis) throws IOException {
        upIn.mark(1);
        upstream.setSoTimeout(millis);
        try {
            upIn.read();
            upIn.reset();
            return true;
        } catch (SocketTimeoutException e) {
            return false;
        } finally {
            upstream.setSoTimeout(0);
        }
    }

    private HttpHead readAnswerHead() throws IOException {
        HttpHead h = HttpHead.read(upIn);
        if (h == null) {
            throw new EOFException("upstream closed the connection before answering");
        }
        return h;
    }

    private void closeUpstream() {
        FaultProxy.closeQuietly(upstream);
        upstream = null;
        upIn = null;
        upOut = null;
    }

    /** Ends the client connection after a whole answer: FIN, then what the client still sends is read and dropped. */
    private void closeGracefully() {
        try {
            client.shutdownOutput();
            client.setSoTimeout(1_000);
            drainUntilClosed();
        } catch (IOException ignored) {
            // the connection ends either way
        }
    }

    private static void sleep(Duration d) throws InterruptedException {
        long ms = d.toMillis();
        int ns = (int) (d.toNanos() - ms * 1_000_000);
        if (ms > 0 || ns > 0) {
            Thread.sleep(ms, ns);
        }
    }

    /** An S3 error answer: status line, XML error document (none for HEAD), maybe Connection: close. */
    static byte[] errorResponse(int status, String code, String message, String resource, String method, boolean close) {
        String id = String.format("FAULT%011d", REQUEST_IDS.incrementAndGet());
        byte[] xml = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>" + xml(code) + "</Code><Message>"
                + xml(message) + "</Message><Resource>" + xml(resource) + "</Resource><RequestId>" + id
                + "</RequestId></Error>").getBytes(StandardCharsets.UTF_8);
        String head = "HTTP/1.1 " + status + " " + REASONS.getOrDefault(status, "Error") + "\r\n"
                + "Date: " + DateTimeFormatter.RFC_1123_DATE_TIME.format(ZonedDateTime.now(ZoneOffset.UTC)) + "\r\n"
                + "Server: walvault-fault-proxy\r\n"
                + "x-amz-request-id: " + id + "\r\n"
                + "Content-Type: application/xml\r\n"
                + "Content-Length: " + xml.length + "\r\n"
                + (close ? "Connection: close\r\n" : "")
                + "\r\n";
        byte[] h = head.getBytes(StandardCharsets.ISO_8859_1);
        if ("HEAD".equals(method)) {
            return h;
        }
        byte[] all = new byte[h.length + xml.length];
        System.arraycopy(h, 0, all, 0, h.length);
        System.arraycopy(xml, 0, all, h.length, xml.length);
        return all;
    }

    private static String xml(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
