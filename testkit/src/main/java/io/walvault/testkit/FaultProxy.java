package io.walvault.testkit;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An HTTP/1.1 proxy that puts faults between an S3 client and an S3 API, for tests of what
 * walvault does when S3 misbehaves. It listens on a free loopback port and forwards every
 * request to one upstream endpoint (an {@link S3Server}), applying the {@link Fault} of the
 * first {@link FaultRule} that fires on it:
 *
 * <pre>
 *   S3 client ──http──▶ FaultProxy ──http──▶ S3Server (S3Proxy)
 *   (endpoint()          │ rules: method, path/key, query, skip/times, for a while
 *    path-style)         │ faults: error status, reset, truncate, corrupt, stall, late write
 *                        └ log: method, target, status, fault of each request
 * </pre>
 *
 * <p>Requests pass byte for byte, head included: the client signed them (SigV4 signs the Host
 * header, which keeps naming the proxy) and the upstream checks the signature as sent. The
 * proxy connects to the upstream by address only. Bodies are streamed through in bounded
 * buffers, framed by Content-Length or chunked in either direction, and answers to HEAD have
 * none; persistent connections stay persistent on both sides (one upstream connection per client
 * connection), and {@code Expect: 100-continue} is passed on to the upstream, whose interim
 * answer goes back to the client. Where a fault needs the request body before the upstream
 * sees it, the proxy tells the client to continue itself; a late write spools the request to a
 * temporary file.
 *
 * <p>Usage:
 *
 * <pre>{@code
 * try (FaultProxy proxy = FaultProxy.inFrontOf(server); S3Client s3 = server.newClient(proxy.endpoint(), 1)) {
 *     FaultRule slow = proxy.rule().method("PUT").key("^wal/").inject(Fault.slowDown());
 *     assertEquals(503, assertThrows(S3Exception.class, () -> s3.putObject(...)).statusCode());
 *     assertEquals(1, slow.fired());
 * }
 * }</pre>
 *
 * or take a {@code FaultProxy} parameter in a test run with {@link S3Extension}, and hand the
 * code under test {@code bucket.through(proxy)} ({@link S3Bucket#through}).
 *
 * <p>Thread-safe: every method may be called from any thread while requests go through. Each
 * client connection has its own thread.
 *
 * <p>Length: the proxy's rules (which request gets which fault, and counting them) and its
 * lifecycle; the bytes of a connection are {@link ProxyConnection}'s.
 */
public final class FaultProxy implements AutoCloseable {

    /** How many exchanges the log keeps (the oldest go first). */
    public static final int LOG_LIMIT = 10_000;

    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
    private static final AtomicInteger THREADS = new AtomicInteger();

    private final URI upstream;
    private final InetSocketAddress upstreamAddress;
    private final int port;
    private final List<FaultRule> rules = new CopyOnWriteArrayList<>();
    private final ArrayDeque<ProxyExchange> log = new ArrayDeque<>();
    private final Set<ProxyConnection> connections = ConcurrentHashMap.newKeySet();
    private final AtomicInteger accepted = new AtomicInteger();
    private final List<HeldWrite> held = new ArrayList<>();
    private final ScheduledExecutorService timer;
    private final Object listening = new Object();
    private final Thread acceptor;
    private ServerSocket listener;
    private Path spoolDir;
    private volatile boolean closed;

    private FaultProxy(URI upstream, ServerSocket listener) {
        this.upstream = upstream;
        this.upstreamAddress = new InetSocketAddress(upstream.getHost(), upstream.getPort());
        this.listener = listener;
        this.port = listener.getLocalPort();
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "fault-proxy-" + port + "-timer"));
        this.acceptor = daemon(this::acceptLoop, "fault-proxy-" + port + "-accept");
    }

    /** Starts a proxy in front of {@code server}. */
    public static FaultProxy inFrontOf(S3Server server) {
        return start(requireNonNull(server, "server is null").endpoint());
    }

    /** Starts a proxy on a free loopback port that forwards to {@code upstream} ({@code http://host:port}). */
    public static FaultProxy start(URI upstream) {
        requireNonNull(upstream, "upstream is null");
        if (!"http".equals(upstream.getScheme()) || upstream.getHost() == null || upstream.getPort() < 0) {
            throw new IllegalArgumentException("upstream '" + upstream + "' is not http://host:port");
        }
        FaultProxy proxy = new FaultProxy(upstream, bind(0));
        proxy.acceptor.start();
        return proxy;
    }

    /** Where clients reach the proxy: {@code http://127.0.0.1:<port>}. */
    public URI endpoint() {
        return URI.create("http://" + LOOPBACK.getHostAddress() + ":" + port);
    }

    /** Where the proxy forwards to. */
    public URI upstream() {
        return upstream;
    }

    /** Starts a rule; {@link FaultRule.Builder#inject} installs it. */
    public FaultRule.Builder rule() {
        return new FaultRule.Builder(this);
    }

    /**
     * Applies {@code fault} to every request until the returned rule is
     * {@link FaultRule#remove() removed}: an outage ({@link Fault#serviceUnavailable()},
     * {@link Fault#reset()}...). It comes before every other rule.
     */
    public FaultRule outage(Fault fault) {
        FaultRule rule = FaultRule.everything(this, requireNonNull(fault, "fault is null"), null);
        addRule(rule, true);
        return rule;
    }

    /** {@link #outage(Fault)} that ends by itself after {@code duration}. */
    public FaultRule outage(Fault fault, Duration duration) {
        requireNonNull(fault, "fault is null");
        requireNonNull(duration, "duration is null");
        if (duration.isNegative() || duration.isZero()) {
            throw new IllegalArgumentException("duration " + duration + " is not positive");
        }
        FaultRule rule = FaultRule.everything(this, fault, duration);
        addRule(rule, true);
        return rule;
    }

    /** The rules installed, in the order they are asked. */
    public List<FaultRule> rules() {
        return List.copyOf(rules);
    }

    /** Removes every rule (outages included). */
    public void clearRules() {
        for (FaultRule r : rules) {
            r.remove();
        }
    }

    /**
     * Stops listening, so new connections are refused (the client's connect fails), and resets
     * every open client connection, until {@link #acceptConnections()}.
     */
    public void refuseConnections() {
        synchronized (listening) {
            if (listener != null) {
                closeQuietly(listener);
                listener = null;
            }
        }
        for (ProxyConnection c : connections) {
            c.abort();
        }
    }

    /**
     * Listens again on the same port after {@link #refuseConnections()}.
     *
     * @throws IllegalStateException if the port was taken meanwhile
     */
    public void acceptConnections() {
        synchronized (listening) {
            if (closed) {
                throw new IllegalStateException("fault proxy is closed");
            }
            if (listener == null) {
                listener = bind(port);
                listening.notifyAll();
            }
        }
    }

    /**
     * Forwards now every late write not forwarded yet (in the order they were received), each
     * on its own connection, and returns when the upstream has answered them all.
     *
     * @return how many were forwarded
     */
    public int releaseLateWrites() {
        List<HeldWrite> now;
        synchronized (held) {
            now = List.copyOf(held);
            held.clear();
        }
        int n = 0;
        for (HeldWrite w : now) {
            if (w.forward()) {
                n++;
            }
        }
        return n;
    }

    /** How many late writes are held, not forwarded yet. */
    public int heldLateWrites() {
        synchronized (held) {
            return (int) held.stream().filter(w -> !w.forwarded()).count();
        }
    }

    /** How many client connections the proxy accepted so far (a client that keeps its connections alive opens few). */
    public int acceptedConnections() {
        return accepted.get();
    }

    /** The log: the last {@link #LOG_LIMIT} exchanges, oldest first. */
    public List<ProxyExchange> exchanges() {
        synchronized (log) {
            return List.copyOf(log);
        }
    }

    /**
     * Stops listening, resets every connection, drops the late writes still held and frees the
     * port. Idempotent.
     */
    @Override
    public void close() {
        synchronized (listening) {
            if (closed) {
                return;
            }
            closed = true;
            if (listener != null) {
                closeQuietly(listener);
                listener = null;
            }
            listening.notifyAll();
        }
        for (ProxyConnection c : connections) {
            c.abort();
        }
        timer.shutdownNow();
        try {
            acceptor.join(5_000);
            timer.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        List<HeldWrite> dropped;
        synchronized (held) {
            dropped = List.copyOf(held);
            held.clear();
        }
        for (HeldWrite w : dropped) {
            w.drop();
        }
        synchronized (this) {
            if (spoolDir != null) {
                try {
                    PgInstallation.deleteTree(spoolDir);
                } catch (IOException e) {
                    System.err.println("warning: cannot remove '" + spoolDir + "': " + e.getMessage());
                }
            }
        }
    }

    @Override
    public String toString() {
        return "fault proxy " + endpoint() + " -> " + upstream;
    }

    /** The first rule that fires on {@code request}, or null: the request passes. */
    FaultRule decide(ProxiedRequest request) {
        for (FaultRule r : rules) {
            if (r.take(request)) {
                return r;
            }
        }
        return null;
    }

    void addRule(FaultRule rule, boolean first) {
        if (first) {
            rules.add(0, rule);
        } else {
            rules.add(rule);
        }
    }

    void removeRule(FaultRule rule) {
        rules.remove(rule);
    }

    void record(ProxyExchange exchange) {
        synchronized (log) {
            if (log.size() == LOG_LIMIT) {
                log.removeFirst();
            }
            log.addLast(exchange);
        }
    }

    Socket connectUpstream() throws IOException {
        Socket s = new Socket();
        try {
            s.setTcpNoDelay(true);
            s.connect(upstreamAddress, 10_000);
            return s;
        } catch (IOException e) {
            closeQuietly(s);
            throw e;
        }
    }

    /** A new file for a request to hold, in a directory removed by {@link #close()}. */
    Path spoolFile() throws IOException {
        synchronized (this) {
            if (spoolDir == null) {
                spoolDir = Files.createTempDirectory("walvault-fault-proxy-");
            }
            return Files.createTempFile(spoolDir, "request-", ".http");
        }
    }

    /** Keeps {@code write} until {@link #releaseLateWrites()}, or forwards it after {@code delay}. */
    void hold(HeldWrite write, Duration delay) {
        synchronized (held) {
            held.add(write);
        }
        if (delay != null) {
            try {
                timer.schedule(() -> {
                    synchronized (held) {
                        held.remove(write);
                    }
                    write.forward();
                }, delay.toNanos(), TimeUnit.NANOSECONDS);
            } catch (RejectedExecutionException e) {
                // closing: close() drops it
            }
        }
    }

    void forget(ProxyConnection connection) {
        connections.remove(connection);
    }

    private void acceptLoop() {
        while (true) {
            ServerSocket ss;
            synchronized (listening) {
                while (!closed && listener == null) {
                    try {
                        listening.wait();
                    } catch (InterruptedException e) {
                        return;
                    }
                }
                if (closed) {
                    return;
                }
                ss = listener;
            }
            Socket s;
            try {
                s = ss.accept();
                accepted.incrementAndGet();
            } catch (IOException e) {
                continue; // the listener was closed: refusing, or closing
            }
            try {
                ProxyConnection c = new ProxyConnection(this, s);
                connections.add(c);
                if (closed) {
                    c.abort();
                    continue;
                }
                daemon(c, "fault-proxy-" + port + "-conn-" + THREADS.incrementAndGet()).start();
            } catch (IOException | RuntimeException e) {
                ProxyConnection.reset(s);
            }
        }
    }

    private static ServerSocket bind(int port) {
        ServerSocket s = null;
        try {
            s = new ServerSocket();
            s.setReuseAddress(true);
            s.bind(new InetSocketAddress(LOOPBACK, port), 128);
            return s;
        } catch (IOException e) {
            closeQuietly(s);
            if (port != 0) {
                throw new IllegalStateException("cannot listen on port " + port + " again: " + e.getMessage(), e);
            }
            throw new UncheckedIOException("cannot listen on a loopback port: " + e.getMessage(), e);
        }
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    static void closeQuietly(AutoCloseable c) {
        if (c != null) {
            try {
                c.close();
            } catch (Exception ignored) {
                // nothing to do about it: the peer sees the connection end either way
            }
        }
    }
}
