package io.walvault.restore.drill;

import static java.util.Objects.requireNonNull;

import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;
import io.walvault.core.wal.Lsn;
import io.walvault.os.OsUser;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

/**
 * A restore drill: starts a PostgreSQL server on a restored data directory (whose recovery
 * settings are already written), waits until recovery ends, proves the cluster answers
 * (databases, relation counts, the user's SQL checks), and stops it. The server is private to
 * the drill: loopback only, a pg_hba that trusts only local connections, no archiving, no TLS
 * files needed.
 *
 * <p>One drill per instance; {@link #run} blocks until the report is ready.
 */
public final class Drill {

    /**
     * What to run.
     *
     * @param dataDirectory the restored data directory
     * @param binaries the server binary to start
     * @param runAs the OS user to run the server as (required when this process is root)
     * @param databaseUser the role to connect as (the cluster's superuser, usually postgres)
     * @param checks SQL statements whose first value is reported; an error fails the drill
     * @param timeout how long recovery may take
     * @param skippedDatabases databases a selective restore wrote as zeroes: not inspected, and dropped once promoted
     * @param standbyCatchUp for a standby: the drill passes once it serves reads, has replayed to this LSN (the
     *                       start of the last archived segment) and replays nothing more for 6 s; empty:
     *                       recovery must end at its target
     */
    public record Settings(Path dataDirectory, ServerBinaries binaries, Optional<OsUser> runAs, String databaseUser,
                           List<String> checks, Duration timeout, List<String> skippedDatabases, Optional<Lsn> standbyCatchUp) {

        /** A drill of a server that recovers to its target. */
        public Settings(Path dataDirectory, ServerBinaries binaries, Optional<OsUser> runAs, String databaseUser,
                        List<String> checks, Duration timeout, List<String> skippedDatabases) {
            this(dataDirectory, binaries, runAs, databaseUser, checks, timeout, skippedDatabases, Optional.empty());
        }

        public Settings {
            requireNonNull(standbyCatchUp, "standbyCatchUp is null");
            skippedDatabases = List.copyOf(skippedDatabases);
            requireNonNull(dataDirectory, "dataDirectory is null");
            requireNonNull(binaries, "binaries is null");
            requireNonNull(runAs, "runAs is null");
            requireNonNull(databaseUser, "databaseUser is null");
            checks = List.copyOf(checks);
            requireNonNull(timeout, "timeout is null");
        }
    }

    /** How long a standby's replay must stand still in the last archived segment to count as caught up. */
    private static final long STANDBY_SETTLED_NANOS = 6_000_000_000L;

    private final Settings settings;
    private Path supportDir;
    private Path logFile;
    private int port;

    public Drill(Settings settings) {
        this.settings = requireNonNull(settings, "settings is null");
    }

    /** The server's log (for a failed drill's message, or the report). */
    public String log() {
        try {
            return logFile != null && Files.exists(logFile) ? Files.readString(logFile, StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            return "";
        }
    }

    public DrillReport run() {
        if (OsUser.processIsRoot() && settings.runAs().isEmpty()) {
            throw new WalvaultException(ErrorCode.DRILL_NO_SERVER, "walvault runs as root and PostgreSQL refuses to"
                    + " run as root HINT: name an unprivileged user for the drill's server with --run-as");
        }
        Process server = null;
        try {
            prepare();
            Instant started = Instant.now();
            server = start();
            DrillReport.Outcome outcome = awaitRecovery(server);
            Duration recovery = Duration.between(started, Instant.now());
            if (outcome == DrillReport.Outcome.SHUT_DOWN_AT_TARGET) {
                return new DrillReport(outcome, recovery, lastLine("recovery stopping"), Optional.empty(), List.of(), List.of(),
                        List.of());
            }
            return inspect(outcome, recovery);
        } catch (IOException e) {
            throw new UncheckedIOException("restore drill on '" + settings.dataDirectory() + "' failed", e);
        } finally {
            if (server != null) {
                stop(server);
            }
            deleteSupport();
        }
    }

    private void prepare() throws IOException {
        supportDir = Files.createTempDirectory("walvault-drill-");
        Files.setPosixFilePermissions(supportDir, PosixFilePermissions.fromString("rwx------"));
        Files.writeString(supportDir.resolve("pg_hba.conf"), "local all all trust\nhost all all 127.0.0.1/32 trust\n",
                StandardCharsets.UTF_8);
        logFile = supportDir.resolve("server.log");
        Files.createFile(logFile);
        Files.setPosixFilePermissions(settings.dataDirectory(), PosixFilePermissions.fromString("rwx------"));
        if (settings.runAs().isPresent()) {
            settings.runAs().get().adopt(settings.dataDirectory());
            settings.runAs().get().adopt(supportDir);
        }
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            port = s.getLocalPort();
        }
    }

    private Process start() throws IOException {
        List<String> cmd = new ArrayList<>(List.of(settings.binaries().postgres().toString(),
                "-D", settings.dataDirectory().toString(),
                "-p", Integer.toString(port),
                "-c", "listen_addresses=127.0.0.1",
                "-c", "unix_socket_directories=" + supportDir,
                "-c", "hba_file=" + supportDir.resolve("pg_hba.conf"),
                "-c", "archive_mode=off",
                "-c", "ssl=off",
                "-c", "logging_collector=off",
                "-c", "log_destination=stderr",
                "-c", "cluster_name=walvault-drill"));
        List<String> full = settings.runAs().map(u -> u.wrap(cmd)).orElse(cmd);
        return new ProcessBuilder(full)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                .start();
    }

    private DrillReport.Outcome awaitRecovery(Process server) {
        long deadline = System.nanoTime() + settings.timeout().toNanos();
        String replayed = "";
        long replayedSince = 0;
        while (System.nanoTime() < deadline) {
            if (!server.isAlive()) {
                String log = log();
                if (log.contains("FATAL:") || log.contains("PANIC:") || !log.contains("recovery stopping")) {
                    throw new WalvaultException(ErrorCode.DRILL_FAILED, "the drill's server stopped during recovery"
                            + " (exit code " + server.exitValue() + "):\n" + tail(log, 25));
                }
                return DrillReport.Outcome.SHUT_DOWN_AT_TARGET;
            }
            try (Connection c = connect(adminDatabase()); Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("SELECT pg_is_in_recovery(),"
                         + " CASE WHEN pg_is_in_recovery() THEN pg_get_wal_replay_pause_state() END,"
                         + " pg_last_wal_replay_lsn()")) {
                rs.next();
                if (!rs.getBoolean(1)) {
                    if (settings.standbyCatchUp().isPresent()) {
                        throw new WalvaultException(ErrorCode.DRILL_FAILED, "the drill's standby left recovery on its"
                                + " own (it must stay a standby):\n" + tail(log(), 25));
                    }
                    return DrillReport.Outcome.PROMOTED;
                }
                if (settings.standbyCatchUp().isPresent() && rs.getString(3) != null
                        && Lsn.parse(rs.getString(3)).compareTo(settings.standbyCatchUp().get()) >= 0) {
                    // in the last archived segment: caught up once replay has stood still for longer than
                    // PostgreSQL waits between two attempts to fetch WAL (wal_retrieve_retry_interval, 5 s)
                    if (!rs.getString(3).equals(replayed)) {
                        replayed = rs.getString(3);
                        replayedSince = System.nanoTime();
                    } else if (System.nanoTime() - replayedSince > STANDBY_SETTLED_NANOS) {
                        return DrillReport.Outcome.STANDBY_CAUGHT_UP;
                    }
                }
                if ("paused".equals(rs.getString(2))) {
                    return DrillReport.Outcome.PAUSED_AT_TARGET;
                }
            } catch (SQLException e) {
                if (e.getMessage() != null && e.getMessage().contains("does not exist") && e.getMessage().contains("role")) {
                    throw new WalvaultException(ErrorCode.DRILL_FAILED, "the restored cluster has no role '"
                            + settings.databaseUser() + "' HINT: name its superuser with --db-user", e);
                }
                // starting up, or not consistent yet
            }
            sleep(200);
        }
        throw new WalvaultException(ErrorCode.DRILL_FAILED, "recovery of the drill's server did not end within "
                + settings.timeout() + ":\n" + tail(log(), 25));
    }

    private DrillReport inspect(DrillReport.Outcome outcome, Duration recovery) {
        try (Connection c = connect(adminDatabase()); Statement s = c.createStatement()) {
            String replayed;
            Optional<Instant> lastXact;
            try (ResultSet rs = s.executeQuery("SELECT CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn()"
                    + " ELSE pg_current_wal_lsn() END, pg_last_xact_replay_timestamp()")) {
                rs.next();
                replayed = rs.getString(1);
                Timestamp ts = rs.getTimestamp(2);
                lastXact = Optional.ofNullable(ts).map(Timestamp::toInstant);
            }
            List<DrillReport.DatabaseSummary> dbs = new ArrayList<>();
            List<String[]> names = new ArrayList<>();
            try (ResultSet rs = s.executeQuery("SELECT datname, pg_database_size(oid) FROM pg_database"
                    + " WHERE datallowconn ORDER BY datname")) {
                while (rs.next()) {
                    names.add(new String[] {rs.getString(1), Long.toString(rs.getLong(2))});
                }
            }
            List<String> dropped = new ArrayList<>();
            for (String skipped : settings.skippedDatabases()) {
                names.removeIf(n -> n[0].equals(skipped));
                if (outcome == DrillReport.Outcome.PROMOTED) {
                    // what the person does after a selective restore: the skipped databases go
                    s.execute("DROP DATABASE \"" + skipped.replace("\"", "\"\"") + "\"");
                    dropped.add(skipped);
                }
            }
            for (String[] n : names) {
                try (Connection dc = connect(n[0]); Statement ds = dc.createStatement();
                     ResultSet rs = ds.executeQuery("SELECT count(*) FROM pg_class WHERE relkind IN ('r', 'p', 'm')"
                             + " AND relnamespace NOT IN ('pg_catalog'::regnamespace, 'information_schema'::regnamespace)")) {
                    rs.next();
                    dbs.add(new DrillReport.DatabaseSummary(n[0], rs.getLong(1), Long.parseLong(n[1])));
                }
            }
            List<DrillReport.CheckResult> checks = new ArrayList<>();
            for (String sql : settings.checks()) {
                try (ResultSet rs = s.executeQuery(sql)) {
                    checks.add(new DrillReport.CheckResult(sql, rs.next() ? String.valueOf(rs.getString(1)) : "(no rows)"));
                } catch (SQLException e) {
                    throw new WalvaultException(ErrorCode.DRILL_FAILED, "drill check failed: '" + sql + "': " + e.getMessage(), e);
                }
            }
            return new DrillReport(outcome, recovery, replayed, lastXact, dbs, checks, dropped);
        } catch (SQLException e) {
            throw new WalvaultException(ErrorCode.DRILL_FAILED, "cannot inspect the drill's server: " + e.getMessage(), e);
        }
    }

    /** The database the drill's own queries use: postgres, or template1 when a selective restore skipped postgres. */
    private String adminDatabase() {
        return settings.skippedDatabases().contains("postgres") ? "template1" : "postgres";
    }

    private Connection connect(String database) throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", settings.databaseUser());
        p.setProperty("connectTimeout", "5");
        p.setProperty("ApplicationName", "walvault-drill");
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/" + database, p);
    }

    private void stop(Process server) {
        server.destroy(); // SIGTERM: smart shutdown; the drill's own connections are closed
        try {
            if (!server.waitFor(60, TimeUnit.SECONDS)) {
                server.destroyForcibly();
                server.waitFor(30, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            server.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    private void deleteSupport() {
        if (supportDir == null) {
            return;
        }
        try (var files = Files.walk(supportDir)) {
            for (Path p : (Iterable<Path>) files.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            // a leftover temp directory is harmless; the report matters more
        }
    }

    private String lastLine(String containing) {
        String found = "";
        for (String l : log().split("\n")) {
            if (l.contains(containing)) {
                found = l.strip();
            }
        }
        return found;
    }

    private static String tail(String log, int lines) {
        String[] all = log.split("\n");
        StringBuilder sb = new StringBuilder();
        for (int i = Math.max(0, all.length - lines); i < all.length; i++) {
            sb.append("  ").append(all[i]).append('\n');
        }
        return sb.toString();
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new WalvaultException(ErrorCode.INTERRUPTED, "the drill was interrupted");
        }
    }
}
