package io.walvault.archiver.expire;

import static java.util.Objects.requireNonNull;

import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;
import io.walvault.core.repo.BackupCatalog.StoredBackup;
import io.walvault.core.repo.BackupInfo;
import io.walvault.core.wal.Lsn;
import io.walvault.core.wal.TimelineId;
import io.walvault.core.wal.WalFileName;
import io.walvault.core.wal.WalSegmentName;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * What expire removes and keeps, decided from the backups' manifests alone (pure logic; no
 * storage). {@link Expire} builds it, then removes in a safe order; tests build it directly.
 *
 * <p><b>Backups</b> are ordered by the wall-clock time they ended ({@code stopTime}, then id),
 * never by timeline or LSN. A backup is kept when the policy keeps it ({@link RetentionPolicy}),
 * and the newest one always is. A policy of named backups ({@code --remove}) keeps every backup
 * it does not name, and refuses a name that is not a complete backup, or is the newest
 * restorable one ({@link ErrorCode#EXPIRE_BACKUP_REFUSED}); a damaged backup goes when named.
 *
 * <p><b>WAL.</b> Each backup needs the WAL from its start segment on (on its timeline and those
 * that follow). A WAL file is removed when its segment number is below the start segment of
 * every kept backup, whatever its timeline: segments, {@code .partial} and {@code .backup}
 * files alike. History files are always kept (tiny, and needed to follow timelines). At or after
 * that segment everything is kept, on every timeline, even WAL that no kept backup can reach (a
 * timeline abandoned after a later branch point, a stray timeline): it is bounded by the time
 * since the oldest kept backup, and a DBA may still want it. With no complete backup at all,
 * no WAL is removed.
 *
 * <p><b>Orphans</b> (backup directories without a manifest) are removed when their newest object
 * is older than the policy's grace period: younger ones may belong to a backup still running on a
 * host whose lock was taken over.
 *
 * @param policy      the policy applied
 * @param now         the time the window was measured from
 * @param backups     every complete backup, oldest end first, each kept or removed with its reasons
 * @param orphans     every backup directory without a manifest, removed or kept
 * <p><b>Damaged backups</b> (committed, but an object they need is missing or has another size,
 * or their WAL is incomplete) are never counted by the policy: "the newest N" are N restorable
 * backups, and the newest restorable backup is always kept, so expire never removes the last
 * backup that can be restored, nor the WAL it needs. A damaged backup that ended before the
 * oldest kept one goes like any backup outside the policy; a newer one is kept and reported,
 * for the DBA to look at.
 *
 * @param walKeptFrom the first WAL segment kept (the start of the kept backup that starts first);
 *                    empty when no backup is kept (then no WAL is removed)
 * @param damaged     every damaged backup, removed or kept, with why
 */
public record ExpirePlan(RetentionPolicy policy, Instant now, List<BackupDecision> backups, List<OrphanDecision> orphans,
                         Optional<KeptFrom> walKeptFrom, List<DamagedDecision> damaged) {

    /** Segment size assumed for a format-1 manifest without one: the largest PostgreSQL allows, so the cut is never too late. */
    static final long LARGEST_SEGMENT_SIZE = 1024L * 1024 * 1024;

    public ExpirePlan {
        requireNonNull(policy, "policy is null");
        requireNonNull(now, "now is null");
        backups = List.copyOf(backups);
        orphans = List.copyOf(orphans);
        requireNonNull(walKeptFrom, "walKeptFrom is null");
        damaged = List.copyOf(damaged);
    }

    /**
     * A backup that cannot be restored.
     *
     * @param id      the backup
     * @param ended   when it ended (its header's stop time, or its newest object's time when the header is unreadable)
     * @param problem what is wrong with it
     */
    public record DamagedBackup(String id, Instant ended, String problem) {
        public DamagedBackup {
            requireNonNull(id, "id is null");
            requireNonNull(ended, "ended is null");
            requireNonNull(problem, "problem is null");
        }
    }

    /**
     * A damaged backup and whether it goes.
     *
     * @param backup the backup
     * @param remove whether it is removed
     * @param reason why
     */
    public record DamagedDecision(DamagedBackup backup, boolean remove, String reason) {
        public DamagedDecision {
            requireNonNull(backup, "backup is null");
            requireNonNull(reason, "reason is null");
        }
    }

    /**
     * One complete backup and whether it stays.
     *
     * @param backup  its manifest's header
     * @param keep    whether it is kept
     * @param reasons why it is kept (empty when removed)
     */
    public record BackupDecision(BackupInfo backup, boolean keep, List<String> reasons) {
        public BackupDecision {
            requireNonNull(backup, "backup is null");
            reasons = List.copyOf(reasons);
            if (keep == reasons.isEmpty()) {
                throw new IllegalArgumentException("a kept backup has reasons, a removed one none: " + backup.id());
            }
        }
    }

    /**
     * One backup directory without a manifest.
     *
     * @param orphan what is stored there
     * @param remove whether it is removed
     * @param reason why it is kept, or why it may go
     */
    public record OrphanDecision(StoredBackup orphan, boolean remove, String reason) {
        public OrphanDecision {
            requireNonNull(orphan, "orphan is null");
            requireNonNull(reason, "reason is null");
            if (orphan.complete()) {
                throw new IllegalArgumentException("backup '" + orphan.id() + "' has a manifest: not an orphan");
            }
        }
    }

    /**
     * Where the kept WAL begins.
     *
     * @param segment  the first kept segment's name (its timeline is that backup's; the cut applies to every timeline)
     * @param backupId the kept backup that needs it
     */
    public record KeptFrom(String segment, String backupId) {
        public KeptFrom {
            if (!WalSegmentName.isSegmentName(segment)) {
                throw new IllegalArgumentException("'" + segment + "' is not a segment name");
            }
            requireNonNull(backupId, "backupId is null");
        }
    }

    /** Decides for {@code complete} backups (any order) and {@code stored} directories (orphans are those without a manifest). */
    public static ExpirePlan of(RetentionPolicy policy, Instant now, List<BackupInfo> complete, List<StoredBackup> stored) {
        return of(policy, now, complete, stored, List.of());
    }

    /**
     * Decides for restorable backups {@code complete} (any order), {@code stored} directories
     * (orphans are those not complete) and {@code damaged} backups.
     */
    public static ExpirePlan of(RetentionPolicy policy, Instant now, List<BackupInfo> complete, List<StoredBackup> stored,
                                List<DamagedBackup> damaged) {
        return of(policy, now, complete, stored, damaged, Optional.empty());
    }

    /**
     * As {@link #of(RetentionPolicy, Instant, List, List, List)}; with {@code backupRunning} (why
     * expire thinks a backup is running) every orphan is kept, since the running backup's own
     * directory is one until it commits.
     */
    public static ExpirePlan of(RetentionPolicy policy, Instant now, List<BackupInfo> complete, List<StoredBackup> stored,
                                List<DamagedBackup> damaged, Optional<String> backupRunning) {
        requireNonNull(policy, "policy is null");
        requireNonNull(backupRunning, "backupRunning is null");
        requireNonNull(now, "now is null");
        List<BackupInfo> byEnd = new ArrayList<>(complete);
        byEnd.sort(Comparator.comparing((BackupInfo b) -> b.stopTime()).thenComparing(BackupInfo::id));
        int n = byEnd.size();

        List<List<String>> reasons = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            reasons.add(new ArrayList<>());
        }
        if (!policy.named().isEmpty()) {
            checkNamed(policy.named(), byEnd, stored, damaged);
            for (int i = 0; i < n; i++) {
                if (!policy.named().contains(byEnd.get(i).id())) {
                    reasons.get(i).add("not named by --remove");
                }
            }
        }
        if (policy.retainFull() > 0) {
            String why = "newest " + policy.retainFull() + " full backup" + (policy.retainFull() == 1 ? "" : "s");
            for (int i = Math.max(0, n - policy.retainFull()); i < n; i++) {
                reasons.get(i).add(why);
            }
        }
        policy.window().ifPresent(window -> {
            String w = RetentionPolicy.format(window);
            Instant windowStart = now.minus(window);
            int firstInside = n;
            for (int i = n - 1; i >= 0 && !byEnd.get(i).stopTime().isBefore(windowStart); i--) {
                firstInside = i;
            }
            for (int i = firstInside; i < n; i++) {
                reasons.get(i).add("ended inside the " + w + " window");
            }
            if (firstInside > 0) {
                reasons.get(firstInside - 1).add("needed for the " + w + " window (recovery to its start begins here)");
            }
        });
        if (n > 0 && reasons.get(n - 1).isEmpty()) {
            reasons.get(n - 1).add("newest restorable backup"); // never removed, whatever the policy says
        }

        List<BackupDecision> decisions = new ArrayList<>();
        KeptFrom keptFrom = null;
        for (int i = 0; i < n; i++) {
            BackupInfo b = byEnd.get(i);
            boolean keep = !reasons.get(i).isEmpty();
            decisions.add(new BackupDecision(b, keep, reasons.get(i)));
            if (keep) {
                String start = startSegment(b);
                if (keptFrom == null || position(start).compareTo(position(keptFrom.segment())) < 0) {
                    keptFrom = new KeptFrom(start, b.id());
                }
            }
        }

        List<OrphanDecision> orphans = new ArrayList<>();
        for (StoredBackup s : stored) {
            if (s.complete()) {
                continue;
            }
            Duration age = Duration.between(s.newest(), now);
            if (backupRunning.isPresent()) {
                orphans.add(new OrphanDecision(s, false, "no manifest, last written " + ago(age) + " ago: kept while "
                        + backupRunning.get() + ", which may be this one"));
                continue;
            }
            boolean old = age.compareTo(policy.orphanGrace()) >= 0;
            orphans.add(new OrphanDecision(s, old, old
                    ? "no manifest (an interrupted backup), last written " + ago(age) + " ago"
                    : "no manifest, but written " + ago(age) + " ago, within the " + RetentionPolicy.format(policy.orphanGrace())
                            + " grace period (a backup may still be writing it)"));
        }
        Instant oldestKeptEnd = decisions.stream().filter(BackupDecision::keep).map(d -> d.backup().stopTime())
                .min(Comparator.naturalOrder()).orElse(null);
        List<DamagedDecision> damagedDecisions = new ArrayList<>();
        for (DamagedBackup d : damaged) {
            if (!policy.named().isEmpty()) {
                boolean named = policy.named().contains(d.id());
                damagedDecisions.add(new DamagedDecision(d, named, "damaged (" + d.problem() + ")"
                        + (named ? ", named by --remove" : "; not named by --remove")));
                continue;
            }
            boolean remove = oldestKeptEnd != null && d.ended().isBefore(oldestKeptEnd);
            damagedDecisions.add(new DamagedDecision(d, remove, remove
                    ? "damaged (" + d.problem() + "), and older than every kept backup"
                    : "damaged (" + d.problem() + "); not counted by the policy, kept for you to look at"
                            + (oldestKeptEnd == null ? ": no backup can be restored, so expire removes nothing" : "")));
        }
        return new ExpirePlan(policy, now, decisions, orphans, Optional.ofNullable(keptFrom), damagedDecisions);
    }

    /**
     * Refuses, before anything is removed, a name that is not a backup expire may remove: none of
     * the cluster's, an interrupted or running backup (no commit record: the grace period decides
     * for those), or the newest restorable backup (always kept).
     */
    private static void checkNamed(List<String> named, List<BackupInfo> byEnd, List<StoredBackup> stored,
                                   List<DamagedBackup> damaged) {
        for (String id : named) {
            boolean restorable = byEnd.stream().anyMatch(b -> b.id().equals(id));
            boolean isDamaged = damaged.stream().anyMatch(d -> d.id().equals(id));
            Optional<StoredBackup> dir = stored.stream().filter(s -> s.id().equals(id)).findFirst();
            if (!restorable && !isDamaged) {
                throw new WalvaultException(ErrorCode.EXPIRE_BACKUP_REFUSED, dir.isPresent()
                        ? "backup '" + id + "' has no commit record (an interrupted backup, or one still running): --remove"
                                + " names complete backups only; nothing was removed HINT: expire removes interrupted backups"
                                + " once nothing in them was written for --orphan-grace"
                        : "the cluster has no backup '" + id + "'; nothing was removed HINT: 'walvault info' lists the"
                                + " backups");
            }
        }
        if (!byEnd.isEmpty() && named.contains(byEnd.get(byEnd.size() - 1).id())) {
            throw new WalvaultException(ErrorCode.EXPIRE_BACKUP_REFUSED, "backup '" + byEnd.get(byEnd.size() - 1).id()
                    + "' is the newest restorable backup, which expire never removes; nothing was removed HINT: take a"
                    + " new backup first, then remove this one");
        }
    }

    public List<DamagedDecision> removedDamaged() {
        return damaged.stream().filter(DamagedDecision::remove).toList();
    }

    /** The first WAL segment a backup needs: its manifest's {@code firstWal}, else the segment of its start LSN. */
    static String startSegment(BackupInfo b) {
        if (b.firstWal().isPresent()) {
            return b.firstWal().get().fileName();
        }
        long size = b.walSegmentSize().orElse(LARGEST_SEGMENT_SIZE);
        return WalSegmentName.of(b.timeline(), b.startLsn(), size).fileName();
    }

    /**
     * The log and segment fields of a segment name (its last 16 hex digits): ordering them as
     * text orders segments by number on any timeline, for any segment size.
     */
    private static String position(String segment) {
        return segment.substring(8);
    }

    /** Whether {@code file} is removed: a segment, partial or backup history file before the kept WAL. */
    public boolean removesWal(WalFileName file) {
        requireNonNull(file, "file is null");
        if (file.kind() == WalFileName.Kind.HISTORY || walKeptFrom.isEmpty()) {
            return false;
        }
        return position(file.segment()).compareTo(position(walKeptFrom.get().segment())) < 0;
    }

    public List<BackupDecision> removedBackups() {
        return backups.stream().filter(d -> !d.keep()).toList();
    }

    public List<BackupDecision> keptBackups() {
        return backups.stream().filter(BackupDecision::keep).toList();
    }

    public List<OrphanDecision> removedOrphans() {
        return orphans.stream().filter(OrphanDecision::remove).toList();
    }

    private static String ago(Duration d) {
        long s = Math.max(0, d.getSeconds());
        if (s < 120) {
            return s + " s";
        }
        if (s < 7200) {
            return s / 60 + " min";
        }
        if (s < 2 * 86400) {
            return s / 3600 + " h";
        }
        return s / 86400 + " days";
    }
}
