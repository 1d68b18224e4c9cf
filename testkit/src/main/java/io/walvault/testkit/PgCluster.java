package io.walvault.testkit;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * One real PostgreSQL server for a test: its data directory, port, socket directory and log.
 *
 * <p>Lifecycle: a {@link Builder} runs initdb (with data checksums) or adopts an existing data
 * directory (a restored one), writes the test's settings and pg_hba lines, and
 * {@link Builder#start() starts} the server; {@link #close()} stops it immediately and removes
 * everything it created, whatever the test's outcome. A JVM shutdown hook stops servers a
 * crashed test left behind.
 *
 * <p>The server listens on 127.0.0.1 on a free port and on a Unix socket in its own temporary
 * directory. The superuser is {@value #SUPERUSER}, trusted from loopback and the socket unless a
 * test's own pg_hba lines (which come first) say otherwise. Defaults favour test speed:
 * {@code fsync=off} (a crash test kills processes, not the machine; the bench turns it back on).
 *
 * <p>Not thread-safe: one test drives one cluster.
 *
 * <p>Length: a test server's whole life for the test suite (build, initdb, start, crash, stop,
 * SQL, recovery outcomes), one entry point so that scenarios read as what they do to a server.
 */
public final class PgCluster implements AutoCloseable {

    /** The superuser initdb creates. */
    public static final String SUPERUSER = "postgres";
    /** The host servers listen on. */
    public static final String HOST = "127.0.0.1";

    private static final Set<PgCluster> RUNNING = ConcurrentHashMap.newKeySet();
    private static final Duration START_TIMEOUT = Duration.ofSeconds(120);

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            for (PgCluster c : RUNNING) {
                c.pgCtl("stop", "-m", "immediate", "-w", "-t", "30");
            }
        }, "walvault-testkit-pg-cleanup"));
    }

    private final PgInstallation installation;
    private final String name;
    private final Path baseDir;
    private final Path dataDir;
    private final Path socketDir;
    private final Path logFile;
    private final Map<String, String> env;
    private final boolean ownsDataDir;
    private int port;
    private boolean running;
    /** Where the server log stood at the last start: outcomes are judged on what follows. */
    private long logMarkAtStart;

    private PgCluster(PgInstallation installation, String name, Path baseDir, Path dataDir, boolean ownsDataDir,
                      Map<String, String> env) {
        this.installation = installation;
        this.name = name;
        this.baseDir = baseDir;
        this.dataDir = dataDir;
        this.socketDir = baseDir.resolve("sock");
        this.logFile = baseDir.resolve("server.log");
        this.ownsDataDir = ownsDataDir;
        this.env = env;
    }

    /** A builder for a new cluster of {@code version}. Prefer {@link PgHarness#cluster()} in tests. */
    public static Builder builder(PgVersion version) {
        return new Builder(PgInstallation.of(version));
    }

    /** A builder for a new cluster of a server installed outside the build ({@link PgInstallation#at}). */
    public static Builder builder(PgInstallation installation) {
        return new Builder(installation);
    }

    public PgVersion version() {
        return installation.version();
    }

    public PgInstallation installation() {
        return installation;
    }

    public String name() {
        return name;
    }

    public Path dataDirectory() {
        return dataDir;
    }

    public Path socketDirectory() {
        return socketDir;
    }

    public int port() {
        return port;
    }

    public String host() {
        return HOST;
    }

    public boolean isRunning() {
        return running && postmasterPid().isPresent();
    }

    /** JDBC URL of a database on this server, as the superuser. */
    public String jdbcUrl(String database) {
        return "jdbc:postgresql://" + HOST + ":" + port + "/" + database;
    }

    /** A libpq-style connection string for the superuser over TCP. */
    public String conninfo() {
        return "host=" + HOST + " port=" + port + " user=" + SUPERUSER + " dbname=postgres";
    }

    /** A new JDBC connection to database {@code postgres} as the superuser. */
    public Connection connect() throws SQLException {
        return connect("postgres");
    }

    /** A new JDBC connection to {@code database} as the superuser. */
    public Connection connect(String database) throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", SUPERUSER);
        p.setProperty("connectTimeout", "10");
        return DriverManager.getConnection(jdbcUrl(database), p);
    }

    /** Runs statements (separated by the caller, one per argument) in autocommit mode. */
    public void execute(String... sql) {
        try (Connection c = connect(); Statement s = c.createStatement()) {
            for (String q : sql) {
                s.execute(q);
            }
        } catch (SQLException e) {
            throw new IllegalStateException("SQL failed on " + name + ": " + e.getMessage(), e);
        }
    }

    /** The first column of the first row of {@code sql}, as text (null for SQL NULL or no row). */
    public String queryString(String sql) {
        try (Connection c = connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            return rs.next() ? rs.getString(1) : null;
        } catch (SQLException e) {
            throw new IllegalStateException("SQL failed on " + name + ": " + e.getMessage(), e);
        }
    }

    /** Starts the server and waits until it accepts connections. */
    public void start() {
        if (isRunning()) {
            return;
        }
        startInternal(true);
    }

    /**
     * Starts the server without waiting for it to accept connections: for a data directory in
     * recovery that may stop, shut down or fail on its own. Follow with {@link #awaitRecoveryEnd}.
     */
    public void startNoWait() {
        startInternal(false);
        // pg_ctl -W returns before the postmaster writes its pid file: wait for it to appear, or
        // for the server to have already stopped again (it logs why).
        Instant deadline = Instant.now().plusSeconds(60);
        while (Instant.now().isBefore(deadline) && postmasterPid().isEmpty()
                && !logSinceStart().contains("database system is shut down")) {
            sleep(50);
        }
    }

    private void startInternal(boolean await) {
        IllegalStateException last = null;
        for (int attempt = 0; attempt < 3; attempt++) {
            if (port == 0 || attempt > 0) {
                port = freePort();
            }
            logMarkAtStart = logLength();
            String opts = "-p " + port + " -k " + socketDir + " -c listen_addresses=" + HOST;
            ProcessRunner.Result r = pgCtl("start", "-l", logFile.toString(), await ? "-w" : "-W",
                    "-t", Long.toString(START_TIMEOUT.toSeconds()), "-o", opts);
            if (r.ok()) {
                running = true;
                RUNNING.add(this);
                return;
            }
            last = new IllegalStateException("cannot start " + name + ": " + r.describe() + "\n" + logTail(60));
            if (!log().contains("could not bind") && !log().contains("could not create any TCP/IP sockets")) {
                break;
            }
        }
        throw last;
    }

    /** Fast shutdown (clients disconnected, checkpoint written). */
    public void stop() {
        stopWith("fast");
    }

    /** Immediate shutdown: no checkpoint, crash recovery at next start. */
    public void crash() {
        stopWith("immediate");
    }

    /** Fast shutdown then start on the same port. */
    public void restart() {
        stop();
        start();
    }

    /** Kills the postmaster with SIGKILL, as an OOM killer would. Its children exit on their own. */
    public void killPostmaster() {
        Optional<Long> pid = postmasterPid();
        pid.flatMap(ProcessHandle::of).ifPresent(h -> {
            h.destroyForcibly();
            try {
                h.onExit().get();
            } catch (Exception e) {
                throw new IllegalStateException("postmaster of " + name + " did not exit", e);
            }
        });
        running = false;
        RUNNING.remove(this);
        // The children notice the postmaster is gone within a second; wait for them to leave
        // shared memory so that a start does not see "pre-existing shared memory block is still in use".
        Instant deadline = Instant.now().plusSeconds(30);
        while (Instant.now().isBefore(deadline) && childrenAlive()) {
            sleep(100);
        }
    }

    private boolean childrenAlive() {
        String marker = dataDir.toString();
        return ProcessHandle.allProcesses().anyMatch(p -> p.info().arguments()
                .map(a -> String.join(" ", a).contains(marker)).orElse(false));
    }

    private void stopWith(String mode) {
        if (!running && postmasterPid().isEmpty()) {
            return;
        }
        ProcessRunner.Result r = pgCtl("stop", "-m", mode, "-w", "-t", "120");
        if (!r.ok() && postmasterPid().isPresent()) {
            throw new IllegalStateException("cannot stop " + name + ": " + r.describe() + "\n" + logTail(40));
        }
        running = false;
        RUNNING.remove(this);
    }

    /** Promotes a standby or a server in recovery and waits until it accepts writes. */
    public void promote() {
        ProcessRunner.Result r = pgCtl("promote", "-w", "-t", "120");
        if (!r.ok()) {
            throw new IllegalStateException("cannot promote " + name + ": " + r.describe() + "\n" + logTail(40));
        }
    }

    /**
     * Waits until archive_command has archived WAL segment {@code segment} (its 24-character
     * name) or a later one (or a backup history file of one), as {@code pg_stat_archiver} reports; fails with the archiver's
     * state and the log's tail after {@code timeout}.
     */
    public void awaitArchived(String segment, Duration timeout) {
        requireNonNull(segment, "segment is null");
        Instant deadline = Instant.now().plus(timeout);
        while (Instant.now().isBefore(deadline)) {
            String last = queryString("SELECT coalesce(last_archived_wal, '') FROM pg_stat_archiver");
            // a backup history file ("<segment>.<offset>.backup") is archived after its segment
            if (last.length() >= 24 && last.substring(0, 24).compareTo(segment) >= 0) {
                return;
            }
            sleep(200);
        }
        throw new IllegalStateException("'" + segment + "' was not archived by " + name + " within " + timeout + ": "
                + queryString("SELECT row(a.*)::text FROM pg_stat_archiver a") + "\n" + logTail(40));
    }

    /** Re-reads the configuration files. */
    public void reload() {
        ProcessRunner.Result r = pgCtl("reload");
        if (!r.ok()) {
            throw new IllegalStateException("cannot reload " + name + ": " + r.describe());
        }
    }

    /** Appends settings to postgresql.conf (they win over earlier lines; ALTER SYSTEM wins over them). */
    public void configure(Map<String, String> settings) {
        StringBuilder sb = new StringBuilder("\n# walvault testkit\n");
        settings.forEach((k, v) -> sb.append(k).append(" = ").append(quote(v)).append('\n'));
        append(dataDir.resolve("postgresql.conf"), sb.toString());
    }

    /** Writes pg_hba.conf: the test's lines first, then trust for the superuser and replication. */
    public void writeHba(List<String> testLines) {
        StringBuilder sb = new StringBuilder("# written by the walvault testkit\n");
        testLines.forEach(l -> sb.append(l).append('\n'));
        sb.append("local all all trust\n")
          .append("local replication all trust\n")
          .append("host all ").append(SUPERUSER).append(" 127.0.0.1/32 trust\n")
          .append("host replication ").append(SUPERUSER).append(" 127.0.0.1/32 trust\n")
          .append("host all all 127.0.0.1/32 trust\n")
          .append("host replication all 127.0.0.1/32 trust\n");
        write(dataDir.resolve("pg_hba.conf"), sb.toString());
    }

    /** The outcome of recovery on a server started on a restored data directory. */
    public enum RecoveryOutcome {
        /** Recovery ended and the server was promoted: it accepts writes. */
        PROMOTED,
        /** Recovery reached its target and paused: read-only queries are accepted. */
        PAUSED,
        /** Recovery reached its target and the server shut down (recovery_target_action=shutdown). */
        SHUT_DOWN,
        /** The server stopped with an error before reaching a target. */
        FAILED
    }

    /**
     * Waits until recovery on this server has finished one way or another, and says which.
     * The server log tells why when the outcome is {@link RecoveryOutcome#FAILED}.
     */
    public RecoveryOutcome awaitRecoveryEnd(Duration timeout) {
        Instant deadline = Instant.now().plus(timeout);
        while (Instant.now().isBefore(deadline)) {
            if (postmasterPid().isEmpty()) {
                running = false;
                RUNNING.remove(this);
                String log = logSinceStart();
                return log.contains("FATAL:") || log.contains("PANIC:") ? RecoveryOutcome.FAILED : RecoveryOutcome.SHUT_DOWN;
            }
            try (Connection c = connect(); Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("SELECT pg_is_in_recovery(),"
                         + " CASE WHEN pg_is_in_recovery() THEN pg_get_wal_replay_pause_state() END")) {
                rs.next();
                if (!rs.getBoolean(1)) {
                    return RecoveryOutcome.PROMOTED;
                }
                if ("paused".equals(rs.getString(2))) {
                    return RecoveryOutcome.PAUSED;
                }
            } catch (SQLException e) {
                // not accepting connections yet (starting up, or before consistency)
            }
            sleep(200);
        }
        throw new IllegalStateException("recovery of " + name + " did not end within " + timeout + "\n" + logTail(60));
    }

    /**
     * Makes a streaming standby of this server by copying its data directory while it is stopped
     * (the embedded binaries have no pg_basebackup), then starts both. The standby follows this
     * server through {@code primary_conninfo}.
     */
    public PgCluster createStandby(Builder standbyBuilder) {
        boolean wasRunning = isRunning();
        stop();
        Path standbyBase = Builder.newBaseDir("standby");
        Path standbyData = standbyBase.resolve("data");
        copyTree(dataDir, standbyData);
        try {
            Files.createFile(standbyData.resolve("standby.signal"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (wasRunning) {
            start();
        }
        PgCluster standby = standbyBuilder.existing(standbyBase, standbyData, "standby-of-" + name);
        standby.port = freePort();
        standby.configure(Map.of("primary_conninfo", "host=" + HOST + " port=" + port + " user=" + SUPERUSER,
                "hot_standby", "on"));
        standby.start();
        return standby;
    }

    /** The server log so far. */
    public String log() {
        try {
            return Files.exists(logFile) ? Files.readString(logFile, StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            return "(cannot read server log: " + e.getMessage() + ")";
        }
    }

    /** The server log written since the last start. */
    public String logSinceStart() {
        String all = log();
        byte[] bytes = all.getBytes(StandardCharsets.UTF_8);
        int from = (int) Math.min(logMarkAtStart, bytes.length);
        return new String(bytes, from, bytes.length - from, StandardCharsets.UTF_8);
    }

    private long logLength() {
        try {
            return Files.exists(logFile) ? Files.size(logFile) : 0;
        } catch (IOException e) {
            return 0;
        }
    }

    /** The last {@code lines} lines of the server log, headed with the server's name. */
    public String logTail(int lines) {
        String[] all = log().split("\n");
        int from = Math.max(0, all.length - lines);
        StringBuilder sb = new StringBuilder("---- server log of ").append(name).append(" (")
                .append(version()).append("), last ").append(all.length - from).append(" lines ----\n");
        for (int i = from; i < all.length; i++) {
            sb.append(all[i]).append('\n');
        }
        return sb.toString();
    }

    /** Stops the server at once and removes what it created. */
    @Override
    public void close() {
        try {
            if (postmasterPid().isPresent()) {
                crash();
            }
        } finally {
            RUNNING.remove(this);
            if (!Boolean.getBoolean("walvault.keepClusters")) {
                try {
                    PgInstallation.deleteTree(baseDir);
                    if (ownsDataDir && !dataDir.startsWith(baseDir)) {
                        PgInstallation.deleteTree(dataDir);
                    }
                } catch (IOException e) {
                    System.err.println("warning: cannot remove '" + baseDir + "': " + e.getMessage());
                }
            }
        }
    }

    @Override
    public String toString() {
        return name + " (" + version() + ", port " + port + ")";
    }

    /** The postmaster's PID while it runs. */
    public Optional<Long> postmasterPid() {
        Path pidFile = dataDir.resolve("postmaster.pid");
        try {
            if (!Files.exists(pidFile)) {
                return Optional.empty();
            }
            List<String> lines = Files.readAllLines(pidFile, StandardCharsets.UTF_8);
            if (lines.isEmpty()) {
                return Optional.empty();
            }
            long pid = Long.parseLong(lines.get(0).trim());
            return ProcessHandle.of(pid).filter(ProcessHandle::isAlive).map(ProcessHandle::pid);
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    private ProcessRunner.Result pgCtl(String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(installation.bin("pg_ctl").toString());
        cmd.add(args[0]);
        cmd.add("-D");
        cmd.add(dataDir.toString());
        for (int i = 1; i < args.length; i++) {
            cmd.add(args[i]);
        }
        return ProcessRunner.run(cmd, env, baseDir, START_TIMEOUT.plusSeconds(30));
    }

    private static String quote(String v) {
        return "'" + v.replace("'", "''") + "'";
    }

    private static void append(Path file, String text) {
        try {
            Files.writeString(file, text, StandardCharsets.UTF_8, StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write '" + file + "'", e);
        }
    }

    private static void write(Path file, String text) {
        try {
            Files.writeString(file, text, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write '" + file + "'", e);
        }
    }

    static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName(HOST))) {
            s.setReuseAddress(true);
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free loopback port", e);
        }
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    static void copyTree(Path from, Path to) {
        copyDataDirectory(from, to);
        ServerUser.get().adopt(to.getParent());
    }

    /**
     * Copies a stopped server's data directory as a cold copy: directories owner-only, links as
     * links, without postmaster.pid. A file that vanishes while the copy runs is left out, as
     * rsync does: an archive-push watcher may still be writing and removing its small marker
     * files in pg_wal (it lingers up to 20 s after the server stopped).
     */
    public static void copyDataDirectory(Path from, Path to) {
        try {
            Files.walkFileTree(from, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                    Path t = to.resolve(from.relativize(dir).toString());
                    Files.createDirectories(t);
                    Files.setPosixFilePermissions(t, PosixFilePermissions.fromString("rwx------"));
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    Path t = to.resolve(from.relativize(file).toString());
                    try {
                        if (attrs.isSymbolicLink()) {
                            Files.createSymbolicLink(t, Files.readSymbolicLink(file));
                        } else if (!file.getFileName().toString().equals("postmaster.pid")) {
                            Files.copy(file, t, StandardCopyOption.COPY_ATTRIBUTES, LinkOption.NOFOLLOW_LINKS);
                        }
                    } catch (NoSuchFileException vanished) {
                        // removed since it was listed
                    }
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
                    if (e instanceof NoSuchFileException) {
                        return FileVisitResult.CONTINUE;
                    }
                    throw e;
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException("cannot copy '" + from + "' to '" + to + "'", e);
        }
    }

    /**
     * Builds a cluster: settings, pg_hba lines, initdb options, or an existing data directory.
     * Example:
     * <pre>{@code
     * PgCluster pg = harness.cluster()
     *         .setting("archive_mode", "on")
     *         .setting("archive_command", "/path/to/walvault archive-push %p")
     *         .start();
     * }</pre>
     */
    public static final class Builder {
        private final PgInstallation installation;
        private final Map<String, String> settings = new LinkedHashMap<>();
        private final List<String> hba = new ArrayList<>();
        private final Map<String, String> env = new LinkedHashMap<>();
        private Consumer<PgCluster> onCreate = c -> { };
        private String name;
        private Path existingData;
        private final List<String> initdbOptions = new ArrayList<>();

        Builder(PgInstallation installation) {
            this.installation = requireNonNull(installation, "installation is null");
            // what walvault needs of any server it backs up, and quiet, fast test defaults
            settings.put("wal_level", "replica");
            settings.put("max_wal_senders", "10");
            settings.put("max_replication_slots", "10");
            settings.put("max_connections", "40");
            settings.put("shared_buffers", "32MB");
            settings.put("fsync", "off");
            settings.put("log_line_prefix", "%m [%p] %q%a ");
            settings.put("log_checkpoints", "on");
            env.put("PATH", Path.of(System.getProperty("java.home"), "bin") + ":/usr/local/bin:/usr/bin:/bin");
            env.put("LANG", "C");
            env.put("LC_ALL", "C");
            env.put("TZ", "UTC");
        }

        Builder onCreate(Consumer<PgCluster> hook) {
            this.onCreate = requireNonNull(hook, "hook is null");
            return this;
        }

        /** A name for logs and temp directories. */
        public Builder name(String name) {
            this.name = requireNonNull(name, "name is null");
            return this;
        }

        /** A server setting, written to postgresql.conf. */
        public Builder setting(String setting, Object value) {
            settings.put(requireNonNull(setting, "setting is null"), String.valueOf(requireNonNull(value, "value is null")));
            return this;
        }

        /** A pg_hba.conf line, placed before the testkit's trust lines (first match wins). */
        public Builder hba(String line) {
            hba.add(requireNonNull(line, "line is null"));
            return this;
        }

        /** An initdb option beyond the harness's own (for example {@code --wal-segsize=1}). */
        public Builder initdbOption(String option) {
            initdbOptions.add(requireNonNull(option, "option is null"));
            return this;
        }

        /** An environment variable for the server and what it runs (archive_command, restore_command). */
        public Builder env(String key, String value) {
            env.put(requireNonNull(key, "key is null"), requireNonNull(value, "value is null"));
            return this;
        }

        /**
         * Use an existing data directory (for example one walvault restored) instead of running
         * initdb. The directory is given to the server user; the builder's settings and pg_hba
         * lines are not written (the restored configuration stays as restored); only port and
         * socket are chosen by the harness. The directory is removed when the cluster closes.
         */
        public Builder dataDirectory(Path dataDirectory) {
            this.existingData = requireNonNull(dataDirectory, "dataDirectory is null").toAbsolutePath();
            return this;
        }

        /** Creates the cluster (initdb, settings) without starting it. */
        public PgCluster create() {
            String n = name != null ? name : "pg" + installation.version().major();
            Path base = newBaseDir(n);
            PgCluster c;
            if (existingData != null) {
                c = existing(base, existingData, n);
            } else {
                Path data = base.resolve("data");
                c = new PgCluster(installation, n, base, data, true, Map.copyOf(env));
                List<String> cmd = new ArrayList<>(List.of(installation.bin("initdb").toString(),
                        "-D", data.toString(), "-U", SUPERUSER, "-A", "trust", "-E", "UTF8", "--locale=C",
                        "--data-checksums", "--no-sync"));
                cmd.addAll(initdbOptions);
                ProcessRunner.Result r = ProcessRunner.run(cmd, env, base, Duration.ofMinutes(3));
                if (!r.ok()) {
                    c.close();
                    throw new IllegalStateException("initdb failed for " + installation.version() + ": " + r.describe());
                }
                c.configure(settings);
                c.writeHba(hba);
                onCreate.accept(c);
            }
            return c;
        }

        /** Creates and starts the cluster. */
        public PgCluster start() {
            PgCluster c = create();
            try {
                c.start();
            } catch (RuntimeException e) {
                e.addSuppressed(new IllegalStateException(c.logTail(80)));
                c.close();
                throw e;
            }
            return c;
        }

        PgCluster existing(Path base, Path data, String n) {
            ServerUser.get().adopt(data);
            try {
                Files.setPosixFilePermissions(data, PosixFilePermissions.fromString("rwx------"));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            PgCluster c = new PgCluster(installation, n, base, data, true, Map.copyOf(env));
            onCreate.accept(c);
            return c;
        }

        static Path newBaseDir(String n) {
            try {
                Path base = Files.createTempDirectory("walvault-" + n.replaceAll("[^A-Za-z0-9_-]", "_") + "-");
                Files.createDirectories(base.resolve("sock"));
                Files.setPosixFilePermissions(base, PosixFilePermissions.fromString("rwx------"));
                ServerUser.get().adopt(base);
                return base;
            } catch (IOException e) {
                throw new UncheckedIOException("cannot create a temporary directory for a test server", e);
            }
        }
    }
}
