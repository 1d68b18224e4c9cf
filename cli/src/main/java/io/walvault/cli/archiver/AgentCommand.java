package io.walvault.cli.archiver;

import io.walvault.archiver.backup.BackupOptions;
import io.walvault.archiver.backup.ServerCompressionChoice;
import io.walvault.archiver.expire.Expire;
import io.walvault.archiver.expire.RetentionPolicy;
import io.walvault.archiver.stream.AfterBackup;
import io.walvault.archiver.stream.Agent;
import io.walvault.archiver.stream.AgentMetrics;
import io.walvault.archiver.stream.AgentOptions;
import io.walvault.archiver.stream.BackupSchedule;
import io.walvault.cli.options.RepositoryOptions;
import io.walvault.cli.options.ServerConnection;
import io.walvault.core.config.ClusterGuard;
import io.walvault.core.config.RepositorySettings;
import io.walvault.core.config.Settings;
import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;
import io.walvault.core.replication.ReplicationConnection;
import io.walvault.core.replication.conn.ConnectionSettings;
import io.walvault.core.repo.Repositories;
import io.walvault.core.repo.Repository;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalTime;
import java.time.format.DateTimeParseException;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code walvault agent}: parses the command line and runs {@link Agent} until SIGTERM/SIGINT.
 * The connection string comes from {@code --pg}, else {@code WALVAULT_PG}, completed by the PG*
 * environment and the password file as libpq does.
 */
@Command(name = "agent", mixinStandardHelpOptions = true,
        footerHeading = "%nExample:%n", footer = {"  walvault agent --config /etc/walvault/main.conf \\", "      --pg 'host=127.0.0.1 user=walvault' --slot walvault \\", "      --spool /var/lib/walvault/main/spool --backup-at 02:00 \\", "      --retain-window 14d --metrics-listen 127.0.0.1:9187"},
        description = {"Stream WAL from a physical replication slot into the repository, continuously.",
                "Each segment is stored as soon as it is complete, the segment in progress every --partial-interval as"
                        + " NAME.partial; the slot's flush position advances only once the repository holds the WAL.",
                "Stops cleanly on SIGTERM (ships what it holds first). The role needs LOGIN REPLICATION."})
public final class AgentCommand implements Callable<Integer> {

    private static final Logger LOG = LoggerFactory.getLogger(AgentCommand.class);

    @Mixin
    RepositoryOptions repository;

    @Option(names = "--pg", paramLabel = "CONNINFO", description = "libpq connection string or URI of the server"
            + " (WALVAULT_PG; PG* variables and ~/.pgpass apply as with libpq). Its application_name is the name to list in"
            + " synchronous_standby_names.")
    String pg;

    @Option(names = "--slot", paramLabel = "NAME", description = "Physical replication slot (created if missing; default walvault).")
    String slot = "walvault";

    @Option(names = "--spool", paramLabel = "DIR", required = true, description = "Local spool directory (created 0700).")
    Path spool;

    @Option(names = "--partial-interval", paramLabel = "DURATION", description = "How often the segment in progress is"
            + " uploaded as .partial when it grew (default 3s; e.g. 500ms, 2s, 1m).")
    String partialInterval = "3s";

    @Option(names = "--synchronous", negatable = true, fallbackValue = "true",
            description = "Report WAL written as soon as it is fsynced in the spool, for"
            + " synchronous_standby_names with synchronous_commit = remote_write (RPO zero); flush still waits for the repository.")
    boolean synchronous;

    @Option(names = "--accept-gap", negatable = true, fallbackValue = "true",
            description = "If the server no longer has WAL the repository lacks, stream on from the"
            + " slot's position instead of stopping (take a new backup first: restores cannot cross the gap).")
    boolean acceptGap;

    @Option(names = "--metrics-listen", paramLabel = "HOST:PORT", description = "Serve /metrics (Prometheus) and /health"
            + " there (e.g. 127.0.0.1:9187).")
    String metricsListen;

    @Option(names = "--reconnect-max", paramLabel = "DURATION", description = "Longest wait between reconnection attempts"
            + " (default 30s).")
    String reconnectMax = "30s";

    @Option(names = "--backup-every", paramLabel = "DURATION", description = "Take a backup this often, counted from the"
            + " agent's start (e.g. 24h, 6h). A failed backup is logged, counted and retried at the next slot; WAL streaming"
            + " goes on regardless.")
    String backupEvery;

    @Option(names = "--backup-at", paramLabel = "HH:MM", description = "Take a backup every day at this time, UTC.")
    String backupAt;

    @Option(names = "--backup-checkpoint", paramLabel = "MODE", description = "Checkpoint of scheduled backups: spread"
            + " (default) or fast.")
    String backupCheckpoint = "spread";

    @Option(names = "--retain-full", paramLabel = "N", description = "Retention after each scheduled backup: keep N full"
            + " backups (as walvault expire --retain-full).")
    Integer retainFull;

    @Option(names = "--retain-window", paramLabel = "DURATION", description = "Retention after each scheduled backup: keep"
            + " what restores to any point in this window: 36h, 7d, 2w (as walvault expire --retain-window).")
    String retainWindow;

    @Override
    public Integer call() {
        AgentOptions options = options();
        ConnectionSettings settings = ServerConnection.of(pg);
        ReplicationConnection.prepareInBackground(); // the network code set up while the rest starts
        try (RepositorySettings rs = repository.repository(System.getenv()); Repository repo = Repositories.open(rs)) {
            AgentMetrics metrics = new AgentMetrics();
            Agent agent = new Agent(settings, repo, options, metrics);
            try (RepositoryGauges gauges = new RepositoryGauges(repo, agent::systemId)) {
                metrics.repositoryGauges(gauges);
                Settings own = repository.settings(Map.of(), System.getenv());
                agent.expectCluster(own.systemIdentifier());
                agent.guardCluster(ClusterGuard.of(own, LOG::warn));
                AfterBackup retention = afterBackup(repo);
                agent.scheduleBackups(BackupOptions.defaults().label("walvault-agent")
                                .fastCheckpoint("fast".equals(backupCheckpoint)).serverCompression(ServerCompressionChoice.from(own)),
                        schedule(), r -> {
                            try {
                                retention.afterBackup(r);
                            } finally {
                                gauges.invalidate(); // the newest backup, and what retention removed
                            }
                        });
                agent.runUntilShutdown();
            }
        }
        return 0;
    }

    BackupSchedule schedule() {
        try {
            return new BackupSchedule(Optional.ofNullable(backupEvery).map(t -> duration("--backup-every", t)),
                    Optional.ofNullable(backupAt).map(AgentCommand::timeOfDay));
        } catch (IllegalArgumentException e) {
            throw new WalvaultException(ErrorCode.USAGE, e.getMessage());
        }
    }

    /**
     * Retention after each scheduled backup: {@link Expire} with the policy of
     * {@code --retain-full} / {@code --retain-window}, as {@code walvault expire} applies it
     * (under the cluster's {@code backup} lock; what it removed and kept is logged). Without
     * either option, nothing is removed.
     */
    AfterBackup afterBackup(Repository repo) {
        RetentionPolicy policy = retentionPolicy();
        if (policy == null) {
            return AfterBackup.NONE;
        }
        return r -> new Expire(repo, r.info().systemId(), policy).run(false).lines().forEach(l -> LOG.info("agent: expire: {}", l));
    }

    /** The retention the options ask for, or null for none. */
    RetentionPolicy retentionPolicy() {
        if (retainFull == null && retainWindow == null) {
            return null;
        }
        if (retainFull != null && retainFull < 1) {
            throw new WalvaultException(ErrorCode.USAGE, "--retain-full " + retainFull + " is not a positive number");
        }
        try {
            return new RetentionPolicy(retainFull == null ? 0 : retainFull,
                    retainWindow == null ? null : RetentionPolicy.parseDuration(retainWindow), RetentionPolicy.DEFAULT_ORPHAN_GRACE);
        } catch (IllegalArgumentException e) {
            throw new WalvaultException(ErrorCode.USAGE, "--retain-window: " + e.getMessage());
        }
    }

    static LocalTime timeOfDay(String text) {
        try {
            return LocalTime.parse(text.length() == 4 ? "0" + text : text);
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("--backup-at '" + text + "' is not a time of day HH:MM (UTC)");
        }
    }

    AgentOptions options() {
        try {
            AgentOptions o = AgentOptions.defaults(spool).slot(slot).partialInterval(duration("--partial-interval", partialInterval))
                    .synchronous(synchronous).acceptGap(acceptGap)
                    .reconnect(Duration.ofMillis(500), duration("--reconnect-max", reconnectMax));
            if (metricsListen != null) {
                o = o.metricsListen(address(metricsListen));
            }
            return o;
        } catch (IllegalArgumentException e) {
            throw new WalvaultException(ErrorCode.USAGE, e.getMessage());
        }
    }

    /** {@code 500ms}, {@code 3s}, {@code 5m}, {@code 2h}, {@code 1d}, or ISO-8601 ({@code PT5M}). */
    public static Duration duration(String option, String text) {
        String t = text.trim();
        try {
            if (t.startsWith("P") || t.startsWith("p")) {
                return Duration.parse(t);
            }
            int i = 0;
            while (i < t.length() && Character.isDigit(t.charAt(i))) {
                i++;
            }
            long n = Long.parseLong(t.substring(0, i));
            return switch (t.substring(i)) {
                case "ms" -> Duration.ofMillis(n);
                case "s", "" -> Duration.ofSeconds(n);
                case "m", "min" -> Duration.ofMinutes(n);
                case "h" -> Duration.ofHours(n);
                case "d" -> Duration.ofDays(n);
                default -> throw new IllegalArgumentException("unit");
            };
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(option + " '" + text + "' is not a duration (500ms, 3s, 5m, 2h, 1d)");
        }
    }

    /** {@code host:port}, {@code :port} (all interfaces) or {@code [v6]:port}. */
    static InetSocketAddress address(String text) {
        int colon = text.lastIndexOf(':');
        if (colon < 0) {
            throw new IllegalArgumentException("--metrics-listen '" + text + "' is not HOST:PORT");
        }
        String host = text.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        int port;
        try {
            port = Integer.parseInt(text.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--metrics-listen '" + text + "' has no valid port");
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("--metrics-listen '" + text + "' has no valid port");
        }
        return host.isEmpty() ? new InetSocketAddress(port) : new InetSocketAddress(host, port);
    }
}
