package io.walvault.archiver.expire;

import static java.util.Objects.requireNonNull;

import io.walvault.archiver.expire.ExpirePlan.BackupDecision;
import io.walvault.archiver.expire.ExpirePlan.OrphanDecision;
import io.walvault.archiver.expire.ExpireReport.TimelineWal;
import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;
import io.walvault.core.repo.BackupCatalog.StoredBackup;
import io.walvault.core.repo.BackupCatalog;
import io.walvault.core.repo.BackupInfo;
import io.walvault.core.repo.ClusterCatalog;
import io.walvault.core.repo.LockHeldException;
import io.walvault.core.repo.LockKeeper;
import io.walvault.core.repo.Repository;
import io.walvault.core.repo.WalArchive.ArchivedWal;
import io.walvault.core.repo.WalArchive;
import io.walvault.core.wal.TimelineId;
import io.walvault.core.wal.WalFileName;
import io.walvault.core.wal.WalSegmentName;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code walvault expire}: removes the backups a {@link RetentionPolicy} does not keep, the WAL
 * no kept backup needs, and orphans (backup directories without a manifest) past their grace
 * period. The streaming agent calls it after each scheduled backup:
 *
 * <pre>{@code
 * ExpireReport r = new Expire(repository, systemId, RetentionPolicy.full(2).withWindow(Duration.ofDays(7))).run(false);
 * r.lines().forEach(LOG::info);
 * }</pre>
 *
 * <p><b>Order</b> (a crash at any point leaves only orphans, which a later expire removes, and
 * never a kept backup without its WAL):
 *
 * <pre>
 *  take the cluster's "expire" lock (another expire holds it: refused with EXPIRE_LOCKED, 64)
 *  try the cluster's "backup" lock: held by a running backup, expire runs beside it (below)
 *  judge every backup (commit record, objects present, its own WAL archived) ─▶ {@link ExpirePlan} (nothing removed yet)
 *  each removed backup, oldest first: its commit record and manifest (the backup stops existing), then its bundles
 *  each orphan past the grace period: its objects
 *  chunks no stored manifest names, older than the grace period ({@link ChunkSweep}); not beside a backup
 *  WAL: one streamed listing; files before the kept WAL removed in batches (S3: DeleteObjects of 1000)
 *  what killed writes left, untouched for the grace period ({@link AbandonedWritesStep})
 *  release the locks
 * </pre>
 *
 * <p><b>Beside a running backup</b> (its {@code backup} lock held by a live process) expire
 * removes backups by the policy and the WAL below the kept ones, which the running backup
 * never needs (it starts after every stored backup), and leaves two things to the next expire
 * that runs alone: the chunk sweep (a running backup uses chunks that no stored manifest names
 * yet: ones it wrote, and ones it found stored and reuses, perhaps only named by a backup
 * expire removes now) and the interrupted backups (the running one's directory has no commit
 * record yet). Its report says so.
 *
 * <p>Each lock is kept by a {@link LockKeeper} (a heartbeat every minute on its own thread). If
 * another process takes one over, expire stops before its next removal with the take-over's
 * {@code LOCK_HELD} (40); what it removed until then was decided under the lock.
 *
 * <p>A dry run ({@code run(true)}) takes the locks too, so it lists exactly what a run at that
 * moment would remove, and removes nothing.
 *
 * <p><b>Memory</b> grows with the number of backups (one manifest header each), not with the WAL:
 * the WAL listing is streamed (posix: one directory of at most 256 segments at a time; S3: one
 * page of 1000 keys) and removed in batches of 1000 keys. Reading a header decodes the whole
 * manifest (streamed, bounded memory; time grows with the backup's file count).
 *
 * <p>Needs the repository's key when it is encrypted (manifests are encrypted): a public-key
 * archiving host cannot expire. One run per instance at a time; not thread-safe.
 */
public final class Expire {

    private static final Logger LOG = LoggerFactory.getLogger(Expire.class);
    /** The lock backup holds (its name and timing are {@code archiver.backup.Backup}'s). */
    static final String BACKUP_LOCK = "backup";
    /** The lock that keeps two expires of a cluster apart. */
    static final String EXPIRE_LOCK = "expire";
    static final LockKeeper.Timing LOCK_TIMING = LockKeeper.Timing.BACKUP;
    private static final int BATCH = 1000;

    private final Repository repository;
    private final long systemId;
    private final RetentionPolicy policy;
    private final Clock clock;

    public Expire(Repository repository, long systemId, RetentionPolicy policy) {
        this(repository, systemId, policy, Clock.systemUTC());
    }

    /** With the clock the window is measured by (tests). */
    Expire(Repository repository, long systemId, RetentionPolicy policy, Clock clock) {
        this.repository = requireNonNull(repository, "repository is null");
        this.systemId = systemId;
        this.policy = requireNonNull(policy, "policy is null");
        this.clock = requireNonNull(clock, "clock is null");
    }

    /**
     * The cluster to expire when none is named: the repository's only one.
     *
     * @throws WalvaultException CONFIG when the repository holds no cluster or several
     */
    public static long onlyCluster(Repository repo) {
        List<Long> clusters;
        try (Stream<Long> c = repo.clusters()) {
            clusters = c.toList();
        }
        if (clusters.size() != 1) {
            throw new WalvaultException(ErrorCode.CONFIG, "the repository '" + repo.storage().location() + "' holds "
                    + (clusters.isEmpty() ? "no cluster" : clusters.size() + " clusters ("
                    + String.join(", ", clusters.stream().map(Long::toUnsignedString).toList()) + ")")
                    + ": expire needs to know which HINT: name it with --system-identifier (WALVAULT_SYSTEM_IDENTIFIER)");
        }
        return clusters.get(0);
    }

    /** Applies the policy ({@code dryRun}: only reports); returns what was (or would be) removed and kept. */
    public ExpireReport run(boolean dryRun) {
        ClusterCatalog cluster = repository.cluster(systemId);
        LockKeeper expireLock;
        try {
            // a lock lost while expire works is noticed between its removals (Locks.checkHeld): it stops there
            expireLock = LockKeeper.acquire(cluster, EXPIRE_LOCK, LOCK_TIMING, why -> { });
        } catch (LockHeldException e) {
            throw new WalvaultException(ErrorCode.EXPIRE_LOCKED, "cannot expire cluster '" + Long.toUnsignedString(systemId)
                    + "' while another expire runs: " + e.getMessage(), e);
        }
        try (expireLock) {
            LockKeeper backupLock = null;
            String backupRunning = null;
            try {
                backupLock = LockKeeper.acquire(cluster, BACKUP_LOCK, LOCK_TIMING, why -> { });
            } catch (LockHeldException e) {
                backupRunning = "a backup of the cluster is running (its " + e.what() + ")";
                LOG.debug("{}: expire removes backups and WAL beside it, and leaves interrupted backups and chunks no backup"
                        + " names to the next expire that runs alone", backupRunning);
            }
            try (LockKeeper closing = backupLock) {
                return run(cluster, new Locks(expireLock, Optional.ofNullable(closing)), Optional.ofNullable(backupRunning), dryRun);
            }
        }
    }

    /**
     * The locks expire holds: its own, and the backup lock unless a backup holds it. Removals
     * stop at the first one lost.
     */
    private record Locks(LockKeeper expire, Optional<LockKeeper> backup) {
        void checkHeld() {
            expire.checkHeld();
            backup.ifPresent(LockKeeper::checkHeld);
        }
    }

    private ExpireReport run(ClusterCatalog cluster, Locks lock, Optional<String> backupRunning, boolean dryRun) {
        ExpirePlan plan = plan(cluster.backups(), cluster.wal(), backupRunning);
        lock.checkHeld();
        if (!dryRun) {
            removeBackups(cluster.backups(), plan, lock);
        }
        Set<String> removed = new HashSet<>();
        plan.removedBackups().forEach(d -> removed.add(d.backup().id()));
        plan.removedDamaged().forEach(d -> removed.add(d.backup().id()));
        plan.removedOrphans().forEach(o -> removed.add(o.orphan().id()));
        ChunkSweep.Result chunks = backupRunning.isPresent()
                // a running backup may use a chunk no stored manifest names yet: nothing is swept beside it
                ? ChunkSweep.Result.notRun(backupRunning.get() + ": the chunks it may use are named by no manifest yet;"
                        + " the next expire that runs alone removes what no backup names", dryRun)
                : new ChunkSweep(cluster.backups(), cluster.chunks(), repository.storage(), policy.orphanGrace())
                        .run(removed, clock.instant(), dryRun, lock::checkHeld);
        WalResult wal = expireWal(cluster.wal(), plan, dryRun, lock);
        ExpireReport report = new ExpireReport(systemId, dryRun, plan, wal.removed(), wal.kept(), wal.keptBytes())
                .withChunks(chunks)
                .withAbandoned(new AbandonedWritesStep(repository.storage(), policy.orphanGrace()).run(clock.instant(), dryRun));
        if (!dryRun) {
            LOG.debug("expired cluster {}: {} backups, {} orphans, {} chunks, {} WAL files and {} abandoned writes removed; {} backups"
                    + " kept", Long.toUnsignedString(systemId), plan.removedBackups().size(), plan.removedOrphans().size(),
                    report.chunksRemoved(), report.walFilesRemoved(), report.abandoned().writes().count(),
                    plan.keptBackups().size());
        }
        return report;
    }

    /**
     * Judges every backup (the catalog's commit and presence check, then the backup's own WAL in
     * the archive): only restorable backups count for the policy, damaged ones are kept or removed
     * by age, never-committed ones are orphans. A damaged backup never stops expire, and never
     * makes it remove a restorable one.
     */
    private ExpirePlan plan(BackupCatalog catalog, WalArchive wal, Optional<String> backupRunning) {
        List<BackupInfo> restorable = new ArrayList<>();
        List<StoredBackup> stored = new ArrayList<>();
        List<ExpirePlan.DamagedBackup> damaged = new ArrayList<>();
        for (BackupCatalog.Entry e : catalog.entries()) {
            StoredBackup s = e.stored();
            stored.add(new StoredBackup(s.id(), e.state() != BackupCatalog.State.INCOMPLETE, s.objects(), s.bytes(), s.newest()));
            switch (e.state()) {
                case RESTORABLE -> {
                    BackupInfo b = e.info().orElseThrow();
                    Optional<String> missing = missingWal(wal, b);
                    if (missing.isPresent()) {
                        damaged.add(new ExpirePlan.DamagedBackup(b.id(), b.stopTime(), missing.get()));
                    } else {
                        restorable.add(b);
                    }
                }
                case DAMAGED -> damaged.add(new ExpirePlan.DamagedBackup(e.id(), e.info().map(b -> b.stopTime())
                        .orElse(s.newest()), e.problem().orElseThrow()));
                case INCOMPLETE -> {
                    // an orphan once past the grace period
                }
            }
        }
        return ExpirePlan.of(policy, clock.instant(), restorable, stored, damaged, backupRunning);
    }

    /** The first segment of {@code b}'s own WAL (start to consistent point) that the archive lacks, if any. */
    private static Optional<String> missingWal(WalArchive wal, BackupInfo b) {
        if (b.firstWal().isEmpty() || b.lastWal().isEmpty() || b.walSegmentSize().isEmpty()) {
            return Optional.empty(); // a format-1 manifest: the range is not recorded
        }
        long size = b.walSegmentSize().getAsLong();
        WalSegmentName first = b.firstWal().get();
        WalSegmentName last = b.lastWal().get();
        Set<Long> present = new HashSet<>();
        Set<String> listed = new HashSet<>();
        for (long n = first.segmentNumber(); n <= last.segmentNumber(); n++) {
            boolean found = false;
            for (long t = first.timeline().value(); t <= last.timeline().value() && !found; t++) {
                WalFileName name = WalFileName.parse(new WalSegmentName(TimelineId.of(t), n, size).fileName());
                String dir = wal.key(name).substring(0, wal.key(name).lastIndexOf('/'));
                if (listed.add(dir)) {
                    try (Stream<WalArchive.ArchivedWal> beside = wal.listBeside(name)) {
                        beside.filter(w -> w.name().kind() == WalFileName.Kind.SEGMENT || w.name().kind() == WalFileName.Kind.PARTIAL)
                                .forEach(w -> present.add(w.name().segmentName(size).orElseThrow().segmentNumber() << 8
                                        | (w.name().timeline().value() & 0xff)));
                    }
                }
                found = present.contains(n << 8 | (t & 0xff));
            }
            if (!found) {
                return Optional.of("its WAL segment '" + new WalSegmentName(first.timeline(), n, size).fileName()
                        + "' is missing from the archive, so it cannot become consistent");
            }
        }
        return Optional.empty();
    }

    private void removeBackups(BackupCatalog catalog, ExpirePlan plan, Locks lock) {
        for (BackupDecision d : plan.removedBackups()) {
            int objects = catalog.remove(d.backup().id()); // manifest first: from then on the backup does not exist
            LOG.debug("removed backup {} (ended {}, {} objects)", d.backup().id(), d.backup().stopTime(), objects);
            lock.checkHeld(); // taken over: stop removing
        }
        for (ExpirePlan.DamagedDecision d : plan.removedDamaged()) {
            int objects = catalog.remove(d.backup().id());
            LOG.debug("removed damaged backup {} ({} objects): {}", d.backup().id(), objects, d.reason());
            lock.checkHeld(); // taken over: stop removing
        }
        for (OrphanDecision o : plan.removedOrphans()) {
            int objects = catalog.removeObjects(o.orphan().id());
            LOG.debug("removed orphan {} ({} objects): {}", o.orphan().id(), objects, o.reason());
            lock.checkHeld(); // taken over: stop removing
        }
    }

    private record WalResult(List<TimelineWal> removed, long kept, long keptBytes) {
    }

    /** One streamed listing; removal in batches, after the backups (never before: a crash then leaves only orphans). */
    private WalResult expireWal(WalArchive wal, ExpirePlan plan, boolean dryRun, Locks lock) {
        Map<TimelineId, TimelineWal> removed = new TreeMap<>();
        List<String> batch = new ArrayList<>(BATCH);
        long kept = 0;
        long keptBytes = 0;
        try (Stream<ArchivedWal> files = wal.listObjects()) {
            for (ArchivedWal f : (Iterable<ArchivedWal>) files::iterator) {
                WalFileName n = f.name();
                if (!plan.removesWal(n)) {
                    kept++;
                    keptBytes += f.object().size();
                    continue;
                }
                removed.merge(n.timeline(), new TimelineWal(n.timeline(), n.name(), n.name(), 1, f.object().size()),
                        (a, b) -> new TimelineWal(a.timeline(), min(a.first(), b.first()), max(a.last(), b.last()),
                                a.files() + 1, a.bytes() + b.bytes()));
                if (!dryRun) {
                    for (String key : wal.keys(n)) { // the file and its index, if it has one
                        batch.add(key);
                        if (batch.size() == BATCH) {
                            remove(batch, lock);
                        }
                    }
                }
            }
        }
        if (!batch.isEmpty()) {
            remove(batch, lock);
        }
        return new WalResult(List.copyOf(removed.values()), kept, keptBytes);
    }

    private void remove(List<String> batch, Locks lock) {
        repository.storage().removeAll(batch);
        LOG.debug("removed {} WAL files, the last '{}'", batch.size(), batch.get(batch.size() - 1));
        batch.clear();
        lock.checkHeld(); // taken over: stop removing
    }

    private static String min(String a, String b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    private static String max(String a, String b) {
        return a.compareTo(b) >= 0 ? a : b;
    }
}
