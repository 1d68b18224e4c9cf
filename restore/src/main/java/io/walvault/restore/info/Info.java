package io.walvault.restore.info;

import io.walvault.core.pipeline.OutputStreamSink;
import io.walvault.core.repo.BackupInfo;
import io.walvault.core.repo.ClusterCatalog;
import io.walvault.core.repo.Repository;
import io.walvault.core.wal.Lsn;
import io.walvault.core.wal.TimelineHistory;
import io.walvault.core.wal.TimelineId;
import io.walvault.core.wal.WalFileName;
import io.walvault.core.wal.WalSegmentName;
import io.walvault.restore.plan.RestorePlan;
import io.walvault.restore.plan.RestorePlanException;
import io.walvault.restore.plan.RestorePlanner;
import io.walvault.restore.plan.WalArchiveListing;
import io.walvault.restore.recovery.RecoveryTarget;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
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

    static ClusterReport cluster(ClusterCatalog cluster) {
        try {
            List<BackupInfo> backups = new ArrayList<>();
            List<String> damaged = new ArrayList<>();
            for (io.walvault.core.repo.BackupCatalog.Entry e : cluster.backups().entries()) {
                switch (e.state()) {
                    case RESTORABLE -> backups.add(e.info().orElseThrow());
                    case DAMAGED -> damaged.add("backup '" + e.id() + "' is damaged: " + e.problem().orElseThrow());
                    case INCOMPLETE -> {
                        // a failed or interrupted backup (expire removes it), or one still running: not a backup
                    }
                }
            }
            backups.sort(Comparator.comparing(BackupInfo::stopTime));
            long segmentSize = backups.stream().map(BackupInfo::walSegmentSize).filter(s -> s != null)
                    .reduce((a, b) -> b).orElse(WalSegmentName.DEFAULT_SEGMENT_SIZE);

            WalArchiveListing listing = new WalArchiveListing(segmentSize);
            Map<TimelineId, TreeSet<Long>> segments = new TreeMap<>();
            Map<TimelineId, Long> partials = new TreeMap<>();
            List<WalFileName> names;
            try (Stream<WalFileName> s = cluster.wal().list()) {
                names = s.toList();
            }
            for (WalFileName n : names) {
                switch (n.kind()) {
                    case SEGMENT -> {
                        listing.add(n, 0);
                        segments.computeIfAbsent(n.timeline(), t -> new TreeSet<>())
                                .add(n.segmentName(segmentSize).orElseThrow().segmentNumber());
                    }
                    case PARTIAL -> {
                        listing.add(n, 0);
                        partials.merge(n.timeline(), n.segmentName(segmentSize).orElseThrow().segmentNumber(), Math::max);
                    }
                    case HISTORY -> listing.addHistory(TimelineHistory.parse(n.timeline(), read(cluster, n)));
                    default -> {
                    }
                }
            }
            List<TimelineWal> wal = new ArrayList<>();
            TreeSet<TimelineId> timelines = new TreeSet<>(segments.keySet());
            timelines.addAll(partials.keySet());
            for (TimelineId t : timelines) {
                wal.add(TimelineWal.of(t, segments.getOrDefault(t, new TreeSet<>()), Optional.ofNullable(partials.get(t)),
                        segmentSize));
            }

            List<String> problems = new ArrayList<>(damaged);
            Optional<String> earliest = Optional.empty();
            Optional<String> latest = Optional.empty();
            List<io.walvault.restore.plan.BackupInfo> planning = backups.stream().map(Info::forPlanning).toList();
            for (io.walvault.restore.plan.BackupInfo b : planning) {
                try {
                    RestorePlanner.plan(planning, listing, new RestorePlanner.Request(new RecoveryTarget.Immediate(),
                            io.walvault.restore.recovery.TargetTimeline.latest(), Optional.of(b.id()), Optional.empty()));
                    earliest = Optional.of(b.endTime() + " (" + b.endLsn() + ", end of backup '" + b.id() + "')");
                    break;
                } catch (RestorePlanException e) {
                    problems.add("backup '" + b.id() + "' cannot be restored: " + e.getMessage());
                }
            }
            if (!planning.isEmpty()) {
                try {
                    RestorePlan p = RestorePlanner.plan(planning, listing, RestorePlanner.Request.of(new RecoveryTarget.EndOfArchive()));
                    latest = Optional.of(p.walEnd() + " on timeline " + p.targetTimeline()
                            + p.lastWal().map(w -> " (end of '" + w + "')").orElse(""));
                    problems.addAll(p.warnings());
                } catch (RestorePlanException e) {
                    problems.add(e.getMessage());
                }
            } else {
                problems.add("no backup: nothing can be restored yet HINT: take one with 'walvault backup'");
            }
            return new ClusterReport(cluster.systemId(), backups, wal, earliest, latest, problems);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static io.walvault.restore.plan.BackupInfo forPlanning(BackupInfo b) {
        return new io.walvault.restore.plan.BackupInfo(b.id(), b.label() == null ? "" : b.label(), Lsn.parse(b.startLsn()),
                Lsn.parse(b.stopLsn()), TimelineId.of(b.timeline()), Instant.parse(b.startTime()), Instant.parse(b.stopTime()),
                b.storedBytes() == null ? 0 : b.storedBytes());
    }

    private static String read(ClusterCatalog cluster, WalFileName name) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        cluster.wal().get(name, new OutputStreamSink(bytes, false));
        return bytes.toString(StandardCharsets.UTF_8);
    }
}
