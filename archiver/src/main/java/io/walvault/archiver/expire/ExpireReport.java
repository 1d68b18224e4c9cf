package io.walvault.archiver.expire;

import static java.util.Objects.requireNonNull;

import io.walvault.archiver.expire.ExpirePlan.BackupDecision;
import io.walvault.archiver.expire.ExpirePlan.OrphanDecision;
import io.walvault.core.repo.BackupInfo;
import io.walvault.core.wal.TimelineId;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What one {@link Expire#run} removed (or, in a dry run, would remove) and what it kept, and why.
 *
 * @param systemId   the cluster
 * @param dryRun     true if nothing was removed
 * @param plan       the decisions on backups and orphans, and where the kept WAL begins
 * @param walRemoved removed WAL per timeline (segments, partials, backup history files), by timeline
 * @param walKept    kept WAL files (history files included), all timelines
 * @param walKeptBytes their stored bytes
 * @param abandoned  the remains of killed writes removed ({@link AbandonedWritesStep})
 * @param chunks     the chunks no backup names, removed ({@link ChunkSweep})
 */
public record ExpireReport(long systemId, boolean dryRun, ExpirePlan plan, List<TimelineWal> walRemoved, long walKept,
                           long walKeptBytes, AbandonedWritesStep.Result abandoned, ChunkSweep.Result chunks) {

    public ExpireReport {
        requireNonNull(plan, "plan is null");
        walRemoved = List.copyOf(walRemoved);
        requireNonNull(abandoned, "abandoned is null");
        requireNonNull(chunks, "chunks is null");
    }

    /** Without the abandoned-writes step. */
    public ExpireReport(long systemId, boolean dryRun, ExpirePlan plan, List<TimelineWal> walRemoved, long walKept,
                        long walKeptBytes) {
        this(systemId, dryRun, plan, walRemoved, walKept, walKeptBytes, AbandonedWritesStep.Result.none(dryRun),
                ChunkSweep.Result.none(dryRun));
    }

    /** This report with the abandoned-writes step's result. */
    public ExpireReport withAbandoned(AbandonedWritesStep.Result result) {
        return new ExpireReport(systemId, dryRun, plan, walRemoved, walKept, walKeptBytes, result, chunks);
    }

    /** This report with the chunk sweep's result. */
    ExpireReport withChunks(ChunkSweep.Result result) {
        return new ExpireReport(systemId, dryRun, plan, walRemoved, walKept, walKeptBytes, abandoned, result);
    }

    /** Chunks removed (or that a run would remove) because no backup names them. */
    public long chunksRemoved() {
        return chunks.removed();
    }

    /**
     * A timeline's removed WAL: from {@code first} to {@code last} in name order (gaps not shown).
     *
     * @param timeline the timeline
     * @param first    first removed file name
     * @param last     last removed file name
     * @param files    removed files
     * @param bytes    their stored bytes
     */
    public record TimelineWal(TimelineId timeline, String first, String last, long files, long bytes) {
        public TimelineWal {
            requireNonNull(timeline, "timeline is null");
            requireNonNull(first, "first is null");
            requireNonNull(last, "last is null");
        }
    }

    /** The backups removed (or to be removed), oldest first. */
    public List<BackupInfo> removedBackups() {
        return plan.removedBackups().stream().map(BackupDecision::backup).toList();
    }

    /** The backups kept, oldest first. */
    public List<BackupInfo> keptBackups() {
        return plan.keptBackups().stream().map(BackupDecision::backup).toList();
    }

    /** WAL files removed, all timelines. */
    public long walFilesRemoved() {
        return walRemoved.stream().mapToLong(TimelineWal::files).sum();
    }

    /** The report for people: one line per backup, orphan and timeline. */
    public List<String> lines() {
        String verb = dryRun ? "would remove" : "removed";
        List<String> out = new ArrayList<>();
        out.add((dryRun ? "dry run: nothing removed; " : "") + "cluster " + Long.toUnsignedString(systemId) + ", retention: "
                + plan.policy().describe());
        if (plan.backups().isEmpty()) {
            out.add("no restorable backup: no backup or WAL is removed");
        }
        for (BackupDecision d : plan.backups()) {
            BackupInfo b = d.backup();
            String what = String.format(Locale.ROOT, "backup %s (ended %s, start %s on timeline %s)", b.id(), b.stopTime(),
                    b.startLsn(), b.timeline());
            out.add(d.keep() ? "kept: " + what + ": " + String.join("; ", d.reasons()) : verb + ": " + what);
        }
        for (ExpirePlan.DamagedDecision d : plan.damaged()) {
            out.add((d.remove() ? verb + ": " : "kept: ") + "backup " + d.backup().id() + " (ended " + d.backup().ended() + "): "
                    + d.reason());
        }
        for (OrphanDecision o : plan.orphans()) {
            String what = String.format(Locale.ROOT, "orphan %s (%d objects, %s)", o.orphan().id(), o.orphan().objects(),
                    bytes(o.orphan().bytes()));
            out.add((o.remove() ? verb + ": " : "kept: ") + what + ": " + o.reason());
        }
        for (TimelineWal t : walRemoved) {
            out.add(String.format(Locale.ROOT, "%s: WAL of timeline %d, %s to %s: %d files, %s", verb, t.timeline().value(),
                    t.first(), t.last(), t.files(), bytes(t.bytes())));
        }
        plan.walKeptFrom().ifPresentOrElse(
                k -> out.add(String.format(Locale.ROOT, "kept: %d WAL files (%s): from segment %s on (on every timeline) and"
                        + " every history file: needed from the start of backup %s", walKept, bytes(walKeptBytes), k.segment(),
                        k.backupId())),
                () -> out.add(String.format(Locale.ROOT, "kept: all %d WAL files (%s): no backup to bound them", walKept,
                        bytes(walKeptBytes))));
        chunks.line().ifPresent(out::add);
        abandoned.line().ifPresent(out::add);
        return out;
    }

    static String bytes(long n) {
        if (n < 1024 * 1024) {
            return String.format(Locale.ROOT, "%.1f KiB", n / 1024.0);
        }
        if (n < 1024L * 1024 * 1024) {
            return String.format(Locale.ROOT, "%.1f MiB", n / 1048576.0);
        }
        return String.format(Locale.ROOT, "%.2f GiB", n / 1073741824.0);
    }
}
