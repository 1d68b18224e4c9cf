package io.walvault.core.replication;

import static java.util.Objects.requireNonNull;

import io.netty.buffer.ByteBuf;
import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;
import io.walvault.core.manifest.ManifestVerifier;
import io.walvault.core.replication.conn.ConnectionSettings;
import io.walvault.core.replication.conn.Endpoint;
import io.walvault.core.replication.conn.SslMode;
import io.walvault.core.replication.wire.BackendMessage;
import io.walvault.core.replication.wire.FrontendMessages;
import io.walvault.core.replication.wire.MessageReader;
import io.walvault.core.replication.wire.Transport;
import io.walvault.core.wal.Lsn;
import io.walvault.core.wal.TimelineHistory;
import io.walvault.core.wal.TimelineId;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A physical replication connection ({@code replication=true}) to one server: the entry point
 * of walvault's replication client.
 *
 * <pre>{@code
 * try (ReplicationConnection c = ReplicationConnection.open(ConnectionSettings.fromEnvironment("host=db1 user=walvault"))) {
 *     SystemIdentity id = c.identifySystem();
 *     long segSize = c.walSegmentSize();
 *     BaseBackupResult r = c.baseBackup(BaseBackupOptions.defaults().label("nightly"), listener);
 * }
 * }</pre>
 *
 * <p>Lifecycle: {@link #open} connects (TLS per sslmode), authenticates and checks the server
 * version; commands then run one at a time; {@link #close} ends the session. A command that
 * fails with a {@link ServerErrorException} leaves the connection usable; a
 * {@link ConnectionLostException} or {@link ProtocolException} leaves it closed.
 *
 * <p>Thread-safety: one thread runs commands (including the streams they return). {@link #close}
 * may be called from any thread, and aborts a command in progress (the blocked call then fails
 * with a {@link ConnectionLostException}).
 */
public final class ReplicationConnection implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ReplicationConnection.class);
    private static final Pattern SLOT_NAME = Pattern.compile("[a-z0-9_]{1,63}");
    /** How long a blocked read waits before checking again that the connection is alive. */
    private static final Duration POLL = Duration.ofSeconds(1);

    private final Transport transport;
    private final ConnectionSettings settings;
    private final Map<String, String> parameters = new ConcurrentHashMap<>();
    private ServerVersion version;
    private int backendPid;
    private volatile Consumer<ServerMessage> noticeListener = n -> { };
    private volatile boolean closed;
    /** Closed by the caller ({@link #close}), as opposed to lost or closed after an error. */
    private volatile boolean closedByCaller;
    /** A WAL stream owns the connection until it ends. */
    private volatile WalStream activeStream;

    private ReplicationConnection(Transport transport, ConnectionSettings settings) {
        this.transport = transport;
        this.settings = settings;
    }

    /**
     * Connects to the first endpoint of {@code settings} that answers, authenticates and checks
     * that the server is a supported version.
     *
     * @throws WalvaultException with the code of what went wrong (connection, TLS, authentication,
     *         pg_hba.conf, privilege, version, too many connections)
     */
    public static ReplicationConnection open(ConnectionSettings settings) {
        return open(settings, ServerVersion.OLDEST_SUPPORTED);
    }

    /** As {@link #open(ConnectionSettings)}, refusing servers older than {@code oldestMajor} (tests raise it). */
    static ReplicationConnection open(ConnectionSettings settings, int oldestMajor) {
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

    private static ReplicationConnection openOne(ConnectionSettings settings, Endpoint endpoint, SslMode mode, int oldestMajor) {
        Transport t = Transport.connect(endpoint, settings.connectTimeout());
        ReplicationConnection c = new ReplicationConnection(t, settings);
        try {
            c.negotiateTls(endpoint, mode);
            c.startup(endpoint);
            c.version.checkSupported(oldestMajor);
            if (c.version.major() > ServerVersion.NEWEST_TESTED) {
                LOG.warn("server '{}' runs PostgreSQL {}, newer than the newest version walvault was tested with ({})",
                        endpoint, c.version, ServerVersion.NEWEST_TESTED);
            }
            LOG.debug("replication connection to {} as '{}': PostgreSQL {}, backend pid {}, TLS {}", endpoint,
                    settings.user(), c.version, c.backendPid, t.isTls() ? "on" : "off");
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

    private void negotiateTls(Endpoint endpoint, SslMode mode) {
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

    private void startup(Endpoint endpoint) {
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
            BackendMessage next = left > 0 ? nextOrNull(Duration.ofNanos(left)) : null;
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
                    case 'E' -> throw ServerErrors.toException(readServerMessage(m, "ErrorResponse"), context(null));
                    case 'v' -> {
                        // NegotiateProtocolVersion: the server speaks an older minor; 3.0 is all we use
                    }
                    case 'Z' -> {
                        if (!authenticated) {
                            throw new ProtocolException("server sent ReadyForQuery before authentication completed");
                        }
                        String v = parameters.get("server_version");
                        if (v == null) {
                            throw new ProtocolException("server did not report server_version at startup");
                        }
                        version = ServerVersion.parse(v);
                        return;
                    }
                    default -> throw unexpected(m, "during startup");
                }
            }
        }
    }

    ServerErrors.Context context(String slot) {
        return new ServerErrors.Context(settings.user(), transport.endpoint().toString(), slot);
    }

    /** The server's version. */
    public ServerVersion serverVersion() {
        return version;
    }

    /** The server's current value of a reported parameter ({@code server_version}, {@code in_hot_standby}...). */
    public Optional<String> parameter(String name) {
        return Optional.ofNullable(parameters.get(name));
    }

    /** The process id of the server's WAL sender for this connection. */
    public int backendPid() {
        return backendPid;
    }

    /** Whether TLS protects this connection. */
    public boolean isTls() {
        return transport.isTls();
    }

    /** Whether IDENTIFY_SYSTEM ran on this connection (a cascading walsender of 14 needs it before streaming). */
    private volatile boolean identified;

    /** Receives the server's NoticeResponses (warnings) from now on; they are also logged. */
    public void onNotice(Consumer<ServerMessage> listener) {
        this.noticeListener = requireNonNull(listener, "listener is null");
    }

    /** IDENTIFY_SYSTEM: system identifier, current timeline and WAL flush position. */
    public SystemIdentity identifySystem() {
        QueryResult r = single("IDENTIFY_SYSTEM", null);
        identified = true;
        try {
            return new SystemIdentity(r.single("systemid"), TimelineId.of(Long.parseLong(r.single("timeline"))),
                    Lsn.parse(r.single("xlogpos")));
        } catch (IllegalArgumentException e) {
            throw new ProtocolException("invalid IDENTIFY_SYSTEM result " + r.rows() + ": " + e.getMessage(), e);
        }
    }

    /** SHOW {@code setting}: its value as the server prints it ({@code 16MB}). */
    public String show(String setting) {
        if (!setting.matches("[A-Za-z_][A-Za-z0-9_.]*")) {
            throw new IllegalArgumentException("'" + setting + "' is not a setting name");
        }
        QueryResult r = single("SHOW " + setting, null);
        if (r.rows().size() != 1 || r.columns().size() != 1) {
            throw new ProtocolException("SHOW " + setting + " returned " + r.rows().size() + " rows of " + r.columns().size() + " columns");
        }
        return r.rows().get(0).get(0);
    }

    /** The WAL segment size in bytes (SHOW wal_segment_size). */
    public long walSegmentSize() {
        return parseSize(show("wal_segment_size"));
    }

    /** The WAL block size in bytes (SHOW wal_block_size). */
    public int walBlockSize() {
        return (int) parseSize(show("wal_block_size"));
    }

    /** A size as PostgreSQL prints it ({@code 16MB}, {@code 1GB}, {@code 8192}, {@code 64kB}) in bytes. */
    static long parseSize(String text) {
        String s = text.strip();
        int i = 0;
        while (i < s.length() && Character.isDigit(s.charAt(i))) {
            i++;
        }
        if (i == 0) {
            throw new ProtocolException("'" + text + "' is not a size");
        }
        long n = Long.parseLong(s.substring(0, i));
        String unit = s.substring(i).strip();
        long mult = switch (unit) {
            case "", "B" -> 1L;
            case "kB" -> 1024L;
            case "MB" -> 1024L * 1024;
            case "GB" -> 1024L * 1024 * 1024;
            case "TB" -> 1024L * 1024 * 1024 * 1024;
            default -> throw new ProtocolException("'" + text + "' has an unknown unit '" + unit + "'");
        };
        return n * mult;
    }

    /**
     * TIMELINE_HISTORY: the history file of {@code timeline} (not for timeline 1, which has none).
     *
     * @return the file name and its exact bytes, to archive as they are
     */
    public TimelineHistoryFile timelineHistory(TimelineId timeline) {
        if (timeline.equals(TimelineId.FIRST)) {
            throw new IllegalArgumentException("timeline 1 has no history file");
        }
        List<List<byte[]>> raw = new ArrayList<>();
        List<QueryResult> results = query("TIMELINE_HISTORY " + timeline.value(), null, raw);
        if (results.size() != 1 || raw.size() != 1 || raw.get(0).size() != 2) {
            throw new ProtocolException("TIMELINE_HISTORY returned " + raw.size() + " rows, exactly one was expected");
        }
        String name = results.get(0).single("filename");
        if (!timeline.historyFileName().equals(name)) {
            throw new ProtocolException("TIMELINE_HISTORY " + timeline + " returned file '" + name + "'");
        }
        // the content column holds the file's bytes as they are (whatever the server encoding)
        byte[] bytes = raw.get(0).get(1);
        if (bytes == null) {
            throw new ProtocolException("TIMELINE_HISTORY " + timeline + " returned no content");
        }
        try {
            return new TimelineHistoryFile(name, bytes, TimelineHistory.parse(timeline,
                    new String(bytes, StandardCharsets.ISO_8859_1)));
        } catch (IllegalArgumentException e) {
            throw new ProtocolException("TIMELINE_HISTORY " + timeline + " returned an invalid history file: " + e.getMessage(), e);
        }
    }

    /**
     * CREATE_REPLICATION_SLOT {@code name} PHYSICAL RESERVE_WAL: a physical slot that holds WAL
     * from now on (so nothing is lost between creating it and the first START_REPLICATION). Its
     * restart position is at or before the flush position IDENTIFY_SYSTEM reports afterwards.
     *
     * @param temporary dropped by the server when this connection ends
     */
    public void createPhysicalSlot(String name, boolean temporary) {
        checkSlotName(name);
        run("CREATE_REPLICATION_SLOT " + name + (temporary ? " TEMPORARY" : "") + " PHYSICAL RESERVE_WAL", name);
    }

    /** DROP_REPLICATION_SLOT; with {@code waitIfActive} the server waits until no one uses it. */
    public void dropSlot(String name, boolean waitIfActive) {
        checkSlotName(name);
        run("DROP_REPLICATION_SLOT " + name + (waitIfActive ? " WAIT" : ""), name);
    }

    /**
     * READ_REPLICATION_SLOT (PostgreSQL 15 and later): the slot's restart position and timeline,
     * or empty if there is no such slot.
     */
    public Optional<SlotInfo> readSlot(String name) {
        checkSlotName(name);
        if (version.major() < 15) {
            throw new WalvaultException(ErrorCode.SERVER_VERSION_UNSUPPORTED, "READ_REPLICATION_SLOT needs PostgreSQL 15 or later,"
                    + " server is " + version + " HINT: read pg_replication_slots over an SQL connection instead");
        }
        QueryResult r = single("READ_REPLICATION_SLOT " + name, name);
        if (r.rows().size() != 1) {
            throw new ProtocolException("READ_REPLICATION_SLOT returned " + r.rows().size() + " rows");
        }
        String type = r.single("slot_type");
        if (type == null) {
            return Optional.empty();
        }
        if (!type.equals("physical")) {
            throw new WalvaultException(ErrorCode.SERVER_ERROR, "replication slot '" + name + "' is a " + type + " slot, not a physical one");
        }
        String lsn = r.single("restart_lsn");
        String tli = r.single("restart_tli");
        return Optional.of(new SlotInfo(name, Optional.ofNullable(lsn).map(Lsn::parse),
                Optional.ofNullable(tli).map(t -> TimelineId.of(Long.parseLong(t)))));
    }

    static void checkSlotName(String name) {
        requireNonNull(name, "name is null");
        if (!SLOT_NAME.matcher(name).matches()) {
            throw new WalvaultException(ErrorCode.CONFIG, "replication slot name '" + name + "' is invalid"
                    + " HINT: use 1 to 63 lowercase letters, digits and underscores");
        }
    }

    /**
     * BASE_BACKUP: streams the cluster's files to {@code listener} as they arrive, checks them
     * against the server's backup_manifest, and returns the backup's start and end positions.
     * See {@link BaseBackupListener} for the order of calls.
     *
     * @throws ServerErrorException with {@link ErrorCode#DATA_CHECKSUM_FAILURE} when the server
     *         found checksum failures (unless {@link BaseBackupOptions#allowChecksumFailures})
     * @throws WalvaultException with {@link ErrorCode#BACKUP_MANIFEST_MISMATCH} when what
     *         arrived differs from the manifest
     */
    public BaseBackupResult baseBackup(BaseBackupOptions options, BaseBackupListener listener) {
        return baseBackup(options, listener, ManifestVerifier.DEFAULT_IN_MEMORY_LIMIT);
    }

    /** As {@link #baseBackup(BaseBackupOptions, BaseBackupListener)}, spilling the received-file list after {@code inMemoryFiles}. */
    BaseBackupResult baseBackup(BaseBackupOptions options, BaseBackupListener listener, int inMemoryFiles) {
        requireNonNull(options, "options is null");
        requireNonNull(listener, "listener is null");
        ensureOpen();
        return new BaseBackupRun(this, options, listener, inMemoryFiles).run();
    }

    /**
     * START_REPLICATION PHYSICAL: streams WAL from {@code options.start()} on
     * {@code options.timeline()}. The connection belongs to the stream until it ends (end of
     * timeline, server shutdown) or is closed. A standby of PostgreSQL 14 refuses it on a
     * connection that has not run IDENTIFY_SYSTEM, so that is run first when it was not.
     */
    public WalStream startReplication(StartReplicationOptions options) {
        ensureOpen();
        if (!identified) {
            identifySystem();
        }
        return WalStream.start(this, options);
    }

    /** Runs a command expected to return at most one result set. */
    QueryResult single(String command, String slot) {
        List<QueryResult> results = query(command, slot);
        if (results.size() != 1) {
            throw new ProtocolException(command + " returned " + results.size() + " result sets, one was expected");
        }
        return results.get(0);
    }

    /** Runs a command that returns no rows. */
    void run(String command, String slot) {
        query(command, slot);
    }

    /** Runs one simple-protocol command and collects its result sets (an error is thrown after ReadyForQuery). */
    List<QueryResult> query(String command, String slot) {
        return query(command, slot, null);
    }

    /** As {@link #query(String, String)}, also collecting every row's raw values into {@code rawRows} if not null. */
    List<QueryResult> query(String command, String slot, List<List<byte[]>> rawRows) {
        ensureOpen();
        LOG.debug("running {}", command);
        transport.send(FrontendMessages.query(command), "Query");
        List<QueryResult> results = new ArrayList<>();
        ResultCollector current = null;
        WalvaultException error = null;
        while (true) {
            try (BackendMessage m = next()) {
                switch (m.type()) {
                    case 'T' -> current = new ResultCollector(readRowDescription(m));
                    case 'D' -> {
                        if (current == null) {
                            throw new ProtocolException("DataRow without RowDescription in the answer to " + command);
                        }
                        if (rawRows != null) {
                            rawRows.add(readRawDataRow(m.body().duplicate(), current.columns.size()));
                        }
                        current.rows.add(readDataRow(m, current.columns.size()));
                    }
                    case 'C' -> {
                        String tag = m.reader("CommandComplete").cstring("tag");
                        if (current != null) {
                            results.add(new QueryResult(current.columns, current.rows, tag));
                            current = null;
                        }
                    }
                    case 'I' -> { }
                    case 'E' -> error = ServerErrors.toException(readServerMessage(m, "ErrorResponse"), context(slot));
                    case 'Z' -> {
                        if (error != null) {
                            throw error;
                        }
                        return results;
                    }
                    default -> throw unexpected(m, "in the answer to " + command);
                }
            }
        }
    }

    private static final class ResultCollector {
        final List<String> columns;
        final List<List<String>> rows = new ArrayList<>();

        ResultCollector(List<String> columns) {
            this.columns = columns;
        }
    }

    static List<String> readRowDescription(BackendMessage m) {
        MessageReader r = m.reader("RowDescription");
        int n = r.int16("field count");
        if (n < 0) {
            throw new ProtocolException("RowDescription has a negative field count");
        }
        List<String> cols = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            cols.add(r.cstring("field name"));
            r.int32("table oid");
            r.int16("column number");
            r.int32("type oid");
            r.int16("type length");
            r.int32("type modifier");
            int format = r.int16("format");
            if (format != 0) {
                throw new ProtocolException("RowDescription field '" + cols.get(i) + "' is in binary format");
            }
        }
        r.end();
        return cols;
    }

    static List<String> readDataRow(BackendMessage m, int columns) {
        MessageReader r = m.reader("DataRow");
        int n = r.int16("column count");
        if (n != columns) {
            throw new ProtocolException("DataRow has " + n + " values for " + columns + " columns");
        }
        List<String> row = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            int len = r.int32("value length");
            if (len == -1) {
                row.add(null);
            } else {
                ByteBuf v = r.slice(len, "value");
                row.add(v.toString(StandardCharsets.UTF_8));
            }
        }
        r.end();
        return row;
    }

    private static List<byte[]> readRawDataRow(ByteBuf body, int columns) {
        MessageReader r = new MessageReader(body, "DataRow");
        int n = r.int16("column count");
        if (n != columns) {
            throw new ProtocolException("DataRow has " + n + " values for " + columns + " columns");
        }
        List<byte[]> row = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            int len = r.int32("value length");
            row.add(len == -1 ? null : r.bytes(len, "value"));
        }
        r.end();
        return row;
    }

    static ServerMessage readServerMessage(BackendMessage m, String what) {
        MessageReader r = m.reader(what);
        Map<Character, String> fields = new HashMap<>();
        while (true) {
            int code = r.int8("field code");
            if (code == 0) {
                break;
            }
            fields.put((char) code, r.cstring("field value"));
        }
        r.end();
        return new ServerMessage(fields);
    }

    ProtocolException unexpected(BackendMessage m, String where) {
        ProtocolException e = new ProtocolException("unexpected message " + m + " from server " + where);
        closeQuietly();
        return e;
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
                        ServerMessage n = readServerMessage(m, "NoticeResponse");
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

    Transport transport() {
        return transport;
    }

    ConnectionSettings settings() {
        return settings;
    }

    void streamStarted(WalStream s) {
        activeStream = s;
    }

    void streamEnded(WalStream s) {
        if (activeStream == s) {
            activeStream = null;
        }
    }

    private void ensureOpen() {
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
    @Override
    public void close() {
        if (!closed) {
            closedByCaller = true;
            closed = true;
            transport.terminate();
        }
    }

    @Override
    public String toString() {
        return "replication connection to " + transport.endpoint() + " as '" + settings.user() + "'"
                + (version == null ? "" : " (PostgreSQL " + version + ")") + String.format(Locale.ROOT, " pid %d", backendPid);
    }
}
