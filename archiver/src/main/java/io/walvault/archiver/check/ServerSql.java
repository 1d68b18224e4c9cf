package io.walvault.archiver.check;

import io.walvault.core.replication.conn.ConnectionSettings;
import io.walvault.core.replication.conn.Endpoint;
import io.walvault.core.replication.conn.SslMode;
import io.walvault.core.replication.conn.Unreachable;
import io.walvault.core.wal.Lsn;
import io.walvault.core.wal.ServerWalPosition;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Locale;
import java.util.Optional;
import java.util.Properties;

/**
 * The SQL side of {@code walvault check}, over JDBC with the same conninfo as the replication
 * connection (over TCP, or a Unix-domain socket through {@link UnixSocketFactory}):
 * pg_stat_archiver, the replication slot the agent streams from, the data directory (to know
 * the server's OS user), and a WAL switch for the end-to-end check.
 * {@code pg_switch_wal()} needs a grant a REPLICATION role does not have by default; its absence
 * is a failure with the GRANT to run. Also the server's WAL position, for {@code walvault status}.
 */
final class ServerSql implements AutoCloseable {

    /** A SQL step that failed, with what to change. */
    static final class SqlFailure extends Exception {
        private final String hint;

        SqlFailure(String message, String hint, Throwable cause) {
            super(message, cause);
            this.hint = hint;
        }

        String hint() {
            return hint;
        }
    }

    /** What pg_stat_archiver says. */
    record Archiver(long archivedCount, long failedCount, String lastFailedWal, String lastFailedTime, String lastArchivedTime,
                    boolean failing) {
    }

    private final Connection connection;
    private final String user;

    private ServerSql(Connection connection, String user) {
        this.connection = connection;
        this.user = user;
    }

    static ServerSql open(ConnectionSettings s) throws SqlFailure {
        Endpoint e = s.endpoints().get(0);
        String database = s.database().equals("replication") || s.database().isEmpty() ? "postgres" : s.database();
        Properties p = new Properties();
        p.setProperty("user", s.user());
        s.passwordFor(e).ifPresent(pw -> p.setProperty("password", pw)); // the conninfo's, PGPASSWORD or the password file's
        p.setProperty("ApplicationName", s.applicationName());
        p.setProperty("connectTimeout", Long.toString(s.connectTimeout().toSeconds()));
        String host;
        if (e.isUnixSocket()) {
            // the driver speaks TCP only: its socket factory reaches the socket file instead of the host and port it is given
            p.setProperty("socketFactory", UnixSocketFactory.class.getName());
            p.setProperty("socketFactoryArg", e.socketFile().toString());
            p.setProperty("sslmode", "disable"); // as libpq: never TLS over a Unix-domain socket
            host = "localhost";
        } else {
            p.setProperty("sslmode", sslMode(s.sslMode()));
            host = e.address().contains(":") ? "[" + e.address() + "]" : e.address();
        }
        try {
            return new ServerSql(DriverManager.getConnection("jdbc:postgresql://" + host + ":" + e.port() + "/" + database, p),
                    s.user());
        } catch (SQLException x) {
            if (x.getSQLState() != null && x.getSQLState().startsWith("08")) {
                // nothing answered: the role's rights and pg_hba.conf are not the question yet
                throw new SqlFailure("cannot connect for the SQL checks to '" + e + "': " + unreachable(x), e.isUnixSocket()
                        ? "check the port and the socket directory (host=DIR) in the connection settings, and that the server runs"
                        : "check the host and port in the connection settings, and that the server runs and accepts TCP/IP"
                                + " connections there", x);
            }
            throw new SqlFailure("cannot connect for the SQL checks to database '" + database + "': " + x.getMessage(),
                    "walvault's role needs CONNECT on database '" + database + "' (dbname= in the conninfo chooses another)"
                            + " and a pg_hba.conf line for it", x);
        }
    }

    /** Why a connection attempt reached no server, from the driver's exception and what caused it. */
    private static String unreachable(SQLException x) {
        Optional<Unreachable> known = Unreachable.of(x);
        if (known.isPresent()) {
            return known.get().reason();
        }
        for (Throwable t = x; t != null; t = t.getCause()) {
            if (t instanceof ConnectException) {
                return "connection refused";
            }
            if (t instanceof SocketTimeoutException) {
                return "no answer in time";
            }
        }
        return x.getMessage();
    }

    private static String sslMode(SslMode mode) {
        return mode.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    Archiver archiver() throws SqlFailure {
        try (Statement st = connection.createStatement(); ResultSet rs = st.executeQuery("SELECT archived_count, failed_count,"
                + " coalesce(last_failed_wal, ''), coalesce(last_failed_time::text, ''), coalesce(last_archived_time::text, ''),"
                + " last_failed_time IS NOT NULL AND (last_archived_time IS NULL OR last_failed_time > last_archived_time)"
                + " FROM pg_stat_archiver")) {
            rs.next();
            return new Archiver(rs.getLong(1), rs.getLong(2), rs.getString(3), rs.getString(4), rs.getString(5), rs.getBoolean(6));
        } catch (SQLException x) {
            throw new SqlFailure("cannot read pg_stat_archiver: " + x.getMessage(), "see the message", x);
        }
    }

    /**
     * A replication slot as pg_replication_slots shows it (readable by every role).
     *
     * @param type physical or logical
     * @param activePid the walsender streaming from it, or 0
     * @param walStatus reserved, extended, unreserved or lost; empty when it reserves no WAL
     * @param restartLsn the oldest WAL it keeps, empty likewise
     * @param invalidationReason why the server invalidated it (PostgreSQL 17+), empty otherwise
     */
    record Slot(String type, int activePid, String walStatus, String restartLsn, String invalidationReason) {
    }

    /** The slot named {@code name}, or empty if there is none. */
    Optional<Slot> slot(String name, int major) throws SqlFailure {
        String reason = major >= 17 ? "coalesce(invalidation_reason, '')" : "''";
        try (PreparedStatement st = connection.prepareStatement("SELECT slot_type, coalesce(active_pid, 0),"
                + " coalesce(wal_status, ''), coalesce(restart_lsn::text, ''), " + reason
                + " FROM pg_replication_slots WHERE slot_name = ?")) {
            st.setString(1, name);
            try (ResultSet rs = st.executeQuery()) {
                if (!rs.next()) {
                    return Optional.empty();
                }
                return Optional.of(new Slot(rs.getString(1), rs.getInt(2), rs.getString(3), rs.getString(4), rs.getString(5)));
            }
        } catch (SQLException x) {
            throw new SqlFailure("cannot read pg_replication_slots: " + x.getMessage(), "see the message", x);
        }
    }

    /** The server's physical replication slots: how many, and how many a walsender streams from now. */
    record PhysicalSlots(int total, int active) {
    }

    PhysicalSlots physicalSlots() throws SqlFailure {
        try (Statement st = connection.createStatement(); ResultSet rs = st.executeQuery("SELECT count(*),"
                + " count(*) FILTER (WHERE active) FROM pg_replication_slots WHERE slot_type = 'physical'")) {
            rs.next();
            return new PhysicalSlots(rs.getInt(1), rs.getInt(2));
        } catch (SQLException x) {
            throw new SqlFailure("cannot read pg_replication_slots: " + x.getMessage(), "see the message", x);
        }
    }

    /**
     * A setting as pg_settings shows it to this role: empty for one the role may not read (such
     * as data_directory without pg_read_all_settings), where SHOW would fail.
     */
    Optional<String> visibleSetting(String name) throws SqlFailure {
        try (PreparedStatement st = connection.prepareStatement("SELECT setting FROM pg_settings WHERE name = ?")) {
            st.setString(1, name);
            try (ResultSet rs = st.executeQuery()) {
                return rs.next() ? Optional.ofNullable(rs.getString(1)) : Optional.empty();
            }
        } catch (SQLException x) {
            throw new SqlFailure("cannot read pg_settings: " + x.getMessage(), "see the message", x);
        }
    }

    /**
     * The server's WAL position: written ({@code pg_current_wal_lsn()}) on a primary, replayed
     * ({@code pg_last_wal_replay_lsn()}) on a standby; functions every role may call.
     */
    ServerWalPosition walPosition() throws SqlFailure {
        try (Statement st = connection.createStatement(); ResultSet rs = st.executeQuery("SELECT pg_is_in_recovery(),"
                + " (CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_lsn() END)::text,"
                + " (SELECT system_identifier FROM pg_control_system())::text")) {
            rs.next();
            boolean standby = rs.getBoolean(1);
            String lsn = rs.getString(2);
            if (lsn == null) {
                throw new SqlFailure("the standby has replayed no WAL yet (pg_last_wal_replay_lsn() is null)",
                        "wait until the standby has started replaying, or ask its primary (--pg)", null);
            }
            return new ServerWalPosition(Long.parseUnsignedLong(rs.getString(3)), Lsn.parse(lsn), standby);
        } catch (SQLException x) {
            throw new SqlFailure("cannot read the server's WAL position: " + x.getMessage(), "see the message", x);
        }
    }

    /** Switches to a new WAL segment; returns the name of the one it closed (or the current one on an idle server). */
    String switchWal() throws SqlFailure {
        try (Statement st = connection.createStatement();
             ResultSet rs = st.executeQuery("SELECT pg_walfile_name(pg_switch_wal())")) {
            rs.next();
            return rs.getString(1);
        } catch (SQLException x) {
            if ("42501".equals(x.getSQLState())) {
                throw new SqlFailure("role '" + user + "' may not switch WAL (pg_switch_wal)",
                        "as a superuser: GRANT EXECUTE ON FUNCTION pg_switch_wal() TO " + quoteIdent(user), x);
            }
            throw new SqlFailure("cannot switch WAL: " + x.getMessage(), "see the message", x);
        }
    }

    static String quoteIdent(String s) {
        return s.matches("[a-z_][a-z0-9_]*") ? s : "\"" + s.replace("\"", "\"\"") + "\"";
    }

    @Override
    public void close() {
        try {
            connection.close();
        } catch (SQLException e) {
            // closing a connection that has done its work
        }
    }
}
