package io.walvault.core.replication;

import static java.util.Objects.requireNonNull;

import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;
import io.walvault.core.manifest.ManifestVerifier;
import io.walvault.core.replication.conn.ConnectionSettings;
import io.walvault.core.replication.wire.BackendMessage;
import io.walvault.core.replication.wire.Transport;
import io.walvault.core.wal.Lsn;
import io.walvault.core.wal.TimelineHistory;
import io.walvault.core.wal.TimelineId;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.regex.Pattern;

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

    private static final Pattern SLOT_NAME = Pattern.compile("[a-z0-9_]{1,63}");

    private final Session session;

    private ReplicationConnection(Session session) {
        this.session = session;
    }

    /**
     * Starts setting the replication client's network code up on a thread of its own (see
     * {@link Transport#prepareInBackground}): for a command that will connect soon and has other
     * start-up work to do first. Optional; {@link #open} works without it.
     */
    public static void prepareInBackground() {
        Transport.prepareInBackground();
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
        return new ReplicationConnection(SessionStartup.open(requireNonNull(settings, "settings is null"), oldestMajor));
    }

    ServerErrors.Context context(String slot) {
        return session.context(slot);
    }

    /** The server's version. */
    public ServerVersion serverVersion() {
        return session.version();
    }

    /** The server's current value of a reported parameter ({@code server_version}, {@code in_hot_standby}...). */
    public Optional<String> parameter(String name) {
        return session.parameter(name);
    }

    /** The process id of the server's WAL sender for this connection. */
    public int backendPid() {
        return session.backendPid();
    }

    /** Whether TLS protects this connection. */
    public boolean isTls() {
        return session.transport().isTls();
    }

    /** Whether IDENTIFY_SYSTEM ran on this connection (a cascading walsender of 14 needs it before streaming). */
    private volatile boolean identified;

    /** Receives the server's NoticeResponses (warnings) from now on; they are also logged. */
    public void onNotice(Consumer<ServerMessage> listener) {
        session.onNotice(listener);
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

    /** A time setting (SHOW {@code setting}), such as checkpoint_timeout. */
    public Duration showDuration(String setting) {
        return parseDuration(show(setting));
    }

    /**
     * A duration as PostgreSQL prints it ({@code 5min}, {@code 30s}, {@code 500ms}, {@code 1h},
     * {@code 1d}, {@code 100us}); a bare number counts as seconds.
     */
    static Duration parseDuration(String text) {
        String s = text.strip();
        int i = 0;
        while (i < s.length() && Character.isDigit(s.charAt(i))) {
            i++;
        }
        if (i == 0) {
            throw new ProtocolException("'" + text + "' is not a duration");
        }
        long n = Long.parseLong(s.substring(0, i));
        String unit = s.substring(i).strip();
        return switch (unit) {
            case "us" -> Duration.ofNanos(n * 1000);
            case "ms" -> Duration.ofMillis(n);
            case "", "s" -> Duration.ofSeconds(n);
            case "min" -> Duration.ofMinutes(n);
            case "h" -> Duration.ofHours(n);
            case "d" -> Duration.ofDays(n);
            default -> throw new ProtocolException("'" + text + "' has an unknown unit '" + unit + "'");
        };
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
        if (session.version().major() < 15) {
            throw new WalvaultException(ErrorCode.SERVER_VERSION_UNSUPPORTED, "READ_REPLICATION_SLOT needs PostgreSQL 15 or later,"
                    + " server is " + session.version() + " HINT: read pg_replication_slots over an SQL connection instead");
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
        session.ensureOpen();
        return new BaseBackupRun(this, options, listener, inMemoryFiles).run();
    }

    /**
     * UPLOAD_MANIFEST (PostgreSQL 17 and newer): hands the server the backup_manifest of an
     * earlier backup of this cluster, for the next {@link BaseBackupOptions#incremental} backup on
     * this connection. Reads {@code manifest} to its end; does not close it.
     *
     * @throws ServerErrorException when the server refuses the command or the manifest
     */
    public void uploadManifest(InputStream manifest) {
        ManifestUpload.run(session, manifest);
    }

    /**
     * START_REPLICATION PHYSICAL: streams WAL from {@code options.start()} on
     * {@code options.timeline()}. The connection belongs to the stream until it ends (end of
     * timeline, server shutdown) or is closed. A standby of PostgreSQL 14 refuses it on a
     * connection that has not run IDENTIFY_SYSTEM, so that is run first when it was not.
     */
    public WalStream startReplication(StartReplicationOptions options) {
        session.ensureOpen();
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
        return SimpleQuery.query(session, command, slot, null);
    }

    /** As {@link #query(String, String)}, also collecting every row's raw values into {@code rawRows}. */
    List<QueryResult> query(String command, String slot, List<List<byte[]>> rawRows) {
        return SimpleQuery.query(session, command, slot, rawRows);
    }

    ProtocolException unexpected(BackendMessage m, String where) {
        return session.unexpected(m, where);
    }

    BackendMessage next() {
        return session.next();
    }

    BackendMessage nextOrNull(Duration timeout) {
        return session.nextOrNull(timeout);
    }

    Transport transport() {
        return session.transport();
    }

    ConnectionSettings settings() {
        return session.settings();
    }

    void streamStarted(WalStream s) {
        session.streamStarted(s);
    }

    void streamEnded(WalStream s) {
        session.streamEnded(s);
    }

    boolean isClosed() {
        return session.isClosed();
    }

    void closeQuietly() {
        session.closeQuietly();
    }

    /** Ends the session (Terminate, then close). Any thread; aborts a command in progress. */
    @Override
    public void close() {
        session.close();
    }

    @Override
    public String toString() {
        return "replication connection to " + session.transport().endpoint() + " as '" + session.settings().user() + "'"
                + (session.version() == null ? "" : " (PostgreSQL " + session.version() + ")")
                + String.format(Locale.ROOT, " pid %d", session.backendPid());
    }
}
