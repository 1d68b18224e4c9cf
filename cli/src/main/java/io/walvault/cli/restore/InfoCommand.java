package io.walvault.cli.restore;

import io.walvault.cli.options.RepositoryOptions;
import io.walvault.core.config.RepositorySettings;
import io.walvault.core.repo.BackupInfo;
import io.walvault.core.repo.Repositories;
import io.walvault.core.repo.Repository;
import io.walvault.restore.info.ClusterReport;
import io.walvault.restore.info.Info;
import io.walvault.restore.info.InfoJson;
import io.walvault.restore.info.RecoveryWindow;
import io.walvault.restore.info.TimelineWal;
import java.io.PrintWriter;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code walvault info}: what the repository holds and how far back and forward one can recover. */
@Command(name = "info", mixinStandardHelpOptions = true,
        footerHeading = "%nExample:%n", footer = {"  walvault info --config /etc/walvault/main.conf --json"},
        header = "Show the backups, the archived WAL with its gaps, and the recoverable window.",
        description = {"Lists every backup of every cluster in the repository (id, label, start and end time and LSN,"
                + " timeline, sizes, duration, server version), the archived WAL per timeline with gaps flagged, and"
                + " the earliest and latest point a restore can reach, as the restore planner decides it."})
public final class InfoCommand implements Callable<Integer> {

    @Mixin
    RepositoryOptions options;

    @Option(names = "--json", negatable = true, fallbackValue = "true",
            description = "Print JSON instead of text.")
    boolean json;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        List<ClusterReport> reports;
        try (RepositorySettings s = options.repository(System.getenv()); Repository repo = Repositories.open(s)) {
            reports = Info.collect(repo);
        }
        PrintWriter out = spec.commandLine().getOut();
        out.print(json ? InfoJson.write(reports) : text(reports));
        out.flush();
        return 0;
    }

    static String text(List<ClusterReport> reports) {
        StringBuilder sb = new StringBuilder();
        if (reports.isEmpty()) {
            sb.append("the repository holds no cluster yet\n");
        }
        for (ClusterReport r : reports) {
            sb.append("cluster ").append(Long.toUnsignedString(r.systemId())).append('\n');
            sb.append("  backups: ").append(r.backups().size()).append('\n');
            for (BackupInfo b : r.backups()) {
                sb.append(String.format(Locale.ROOT, "    %s  label '%s'  PostgreSQL %s  timeline %s%n", b.id(),
                        b.label(), b.serverVersion(),
                        b.timeline()));
                sb.append(String.format(Locale.ROOT, "      start %s at %s, end %s at %s (took %.1f s)%n", b.startLsn(),
                        b.startTime(), b.stopLsn(), b.stopTime(), b.elapsed().toMillis() / 1000.0));
                sb.append(String.format(Locale.ROOT, "      %s in %s files, %s added to the repository%s%s%n", size(b.bytes()),
                        b.files() == 0 ? "?" : Long.toString(b.files()), size(b.addedBytes()),
                        b.chunks().sharedBytes() > 0 ? ", " + size(b.chunks().sharedBytes()) + " shared with other backups" : "",
                        b.firstWal().isEmpty() ? "" : ", WAL " + b.firstWal().get() + " to " + b.lastWal().orElseThrow()));
            }
            sb.append("  archived WAL:\n");
            for (TimelineWal w : r.wal()) {
                sb.append(String.format(Locale.ROOT, "    timeline %s: %s to %s, %d segments%s%n", w.timeline(), w.first(),
                        w.last(), w.segments(), w.newestPartial().map(p -> ", newest partial " + p).orElse("")));
                for (TimelineWal.Gap g : w.gaps()) {
                    sb.append(String.format(Locale.ROOT, "      GAP: %s to %s missing (%d segments)%n", g.from(), g.to(), g.count()));
                }
            }
            sb.append("  earliest recovery point: ").append(r.earliest().orElse("none")).append('\n');
            sb.append("  latest recovery point:   ").append(r.latest().orElse("none")).append('\n');
            if (r.windows().size() > 1) {
                for (RecoveryWindow w : r.windows()) {
                    sb.append("  recoverable from ").append(w.describeStart()).append(" to ").append(w.describeEnd()).append('\n');
                }
            }
            for (String p : r.problems()) {
                sb.append("  WARNING: ").append(p).append('\n');
            }
        }
        return sb.toString();
    }

    private static String size(Long bytes) {
        if (bytes == null) {
            return "?";
        }
        return String.format(Locale.ROOT, "%.1f MB", bytes / 1e6);
    }
}
