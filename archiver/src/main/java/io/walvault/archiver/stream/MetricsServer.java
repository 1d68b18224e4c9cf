package io.walvault.archiver.stream;

import static java.util.Objects.requireNonNull;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;

/**
 * Serves {@code GET /metrics} (Prometheus text format 0.0.4) and {@code GET /health} (200 while
 * streaming with no gap, 503 otherwise) from the JDK's HTTP server on one daemon thread.
 * Started and closed by {@link Agent}.
 */
final class MetricsServer implements AutoCloseable {

    private final HttpServer server;

    MetricsServer(InetSocketAddress address, AgentMetrics metrics) {
        requireNonNull(metrics, "metrics is null");
        try {
            server = HttpServer.create(address, 8);
        } catch (IOException e) {
            throw new WalvaultException(ErrorCode.CONFIG, "cannot listen on '" + address + "' for metrics: " + e.getMessage()
                    + " HINT: choose another --metrics-listen address or port", e);
        }
        server.createContext("/metrics", ex -> answer(ex, 200, "text/plain; version=0.0.4; charset=utf-8", metrics.render()));
        server.createContext("/health", ex -> {
            boolean ok = metrics.healthy();
            answer(ex, ok ? 200 : 503, "text/plain; charset=utf-8", ok ? "ok\n" : "not streaming or gap detected\n");
        });
        server.setExecutor(Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "walvault-agent-metrics");
            t.setDaemon(true);
            return t;
        }));
        server.start();
    }

    /** The address actually bound (port 0 picks a free one). */
    InetSocketAddress address() {
        return server.getAddress();
    }

    private static void answer(HttpExchange ex, int status, String type, String body) throws IOException {
        try (ex) {
            if (!"GET".equals(ex.getRequestMethod()) && !"HEAD".equals(ex.getRequestMethod())) {
                ex.sendResponseHeaders(405, -1);
                return;
            }
            byte[] b = body.getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("Content-Type", type);
            ex.sendResponseHeaders(status, b.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(b);
            }
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
