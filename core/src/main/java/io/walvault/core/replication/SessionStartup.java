package io.walvault.core.replication;

import static java.util.Objects.requireNonNull;

import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;
import io.walvault.core.replication.conn.ConnectionSettings;
import io.walvault.core.replication.conn.Endpoint;
import io.walvault.core.replication.conn.SslMode;
import io.walvault.core.replication.wire.BackendDecoding;
import io.walvault.core.replication.wire.BackendMessage;
import io.walvault.core.replication.wire.FrontendMessages;
import io.walvault.core.replication.wire.MessageReader;
import io.walvault.core.replication.wire.Transport;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Opens a {@link Session}: the first endpoint that answers, TLS as sslmode asks (libpq's
 * fallbacks for prefer and allow), the StartupMessage with {@code replication=true},
 * authentication ({@link Authenticator}), and the server's version checked, all within
 * connect_timeout. Stateless.
 */
final class SessionStartup {

    private static final Logger LOG = LoggerFactory.getLogger(SessionStartup.class);

    private SessionStartup() {
    }

    /** Connects to the first endpoint that answers, refusing servers older than {@code oldestMajor}. */
    static Session open(ConnectionSettings settings, int oldestMajor) {
        requireNonNull(settings, "settings is null");
        WalvaultException last = null;
        for (Endpoint e : settings.endpoints()) {
            try {
                return openOne(settings, e, settings.sslMode(), oldestMajor);
            } catch (WalvaultException ex) {
                if (ex.code() != ErrorCode.CONNECTION_FAILED || settings.endpoints().size() == 1) {
                    throw ex;
                }
                LOG.info("{}; trying the next host", ex.getMessage());
                last = ex;
            }
        }
        throw last;
    }

    private static Session openOne(ConnectionSettings settings, Endpoint endpoint, SslMode mode, int oldestMajor) {
        Transport t = Transport.connect(endpoint, settings.connectTimeout());
        Session c = new Session(t, settings);
        try {
            negotiateTls(c, endpoint, mode);
            startup(c, endpoint);
            c.version().checkSupported(oldestMajor);
            if (c.version().major() > ServerVersion.NEWEST_TESTED) {
                LOG.warn("server '{}' runs PostgreSQL {}, newer than the newest version walvault was tested with ({})",
                        endpoint, c.version(), ServerVersion.NEWEST_TESTED);
            }
            LOG.debug("replication connection to {} as '{}': PostgreSQL {}, backend pid {}, TLS {}", endpoint,
                    settings.user(), c.version(), c.backendPid(), t.isTls() ? "on" : "off");
            return c;
        } catch (ServerErrorException e) {
            c.closeQuietly();
            if (mode == SslMode.ALLOW && e.code() == ErrorCode.CONNECTION_REJECTED && !endpoint.isUnixSocket()) {
                LOG.debug("plaintext connection refused by pg_hba.conf; sslmode=allow tries TLS");
                return openOne(settings, endpoint, SslMode.REQUIRE, oldestMajor);
            }
            throw e;
        } catch (WalvaultException e) {
            c.closeQuietly();
            if (mode == SslMode.PREFER && e.code() == ErrorCode.TLS_FAILED) {
                // as libpq does: prefer means TLS if it works, plaintext otherwise
                LOG.info("{}; sslmode=prefer tries without TLS", e.getMessage());
                return openOne(settings, endpoint, SslMode.DISABLE, oldestMajor);
            }
            throw e;
        } catch (RuntimeException e) {
            c.closeQuietly();
            throw e;
        }
    }

    private static void negotiateTls(Session c, Endpoint endpoint, SslMode mode) {
        Transport transport = c.transport();
        ConnectionSettings settings = c.settings();
        if (mode == SslMode.DISABLE || mode == SslMode.ALLOW || endpoint.isUnixSocket()) {
            if (endpoint.isUnixSocket() && mode.compareTo(SslMode.REQUIRE) >= 0) {
                throw new WalvaultException(ErrorCode.TLS_FAILED, "sslmode '" + mode.keyword()
                        + "' needs TLS, which PostgreSQL does not offer over Unix sockets HINT: connect over TCP");
            }
            transport.startFraming();
            return;
        }
        char answer = transport.requestSsl(settings.connectTimeout());
        switch (answer) {
            case 'S' -> {
                transport.startTls(TlsContexts.forSettings(settings.withSslMode(mode)),
                        TlsContexts.verifiesHostname(settings.withSslMode(mode)), settings.connectTimeout());
                transport.startFraming();
            }
            case 'N' -> {
                if (mode.compareTo(SslMode.REQUIRE) >= 0) {
                    throw new WalvaultException(ErrorCode.TLS_FAILED, "server '" + endpoint + "' does not support TLS, but sslmode is '"
                            + mode.keyword() + "' HINT: set ssl=on on the server, or lower sslmode");
                }
                transport.startFraming();
            }
            case 'E' -> throw new ProtocolException("server '" + endpoint + "' answered SSLRequest with an error");
            default -> throw new ProtocolException("server '" + endpoint + "' answered SSLRequest with byte " + (int) answer);
        }
    }

    private static void startup(Session c, Endpoint endpoint) {
        Transport transport = c.transport();
        ConnectionSettings settings = c.settings();
        int backendPid = 0;
        Map<String, String> params = new LinkedHashMap<>();
        params.put("user", settings.user());
        params.put("replication", "true");
        params.put("application_name", settings.applicationName());
        transport.send(FrontendMessages.startup(params), "StartupMessage");
        Authenticator auth = new Authenticator(transport, settings, () -> settings.passwordFor(endpoint).orElseThrow(
                () -> new WalvaultException(ErrorCode.AUTHENTICATION_FAILED, "the server asks for a password for user '"
                        + settings.user() + "', but none is set HINT: set PGPASSWORD, password in the connection string,"
                        + " or a line in the password file '" + settings.passFile() + "'")));
        boolean authenticated = false;
        // like libpq's connect_timeout, the whole startup must finish in time (a service that
        // accepts the connection but never answers must not hang the caller)
        long deadline = System.nanoTime() + settings.connectTimeout().toNanos();
        while (true) {
            long left = deadline - System.nanoTime();
            BackendMessage next = left > 0 ? c.nextOrNull(Duration.ofNanos(left)) : null;
            if (next == null) {
                throw new WalvaultException(ErrorCode.CONNECTION_FAILED, "server '" + endpoint + "' did not complete the"
                        + " connection startup within " + settings.connectTimeout().toSeconds() + " s HINT: check that this"
                        + " host and port are a PostgreSQL server, or raise connect_timeout");
            }
            try (BackendMessage m = next) {
                switch (m.type()) {
                    case 'R' -> authenticated |= auth.handle(m);
                    case 'K' -> {
                        MessageReader r = m.reader("BackendKeyData");
                        backendPid = r.int32("pid");
                        r.bytes(r.remaining(), "key");
                    }
                    case 'E' -> throw ServerErrors.toException(BackendDecoding.readServerMessage(m, "ErrorResponse"), c.context(null));
                    case 'v' -> {
                        // NegotiateProtocolVersion: the server speaks an older minor; 3.0 is all we use
                    }
                    case 'Z' -> {
                        if (!authenticated) {
                            throw new ProtocolException("server sent ReadyForQuery before authentication completed");
                        }
                        String v = c.parameter("server_version").orElseThrow(
                                () -> new ProtocolException("server did not report server_version at startup"));
                        c.started(ServerVersion.parse(v), backendPid);
                        return;
                    }
                    default -> throw c.unexpected(m, "during startup");
                }
            }
        }
    }
}
