package io.walvault.restore.status;

import io.walvault.core.repo.ArchiveGaps;
import io.walvault.core.repo.BackupInfo;
import io.walvault.core.repo.ClusterCatalog;
import io.walvault.core.repo.RecoveryTimings;
import io.walvault.core.storage.ObjectInfo;
import io.walvault.core.wal.ServerWalPosition;
import io.walvault.core.wal.WalFileName;
import io.walvault.core.wal.WalSegmentName;
import io.walvault.restore.info.ClusterReport;
import io.walvault.restore.info.Info;
import io.walvault.restore.info.RecoveryWindow;
import io.walvault.restore.info.TimelineWal;
import io.walvault.restore.plan.RestorePlanException;
import io.walvault.restore.status.StatusProblem.Kind;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * {@code walvault status}: how far a restore to now would fall short of the server, how old the
 * newest WAL and backup are, and whether the cluster is healthy by the limits given. The
 * repository part is what {@link Info} computes (the windows the restore planner would reach,
 * the gaps it finds); {@link #assess} only judges it, and reads nothing.
 */
public final class Status {

    private Status() {
    }

    /** Reads the cluster's state from the repository (as {@code info} does) and judges it at {@code now}. */
    public static StatusReport collect(ClusterCatalog cluster, ServerReading server, Instant now, StatusThresholds limits) {
        ClusterReport report = Info.cluster(cluster);
        Optional<ArchivedFile> newest = Optional.empty();
        for (TimelineWal w : report.wal()) {
            String name = w.newestPartial().filter(p -> p.segmentNumber() >= w.last().segmentNumber())
                    .map(p -> p.fileName() + ".partial").orElse(w.last().fileName());
            Optional<ArchivedFile> file = archived(cluster, name);
            if (file.isPresent() && (newest.isEmpty() || file.get().archivedAt().isAfter(newest.get().archivedAt()))) {
                newest = file;
            }
        }
        Optional<ArchivedFile> windowEnd = report.windows().isEmpty() ? Optional.empty()
                : report.windows().get(report.windows().size() - 1).lastWal().flatMap(n -> archived(cluster, n));
        return assess(report, newest, windowEnd, cluster.gaps().list(), cluster.timings().newest(RecoveryTimings.KEEP), server, now,
                limits);
    }

    private static Optional<ArchivedFile> archived(ClusterCatalog cluster, String name) {
        return cluster.wal().info(WalFileName.parse(name)).map(ObjectInfo::lastModified).map(t -> new ArchivedFile(name, t));
    }

    /**
     * Judges a cluster's report.
     *
     * @param report    what {@code info} computes of the cluster
     * @param newestWal the newest archived WAL file
     * @param windowEnd the last WAL file of the latest recovery window
     * @param givenUp   the WAL archive-push gave up unarchived
     * @param timings   what earlier restores and drills measured, oldest first
     * @param server    the server's position, or why it is unknown
     * @param now       the moment ages are measured to
     * @param limits    the ages beyond which the cluster is not healthy
     */
    public static StatusReport assess(ClusterReport report, Optional<ArchivedFile> newestWal, Optional<ArchivedFile> windowEnd,
                                      List<ArchiveGaps.Gap> givenUp, List<RecoveryTimings.Timing> timings, ServerReading server,
                                      Instant now, StatusThresholds limits) {
        Optional<BackupInfo> newestBackup = report.backups().stream().max(Comparator.comparing(BackupInfo::stopTime));
        List<TimelineWal.Gap> gaps = report.wal().stream().flatMap(w -> w.gaps().stream()).toList();
        Optional<RecoveryWindow> latest = report.windows().isEmpty() ? Optional.empty()
                : Optional.of(report.windows().get(report.windows().size() - 1));
        Rto rto = Rto.estimate(latest, latest.flatMap(w -> report.backups().stream().filter(b -> b.id().equals(w.fromBackup()))
                .findFirst()), timings);
        StatusReport shape = new StatusReport(now, report.systemId(), server, Optional.empty(), rto, newestWal, newestBackup,
                report.windows(), gaps, List.of(), report.problemsBesideWalGaps());
        Optional<Rpo> rpo = server.position().flatMap(p -> latest.map(w -> rpo(p, w, windowEnd, shape)));

        List<StatusProblem> problems = new ArrayList<>();
        server.error().ifPresent(e -> problems.add(new StatusProblem(Kind.SERVER_UNREACHABLE,
                "the server's WAL position could not be read: " + e)));
        if (newestWal.isEmpty()) {
            problems.add(new StatusProblem(Kind.NO_WAL, "the repository holds no archived WAL of the cluster HINT: 'walvault"
                    + " check --pg CONNINFO' shows why WAL does not reach it"));
        }
        if (report.backups().isEmpty()) {
            problems.add(new StatusProblem(Kind.NO_BACKUP, "the repository holds no restorable backup of the cluster HINT: take"
                    + " one with 'walvault backup'"));
        } else if (report.windows().isEmpty()) {
            problems.add(new StatusProblem(Kind.NO_RECOVERY_WINDOW, "no backup can be restored with the archived WAL HINT:"
                    + " 'walvault info' says why; take a new backup with 'walvault backup'"));
        }
        for (TimelineWal.Gap g : gaps) {
            // a backup that began after the gap on its timeline: what follows the gap is recoverable already
            Optional<BackupInfo> after = report.backups().stream()
                    .filter(b -> b.timeline().equals(g.to().timeline()) && !b.startLsn().isBefore(g.to().endLsn()))
                    .min(Comparator.comparing(BackupInfo::startLsn));
            String hint = after.map(b -> "what follows it is recoverable from backup '" + b.id() + "'; the gap stays"
                    + " in the recovery windows until 'walvault expire' removes the backups before it, or until the segment"
                    + " is put back (" + RestorePlanException.PUT_BACK + ")")
                    .orElse("take a new backup so that what follows it can be");
            problems.add(new StatusProblem(Kind.WAL_GAP, "WAL " + g.from() + (g.count() == 1 ? "" : " to " + g.to()) + " ("
                    + g.count() + (g.count() == 1 ? " segment" : " segments") + ") is missing from the archive: no point in it"
                    + " can be recovered to HINT: " + hint));
        }
        for (RecoveryWindow w : report.windows()) {
            w.endsAtGap().filter(missing -> gaps.stream().noneMatch(g -> within(missing, g))).ifPresent(missing ->
                    problems.add(new StatusProblem(Kind.WAL_GAP, "WAL segment " + missing + " is missing from the archive: the"
                            + " recovery window from backup '" + w.fromBackup() + "' ends at " + w.endLsn() + " HINT: take a"
                            + " new backup so that what follows it can be recovered to")));
        }
        for (ArchiveGaps.Gap g : givenUp) {
            problems.add(new StatusProblem(Kind.WAL_GAP, "WAL " + g.first() + (g.first().equals(g.last()) ? "" : " to " + g.last())
                    + " was given up unarchived by archive-push on " + g.host() + " at " + g.at() + ": " + g.reason()
                    + " HINT: take a new backup so that what follows it can be recovered to"));
        }
        limits.maxArchiveAge().ifPresent(max -> shape.newestWalAge().filter(age -> age.compareTo(max) > 0).ifPresent(age ->
                problems.add(new StatusProblem(Kind.ARCHIVE_TOO_OLD, "the newest archived WAL, '" + newestWal.get().name()
                        + "', reached the repository " + human(age) + " ago, more than --max-archive-age " + human(max)
                        + " HINT: 'walvault check --pg CONNINFO' shows whether archiving works; an idle server completes a"
                        + " segment only every archive_timeout"))));
        limits.maxBackupAge().ifPresent(max -> shape.newestBackupAge().filter(age -> age.compareTo(max) > 0).ifPresent(age ->
                problems.add(new StatusProblem(Kind.BACKUP_TOO_OLD, "the newest backup, '" + newestBackup.get().id() + "', ended "
                        + human(age) + " ago, more than --max-backup-age " + human(max) + " HINT: take one with 'walvault"
                        + " backup' (or check why the scheduled one did not run)"))));
        return new StatusReport(now, report.systemId(), server, rpo, rto, newestWal, newestBackup, report.windows(), gaps,
                problems, report.problemsBesideWalGaps()); // its gaps are among the problems, with what to do
    }

    private static Rpo rpo(ServerWalPosition server, RecoveryWindow latest, Optional<ArchivedFile> windowEnd, StatusReport at) {
        long bytes = Math.max(0, server.lsn().minus(latest.endLsn()));
        if (bytes == 0) {
            return new Rpo(0, OptionalLong.of(0));
        }
        return new Rpo(bytes, windowEnd.map(f -> OptionalLong.of(at.age(f.archivedAt()).toSeconds())).orElse(OptionalLong.empty()));
    }

    private static boolean within(WalSegmentName s, TimelineWal.Gap g) {
        return s.timeline().equals(g.from().timeline()) && s.segmentNumber() >= g.from().segmentNumber()
                && s.segmentNumber() <= g.to().segmentNumber();
    }

    /** {@code 2d 3h}, {@code 4h 5m}, {@code 6m 7s}, {@code 8s}: a duration for people. */
    public static String human(Duration d) {
        long s = d.toSeconds();
        if (s >= 86400) {
            return s / 86400 + "d " + s % 86400 / 3600 + "h";
        }
        if (s >= 3600) {
            return s / 3600 + "h " + s % 3600 / 60 + "m";
        }
        if (s >= 60) {
            return s / 60 + "m " + s % 60 + "s";
        }
        return s + "s";
    }
}
