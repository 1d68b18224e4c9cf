package io.walvault.cli.restore;

import io.walvault.archiver.check.ServerWal;
import io.walvault.cli.archiver.AgentCommand;
import io.walvault.cli.options.RepositoryOptions;
import io.walvault.cli.options.ServerConnection;
import io.walvault.core.BuildInfo;
import io.walvault.core.config.RepositorySettings;
import io.walvault.core.config.Settings;
import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;
import io.walvault.core.replication.conn.ConnectionSettings;
import io.walvault.core.repo.ClusterCatalog;
import io.walvault.core.repo.Repositories;
import io.walvault.core.repo.Repository;
import io.walvault.core.wal.ServerWalPosition;
import io.walvault.restore.info.RecoveryWindow;
import io.walvault.restore.plan.ClusterState;
import io.walvault.restore.status.Rto;
import io.walvault.restore.status.ServerReading;
import io.walvault.restore.status.Status;
import io.walvault.restore.status.StatusJson;
import io.walvault.restore.status.StatusMetrics;
import io.walvault.restore.status.StatusProblem;
import io.walvault.restore.status.StatusReport;
import io.walvault.restore.status.StatusThresholds;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code walvault status}: the cluster's recovery point now, the newest WAL and backup, and whether it is healthy. */
@Command(name = "status", mixinStandardHelpOptions = true,
        footerHeading = "%nExample:%n", footer = {"  walvault status --config /etc/walvault/main.conf \\",
                "      --pg 'host=127.0.0.1 user=walvault' --max-archive-age 15m --max-backup-age 26h --json"},
        header = "Show how far a restore to now would fall short, and whether the cluster is healthy.",
        description = {"For one cluster: how far the recoverable WAL is behind the server (RPO, in bytes and seconds; with"
                + " --pg only, else unknown), the newest archived WAL file and the newest backup with their ages, the"
                + " recoverable windows and WAL gaps as 'info' computes them, and the recovery time (RTO) estimated"
                + " from the throughput earlier full restores and drills of the cluster recorded in the repository.",
                "Exit 89 when the cluster is not healthy: a WAL gap, no restorable backup or WAL, a server that cannot be"
                        + " read, or an age beyond --max-archive-age or --max-backup-age; every problem is listed."})
public final class StatusCommand implements Callable<Integer> {

    @Mixin
    RepositoryOptions repository;

    @Option(names = "--pg", paramLabel = "CONNINFO", description = "The server, as a libpq conninfo (WALVAULT_PG), over"
            + " TCP; without it the server's position and the RPO are unknown.")
    String pg;

    @Option(names = "--system-identifier", paramLabel = "ID", description = "The cluster, when the repository holds several"
            + " (default: the server's with --pg).")
    String systemIdentifier;

    @Option(names = "--max-archive-age", paramLabel = "DURATION", description = "Not healthy when the newest archived WAL"
            + " reached the repository longer ago (30s, 15m, 2h, 1d, or ISO-8601).")
    String maxArchiveAge;

    @Option(names = "--max-backup-age", paramLabel = "DURATION", description = "Not healthy when the newest backup ended"
            + " longer ago (as --max-archive-age).")
    String maxBackupAge;

    @Option(names = "--json", negatable = true, fallbackValue = "true",
            description = "Print JSON instead of text.")
    boolean json;

    @Option(names = "--prometheus", negatable = true, fallbackValue = "true",
            description = "Print Prometheus gauges instead of text (for node_exporter's textfile"
            + " collector).")
    boolean prometheus;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        if (json && prometheus) {
            throw new WalvaultException(ErrorCode.USAGE, "--json and --prometheus each choose the output: give one");
        }
        StatusThresholds limits = new StatusThresholds(limit("--max-archive-age", maxArchiveAge),
                limit("--max-backup-age", maxBackupAge));
        Map<String, String> own = new LinkedHashMap<>();
        own.put("system-identifier", systemIdentifier);
        Settings settings = repository.settings(own, System.getenv());
        // a malformed conninfo is the configuration's error (exit 3); a server that cannot be read is a problem status reports
        ServerReading server = ServerConnection.ifGiven(pg).map(StatusCommand::read).orElseGet(ServerReading::notAsked);
        StatusReport report;
        try (RepositorySettings rs = RepositorySettings.from(settings); Repository repo = Repositories.open(rs)) {
            ClusterCatalog cluster = cluster(repo, settings.get("system-identifier"), server);
            report = Status.collect(cluster, server, Instant.now(), limits);
        }
        PrintWriter out = spec.commandLine().getOut();
        out.print(json ? StatusJson.write(report) : prometheus ? BuildInfo.prometheus() + StatusMetrics.render(report) : text(report));
        out.flush();
        if (!report.healthy()) {
            throw new WalvaultException(ErrorCode.STATUS_UNHEALTHY, "not healthy: " + report.problems().size() + " problem"
                    + (report.problems().size() == 1 ? "" : "s") + " (listed above)");
        }
        return 0;
    }

    private static Optional<Duration> limit(String option, String text) {
        if (text == null || text.isBlank()) {
            return Optional.empty();
        }
        Duration d;
        try {
            d = AgentCommand.duration(option, text);
        } catch (IllegalArgumentException e) {
            throw new WalvaultException(ErrorCode.USAGE, e.getMessage());
        }
        if (d.isNegative() || d.isZero()) {
            throw new WalvaultException(ErrorCode.USAGE, option + " " + text + " must be longer than 0");
        }
        return Optional.of(d);
    }

    private static ServerReading read(ConnectionSettings server) {
        try {
            return ServerReading.of(ServerWal.read(server));
        } catch (WalvaultException e) {
            return ServerReading.failed(e.getMessage());
        }
    }

    /** The cluster named, else the server's, else the repository's only one; a server of another cluster is refused. */
    private static ClusterCatalog cluster(Repository repo, Optional<String> named, ServerReading server) {
        Optional<String> serverId = server.position().map(p -> Long.toUnsignedString(p.systemId()));
        ClusterCatalog cluster = ClusterState.chooseCluster(repo, named.isPresent() ? named : serverId);
        Optional<ServerWalPosition> p = server.position();
        if (p.isPresent() && p.get().systemId() != cluster.systemId()) {
            throw new WalvaultException(ErrorCode.CONFIG, "the server (--pg) is cluster " + serverId.get() + ", not "
                    + Long.toUnsignedString(cluster.systemId()) + " (--system-identifier) HINT: name the server of that cluster,"
                    + " or leave --system-identifier out");
        }
        return cluster;
    }

    private static String rto(Rto t) {
        if (t.seconds().isEmpty()) {
            return "unknown (" + t.unknownBecause().orElseThrow() + ")";
        }
        return String.format(Locale.ROOT, "about %s: %.1f GB at %.0f MB/s (median of %d restore%s), %.1f GB of WAL at %.0f MB/s"
                + " (median of %d drill%s)", Status.human(Duration.ofSeconds(t.seconds().getAsLong())), t.restoreBytes() / 1e9,
                t.restoreBytesPerSecond().getAsLong() / 1e6, t.restores(), t.restores() == 1 ? "" : "s", t.walBytes() / 1e9,
                t.replayBytesPerSecond().getAsLong() / 1e6, t.drills(), t.drills() == 1 ? "" : "s");
    }

    static String text(StatusReport r) {
        StringBuilder sb = new StringBuilder();
        sb.append("cluster ").append(Long.toUnsignedString(r.systemId())).append(" at ").append(r.at()).append(": ")
                .append(r.healthy() ? "healthy" : "NOT HEALTHY").append('\n');
        sb.append("  server:          ").append(r.server().position().map(p -> p.lsn() + (p.standby() ? " (standby, replayed)"
                : " (primary, written)")).orElse(r.server().error().isPresent() ? "unknown (cannot be read)"
                : "unknown (no --pg given)")).append('\n');
        sb.append("  RPO:             ").append(r.rpo().map(p -> p.bytes() + " bytes" + (p.seconds().isPresent()
                ? ", " + Status.human(Duration.ofSeconds(p.seconds().getAsLong())) : ", time unknown")
                + " behind the server").orElse(r.server().position().isPresent() ? "unknown (nothing can be recovered)"
                : "unknown (the server's position is unknown)")).append('\n');
        sb.append("  RTO:             ").append(rto(r.rto())).append('\n');
        sb.append("  newest WAL:      ").append(r.newestWal().map(w -> w.name() + ", archived " + w.archivedAt() + " ("
                + Status.human(r.newestWalAge().orElseThrow()) + " ago)").orElse("none")).append('\n');
        sb.append("  newest backup:   ").append(r.newestBackup().map(b -> b.id() + ", ended " + b.stopTime() + " at "
                + b.stopLsn() + " (" + Status.human(r.newestBackupAge().orElseThrow()) + " ago)").orElse("none")).append('\n');
        if (r.windows().isEmpty()) {
            sb.append("  recoverable:     nothing\n");
        }
        for (RecoveryWindow w : r.windows()) {
            sb.append("  recoverable:     from ").append(w.describeStart()).append(" to ").append(w.describeEnd()).append('\n');
        }
        for (StatusProblem p : r.problems()) {
            sb.append("  PROBLEM ").append(p.kind()).append(": ").append(p.message()).append('\n');
        }
        for (String w : r.warnings()) {
            sb.append("  WARNING: ").append(w).append('\n');
        }
        return sb.toString();
    }
}
