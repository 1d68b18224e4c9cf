package io.walvault.restore.info;

import io.walvault.core.repo.ArchiveGaps;
import io.walvault.core.repo.BackupCatalog;
import io.walvault.core.repo.BackupInfo;
import io.walvault.core.repo.ClusterCatalog;
import io.walvault.core.repo.Repository;
import io.walvault.core.wal.TimelineId;
import io.walvault.core.wal.WalFileName;
import io.walvault.restore.plan.ClusterState;
import io.walvault.restore.plan.RestorePlan;
import io.walvault.restore.plan.RestorePlanException;
import io.walvault.restore.plan.RestorePlanner;
import io.walvault.restore.plan.TimelineDivergence;
import io.walvault.restore.plan.WalArchiveListing;
import io.walvault.restore.recovery.TargetTimeline;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * Collects what {@code walvault info} reports: for each cluster in the repository, its backups,
 * its archived WAL per timeline with gaps, and the window one can recover into, decided by the
 * same planner a restore uses (so the window is what a restore would actually reach).
 */
public final class Info {

    private Info() {
    }

    public static List<ClusterReport> collect(Repository repo) {
        List<ClusterReport> out = new ArrayList<>();
        List<Long> clusters;
        try (Stream<Long> s = repo.clusters()) {
            clusters = s.sorted().toList();
        }
        for (long id : clusters) {
            out.add(cluster(repo.cluster(id)));
        }
        return out;
    }

    /** What {@code info} says of one cluster; also what {@code status} judges. */
    public static ClusterReport cluster(ClusterCatalog cluster) {
        ClusterState state = ClusterState.load(cluster);
        WalArchiveListing listing = state.listing();
        long segmentSize = listing.segmentSize();
        List<TimelineWal> wal = new ArrayList<>();
        for (TimelineId t : listing.timelines()) {
            SortedSet<Long> segments = listing.segments(t);
            OptionalLong partial = listing.newestPartial(t);
            if (!segments.isEmpty() || partial.isPresent()) {
                wal.add(TimelineWal.of(t, new TreeSet<>(segments), partial.isPresent() ? Optional.of(partial.getAsLong())
                        : Optional.empty(), segmentSize));
            }
        }
        List<String> problems = new ArrayList<>();
        List<String> walGaps = new ArrayList<>(); // also in problems
        for (BackupCatalog.Entry e : state.damaged()) {
            problems.add("backup '" + e.id() + "' is damaged: " + e.problem().orElseThrow());
        }
        List<BackupInfo> backups = state.backups();
        List<RecoveryWindow> windows = new ArrayList<>();
        Map<String, String> unusable = new LinkedHashMap<>();
        for (BackupInfo b : backups) {
            RestorePlan reach;
            try {
                reach = RestorePlanner.reach(backups, listing, b.id(), TargetTimeline.latest());
            } catch (RestorePlanException e) {
                unusable.put(b.id(), e.getMessage());
                continue;
            }
            RecoveryWindow last = windows.isEmpty() ? null : windows.get(windows.size() - 1);
            if (last != null && !b.stopLsn().isAfter(last.endLsn()) && last.endsAtGap().isEmpty()
                    && reach.walEnd().compareTo(last.endLsn()) <= 0) {
                continue; // inside the window an older backup opened already
            }
            if (last != null && !b.stopLsn().isAfter(last.endLsn()) && reach.targetTimeline().equals(last.endTimeline())) {
                // the same stretch, reached further from this backup (or past the older one's gap)
                windows.set(windows.size() - 1, new RecoveryWindow(last.startTime(), last.startLsn(), last.fromBackup(),
                        reach.walEnd(), reach.targetTimeline(), Optional.empty(), reach.lastWal().map(WalFileName::name),
                        reach.gap()));
            } else {
                windows.add(new RecoveryWindow(b.stopTime(), b.stopLsn(), b.id(), reach.walEnd(), reach.targetTimeline(),
                        Optional.empty(), reach.lastWal().map(WalFileName::name), reach.gap()));
            }
            problems.addAll(reach.warnings().stream().filter(w -> !problems.contains(w)).toList());
        }
        unusable.forEach((id, why) -> problems.add("backup '" + id + "' cannot be restored: " + why));
        for (int i = 0; i < windows.size(); i++) {
            RecoveryWindow w = windows.get(i);
            Optional<Instant> commit = w.lastWal().flatMap(f -> LastCommit.in(cluster, WalFileName.parse(f), segmentSize));
            windows.set(i, new RecoveryWindow(w.startTime(), w.startLsn(), w.fromBackup(), w.endLsn(), w.endTimeline(), commit,
                    w.lastWal(), w.endsAtGap()));
            if (w.endsAtGap().isPresent()) {
                walGaps.add("WAL segment '" + w.endsAtGap().get() + "' is missing from the archive: no point between "
                        + w.endLsn() + " and " + (i + 1 < windows.size() ? windows.get(i + 1).startLsn() + " (the end of backup '"
                        + windows.get(i + 1).fromBackup() + "')" : "the end of the archive") + " can be recovered to");
                problems.add(walGaps.get(walGaps.size() - 1));
            }
        }
        if (backups.isEmpty()) {
            problems.add("no backup: nothing can be restored yet HINT: take one with 'walvault backup'");
        }
        TimelineDivergence.in(listing).forEach(d -> problems.add(d.describe()));
        for (ArchiveGaps.Gap g : cluster.gaps().list()) {
            walGaps.add("WAL " + g.first() + (g.first().equals(g.last()) ? "" : " to " + g.last()) + " (" + g.files()
                    + (g.files() == 1 ? " file, " : " files, ") + g.bytes() / (1024 * 1024) + " MiB) was given up unarchived by"
                    + " archive-push on " + g.host() + " at " + g.at() + ": " + g.reason() + " HINT: no point in it can be"
                    + " recovered to; take a new backup so that what follows it can be");
            problems.add(walGaps.get(walGaps.size() - 1));
        }
        Optional<String> earliest = windows.isEmpty() ? Optional.empty() : Optional.of(windows.get(0).describeStart());
        Optional<String> latest = windows.isEmpty() ? Optional.empty() : Optional.of(windows.get(windows.size() - 1).describeEnd());
        return new ClusterReport(cluster.systemId(), backups, wal, earliest, latest, problems, windows, walGaps);
    }
}
