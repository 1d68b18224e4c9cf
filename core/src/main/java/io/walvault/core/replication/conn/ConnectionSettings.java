package io.walvault.core.replication.conn;

import static java.util.Objects.requireNonNull;

import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Where and how to connect, as PostgreSQL users write it: a libpq connection string
 * ({@code host=db1 port=5432 user=walvault sslmode=verify-full}) or URI
 * ({@code postgresql://walvault@db1:5432/?sslmode=verify-full}), completed by the PG*
 * environment variables and the password file, with libpq's precedence: connection string,
 * then environment, then defaults.
 *
 * <table>
 *   <caption>Keywords and their environment variables</caption>
 *   <tr><th>keyword</th><th>variable</th><th>default</th></tr>
 *   <tr><td>host (comma list; {@code /dir} = Unix socket)</td><td>PGHOST</td><td>{@code /var/run/postgresql} if present, else {@code /tmp}</td></tr>
 *   <tr><td>hostaddr</td><td>PGHOSTADDR</td><td>host</td></tr>
 *   <tr><td>port</td><td>PGPORT</td><td>5432</td></tr>
 *   <tr><td>user</td><td>PGUSER</td><td>the operating-system user</td></tr>
 *   <tr><td>password</td><td>PGPASSWORD</td><td>from the password file</td></tr>
 *   <tr><td>dbname (only for the password file: {@code replication})</td><td>PGDATABASE</td><td></td></tr>
 *   <tr><td>passfile</td><td>PGPASSFILE</td><td>{@code ~/.pgpass}</td></tr>
 *   <tr><td>sslmode</td><td>PGSSLMODE</td><td>prefer</td></tr>
 *   <tr><td>sslrootcert ({@code system} = the JDK's trust store)</td><td>PGSSLROOTCERT</td><td>{@code ~/.postgresql/root.crt}</td></tr>
 *   <tr><td>sslcert, sslkey (PEM, key in PKCS#8)</td><td>PGSSLCERT, PGSSLKEY</td><td>{@code ~/.postgresql/postgresql.crt/.key} if present</td></tr>
 *   <tr><td>application_name</td><td>PGAPPNAME</td><td>{@code walvault}</td></tr>
 *   <tr><td>connect_timeout (seconds)</td><td>PGCONNECT_TIMEOUT</td><td>30</td></tr>
 *   <tr><td>channel_binding</td><td>PGCHANNELBINDING</td><td>prefer</td></tr>
 * </table>
 *
 * <p>An immutable value; {@link #toString()} never shows the password.
 */
public record ConnectionSettings(List<Endpoint> endpoints, String user, Optional<String> password,
                                 String database, Path passFile, SslMode sslMode, Optional<Path> sslRootCert,
                                 Optional<Path> sslCert, Optional<Path> sslKey, String applicationName,
                                 Duration connectTimeout, ChannelBinding channelBinding) {

    /** The value of {@code sslrootcert} that means "the JDK's default trust store" (libpq 16+). */
    public static final Path SYSTEM_ROOT_CERT = Path.of("system");

    public ConnectionSettings {
        endpoints = List.copyOf(endpoints);
        if (endpoints.isEmpty()) {
            throw new IllegalArgumentException("no host to connect to");
        }
        requireNonNull(user, "user is null");
        requireNonNull(password, "password is null");
        requireNonNull(database, "database is null");
        requireNonNull(passFile, "passFile is null");
        requireNonNull(sslMode, "sslMode is null");
        requireNonNull(sslRootCert, "sslRootCert is null");
        requireNonNull(sslCert, "sslCert is null");
        requireNonNull(sslKey, "sslKey is null");
        requireNonNull(applicationName, "applicationName is null");
        requireNonNull(connectTimeout, "connectTimeout is null");
        requireNonNull(channelBinding, "channelBinding is null");
        if (user.isEmpty()) {
            throw new IllegalArgumentException("user is empty");
        }
        if (connectTimeout.isNegative() || connectTimeout.isZero()) {
            throw new IllegalArgumentException("connect_timeout must be positive");
        }
    }

    /** Reads {@code conninfo} (may be empty) with this process's environment and home directory. */
    public static ConnectionSettings fromEnvironment(String conninfo) {
        return parse(conninfo, System.getenv(), Path.of(System.getProperty("user.home")),
                System.getProperty("user.name"));
    }

    /**
     * Reads {@code conninfo} (a connection string or URI, may be empty) completed by {@code env}
     * (PG* variables) and defaults relative to {@code home} and {@code osUser}.
     *
     * @throws WalvaultException with {@link ErrorCode#CONFIG} when a value is invalid
     */
    public static ConnectionSettings parse(String conninfo, Map<String, String> env, Path home, String osUser) {
        requireNonNull(conninfo, "conninfo is null");
        requireNonNull(env, "env is null");
        requireNonNull(home, "home is null");
        try {
            Map<String, String> kv = ConninfoParser.parse(conninfo);
            Values v = new Values(kv, env);
            String hostList = v.get("host", "PGHOST").orElseGet(ConnectionSettings::defaultSocketDirectory);
            String portList = v.get("port", "PGPORT").orElse("5432");
            Optional<String> hostaddr = v.get("hostaddr", "PGHOSTADDR");
            List<Endpoint> endpoints = endpoints(hostList, portList, hostaddr);
            String user = v.get("user", "PGUSER").orElse(osUser);
            Optional<String> password = v.get("password", "PGPASSWORD");
            String database = v.get("dbname", "PGDATABASE").orElse("replication");
            Path passFile = v.get("passfile", "PGPASSFILE").map(Path::of).orElse(home.resolve(".pgpass"));
            SslMode sslMode = SslMode.fromKeyword(v.get("sslmode", "PGSSLMODE").orElse("prefer"));
            Path pgDir = home.resolve(".postgresql");
            Optional<Path> rootCert = v.get("sslrootcert", "PGSSLROOTCERT").map(Path::of)
                    .or(() -> Optional.of(pgDir.resolve("root.crt")).filter(Files::isReadable));
            Optional<Path> cert = v.get("sslcert", "PGSSLCERT").map(Path::of)
                    .or(() -> Optional.of(pgDir.resolve("postgresql.crt")).filter(Files::isReadable));
            Optional<Path> key = v.get("sslkey", "PGSSLKEY").map(Path::of)
                    .or(() -> Optional.of(pgDir.resolve("postgresql.key")).filter(Files::isReadable));
            if (sslMode.verifiesCertificate() && rootCert.isEmpty()) {
                throw new IllegalArgumentException("sslmode '" + sslMode.keyword() + "' needs a root certificate"
                        + " HINT: set sslrootcert (or PGSSLROOTCERT), or put it in '" + pgDir.resolve("root.crt") + "'");
            }
            String appName = v.get("application_name", "PGAPPNAME")
                    .or(() -> Optional.ofNullable(kv.get("fallback_application_name"))).orElse("walvault");
            long timeout = parseInt(v.get("connect_timeout", "PGCONNECT_TIMEOUT").orElse("30"), "connect_timeout");
            ChannelBinding binding = ChannelBinding.fromKeyword(v.get("channel_binding", "PGCHANNELBINDING").orElse("prefer"));
            if (binding == ChannelBinding.REQUIRE && sslMode == SslMode.DISABLE) {
                throw new IllegalArgumentException("channel_binding 'require' needs TLS, but sslmode is 'disable'");
            }
            return new ConnectionSettings(endpoints, user, password, database, passFile, sslMode, rootCert, cert, key,
                    appName, Duration.ofSeconds(Math.max(timeout, 2)), binding);
        } catch (IllegalArgumentException e) {
            throw new WalvaultException(ErrorCode.CONFIG, "invalid connection settings: " + e.getMessage(), e);
        }
    }

    private static List<Endpoint> endpoints(String hostList, String portList, Optional<String> hostaddr) {
        String[] hosts = hostList.split(",", -1);
        String[] ports = portList.split(",", -1);
        if (ports.length != 1 && ports.length != hosts.length) {
            throw new IllegalArgumentException("could not match " + ports.length + " port numbers to " + hosts.length + " hosts");
        }
        if (hostaddr.isPresent() && hosts.length != 1) {
            throw new IllegalArgumentException("hostaddr with several hosts is not supported");
        }
        List<Endpoint> out = new ArrayList<>();
        for (int i = 0; i < hosts.length; i++) {
            String host = hosts[i].isEmpty() ? defaultSocketDirectory() : hosts[i];
            String p = ports.length == 1 ? ports[0] : ports[i];
            int port = p.isEmpty() ? 5432 : (int) parseInt(p, "port");
            out.add(new Endpoint(host, hostaddr.orElse(host), port));
        }
        return out;
    }

    private static long parseInt(String s, String what) {
        try {
            return Long.parseLong(s.strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("invalid integer value '" + s + "' for connection option '" + what + "'");
        }
    }

    /** Debian's socket directory if it exists, upstream's otherwise. */
    private static String defaultSocketDirectory() {
        return Files.isDirectory(Path.of("/var/run/postgresql")) ? "/var/run/postgresql" : "/tmp";
    }

    /**
     * The password for {@code endpoint}: the explicit one (connection string or PGPASSWORD), else
     * the password file's first matching line.
     */
    public Optional<String> passwordFor(Endpoint endpoint) {
        if (password.isPresent()) {
            return password;
        }
        return PgPassFile.lookup(passFile, endpoint, database, user);
    }

    /** A copy with another sslmode. */
    public ConnectionSettings withSslMode(SslMode mode) {
        return new ConnectionSettings(endpoints, user, password, database, passFile, mode, sslRootCert, sslCert,
                sslKey, applicationName, connectTimeout, channelBinding);
    }

    @Override
    public String toString() {
        return "ConnectionSettings[endpoints=" + endpoints + ", user=" + user
                + ", password=" + (password.isPresent() ? "(set)" : "(none)") + ", sslmode=" + sslMode.keyword()
                + ", sslrootcert=" + sslRootCert.map(Path::toString).orElse("") + ", application_name=" + applicationName
                + ", connect_timeout=" + connectTimeout.toSeconds() + ", channel_binding=" + channelBinding.keyword() + "]";
    }

    /** Keyword values first, then the environment variable; empty values count as unset, as in libpq. */
    private record Values(Map<String, String> kv, Map<String, String> env) {
        Optional<String> get(String keyword, String variable) {
            String v = kv.get(keyword);
            if (v == null || v.isEmpty()) {
                v = env.get(variable);
            }
            return v == null || v.isEmpty() ? Optional.empty() : Optional.of(v);
        }
    }
}
