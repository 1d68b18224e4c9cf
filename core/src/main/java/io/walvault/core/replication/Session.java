package io.walvault.core.replication;

import static java.util.Objects.requireNonNull;

import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;
import io.walvault.core.replication.conn.ConnectionSettings;
import io.walvault.core.replication.wire.BackendDecoding;
import io.walvault.core.replication.wire.BackendMessage;
import io.walvault.core.replication.wire.MessageReader;
import io.walvault.core.replication.wire.Transport;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One protocol session on a {@link Transport}, once started ({@link SessionStartup}): the
 * stream of backend messages with notices and parameter statuses handled in passing, the
 * session's state (server version, backend pid, reported parameters), who owns it (a WAL
 * stream, until it ends), and its end. Everything a command ({@link SimpleQuery},
 * {@link BaseBackupRun}, {@link WalStream}) reads goes through {@link #next}. One thread reads;
 * {@link #close} may be called from any thread.
 */
final class Session {

    private static final Logger LOG = LoggerFactory.getLogger(Session.class);
    /** How long a blocked read waits before checking again that the connection is alive. */
    private static final Duration POLL = Duration.ofSeconds(1);

    private final Transport transport;
    private final ConnectionSettings settings;
    private final Map<String, String> parameters = new ConcurrentHashMap<>();
    private volatile ServerVersion version;
    private volatile int backendPid;
    private volatile Consumer<ServerMessage> noticeListener = n -> { };
    private volatile boolean closed;
    /** Closed by the caller ({@link #close}), as opposed to lost or closed after an error. */
    private volatile boolean closedByCaller;
    /** A WAL stream owns the connection until it ends. */
    private volatile WalStream activeStream;

    Session(Transport transport, ConnectionSettings settings) {
        this.transport = requireNonNull(transport, "transport is null");
        this.settings = requireNonNull(settings, "settings is null");
    }

    Transport transport() {
        return transport;
    }

    ConnectionSettings settings() {
        return settings;
    }

    ServerVersion version() {
        return version;
    }

    void started(ServerVersion version, int backendPid) {
        this.version = requireNonNull(version, "version is null");
        this.backendPid = backendPid;
    }

    int backendPid() {
        return backendPid;
    }

    Optional<String> parameter(String name) {
        return Optional.ofNullable(parameters.get(name));
    }

    void onNotice(Consumer<ServerMessage> listener) {
        this.noticeListener = requireNonNull(listener, "listener is null");
    }

    ServerErrors.Context context(String slot) {
        return new ServerErrors.Context(settings.user(), transport.endpoint().toString(), slot);
    }

    /**
     * The next message that is not a notice or parameter status (those are handled here),
     * waiting as long as it takes; fails if the connection is lost.
     */
    BackendMessage next() {
        while (true) {
            BackendMessage m = nextOrNull(POLL);
            if (m != null) {
                return m;
            }
        }
    }

    /** As {@link #next()}, or null if nothing came within {@code timeout}. */
    BackendMessage nextOrNull(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            BackendMessage m;
            try {
                m = transport.receive(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
            } catch (WalvaultException e) {
                closed = true;
                if (closedByCaller && e instanceof ConnectionLostException) {
                    throw new WalvaultException(ErrorCode.INTERRUPTED, "the operation on '" + transport.endpoint()
                            + "' was cancelled: the connection was closed while it ran", e);
                }
                throw e;
            }
            if (m == null) {
                return null;
            }
            switch (m.type()) {
                case 'N' -> {
                    try (m) {
                        ServerMessage n = BackendDecoding.readServerMessage(m, "NoticeResponse");
                        if (n.severity().equals("WARNING")) {
                            LOG.warn("server {}: {}", transport.endpoint(), n);
                        } else {
                            LOG.info("server {}: {}", transport.endpoint(), n);
                        }
                        noticeListener.accept(n);
                    }
                }
                case 'S' -> {
                    try (m) {
                        MessageReader r = m.reader("ParameterStatus");
                        String name = r.cstring("name");
                        String value = r.cstring("value");
                        r.end();
                        parameters.put(name, value);
                    }
                }
                default -> {
                    return m;
                }
            }
        }
    }

    ProtocolException unexpected(BackendMessage m, String where) {
        ProtocolException e = new ProtocolException("unexpected message " + m + " from server " + where);
        closeQuietly();
        return e;
    }

    void streamStarted(WalStream s) {
        activeStream = s;
    }

    void streamEnded(WalStream s) {
        if (activeStream == s) {
            activeStream = null;
        }
    }

    void ensureOpen() {
        if (activeStream != null) {
            throw new IllegalStateException("the connection is streaming WAL: close the stream (or read it to its end)"
                    + " before running another command");
        }
        if (closed || !transport.isOpen()) {
            throw new ConnectionLostException("the replication connection to '" + transport.endpoint() + "' is closed");
        }
    }

    boolean isClosed() {
        return closed || !transport.isOpen();
    }

    void closeQuietly() {
        closed = true;
        transport.close();
    }

    /** Ends the session (Terminate, then close). Any thread; aborts a command in progress. */
    void close() {
        if (!closed) {
            closedByCaller = true;
            closed = true;
            transport.terminate();
        }
    }
}
