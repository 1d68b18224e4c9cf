package io.walvault.testkit;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A late write of {@link FaultProxy}: a whole request, head and body as the client sent them,
 * spooled to a file, forwarded once on a connection of its own; the upstream's answer is read
 * to its end and dropped.
 */
final class HeldWrite {

    private final FaultProxy proxy;
    private final ProxiedRequest request;
    private final Fault fault;
    private final Path spool;
    private final AtomicBoolean claimed = new AtomicBoolean();

    HeldWrite(FaultProxy proxy, ProxiedRequest request, Fault fault, Path spool) {
        this.proxy = proxy;
        this.request = request;
        this.fault = fault;
        this.spool = spool;
    }

    boolean forwarded() {
        return claimed.get();
    }

    /** Forwards the request unless that was done (or dropped) already; false then. */
    boolean forward() {
        if (!claimed.compareAndSet(false, true)) {
            return false;
        }
        int status = 0;
        String detail;
        try (Socket s = proxy.connectUpstream()) {
            OutputStream out = s.getOutputStream();
            Files.copy(spool, out);
            out.flush();
            InputStream in = new BufferedInputStream(s.getInputStream(), 64 * 1024);
            HttpHead answer;
            do {
                answer = HttpHead.read(in);
                if (answer == null) {
                    throw new EOFException("upstream closed the connection before answering");
                }
            } while (answer.status() < 200);
            BodyRelay.copy(in, answer.responseFraming(request.method()), BodyRelay.DISCARD);
            status = answer.status();
            detail = "late write forwarded, answer dropped";
        } catch (IOException e) {
            detail = "late write failed: " + e;
        } finally {
            deleteSpool();
        }
        proxy.record(new ProxyExchange(Instant.now(), request.method(), request.target(), status, fault.toString(), detail));
        return true;
    }

    /** Forgets the request without forwarding it. */
    void drop() {
        if (claimed.compareAndSet(false, true)) {
            deleteSpool();
        }
    }

    private void deleteSpool() {
        try {
            Files.deleteIfExists(spool);
        } catch (IOException e) {
            System.err.println("warning: cannot remove '" + spool + "': " + e.getMessage());
        }
    }
}
