package io.walvault.restore.get;

import static java.util.Objects.requireNonNull;

import io.walvault.core.config.RepositorySettings;
import io.walvault.core.crypto.GcmWarmUp;
import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;
import io.walvault.core.log.DaemonLog;
import io.walvault.core.repo.Repositories;
import io.walvault.core.repo.Repository;
import io.walvault.core.repo.WalArchive;
import io.walvault.core.storage.ObjectNotFoundException;
import io.walvault.core.wal.WalFileName;
import io.walvault.core.wal.WalPageHeader;
import io.walvault.core.wal.WalSegmentName;
import io.walvault.restore.recovery.RecoveryExpectation;
import io.walvault.restore.recovery.RecoveryProgress;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * archive-get, PostgreSQL's {@code restore_command}: writes the archived file PostgreSQL names
 * to the path it names, or reports that the archive does not have it.
 *
 * <pre>
 *  %f ─▶ in the prefetch spool? ──yes──▶ rename to %p (no repository opened unless the spool runs low)
 *          │ no
 *          ▼
 *        open repository ─▶ WalFileWriter (decode, validate, fsync, rename to %p)
 *          │ not archived, but SEG.partial is, and it is its timeline's newest WAL ─▶ served, zero-padded
 *          │ not archived at all ─▶ WAL_NOT_ARCHIVED (76): recovery's normal end of the archive
 *          ▼
 *        prefetch: the next segments, in parallel, into the spool
 * </pre>
 *
 * <p>The cluster is the {@code system-identifier} setting, else the data directory's
 * {@code global/pg_control} (restore_command runs in the data directory), else the repository's
 * only cluster. One instance per call; not thread-safe.
 */
public final class ArchiveGet {

    private static final Logger LOG = LoggerFactory.getLogger(ArchiveGet.class);
    /** How long a follower started beside recovery's first call waits for that call to record its segment. */
    private static final Duration WAIT_FOR_FIRST_CALL = Duration.ofSeconds(10);

    /** Where the file PostgreSQL asked for came from. */
    public enum Outcome {
        /** Fetched from the repository now. */
        FETCHED,
        /** Taken from the prefetch spool. */
        PREFETCHED,
        /** The segment exists only as the newest {@code .partial} of its timeline, which was served. */
        PARTIAL
    }

    /**
     * What a call did.
     *
     * @param outcome    for the file PostgreSQL asked for
     * @param prefetched how many segments this call put into the spool
     */
    public record Report(Outcome outcome, int prefetched) {
        public Report {
            requireNonNull(outcome, "outcome is null");
        }
    }

    private final RepositorySettings repositorySettings;
    private final ArchiveGetSettings settings;
    private final Path dataDirectory;
    private final Supplier<Repository> opener;

    /**
     * @param dataDirectory the data directory (restore_command's working directory), where
     *                      {@code global/pg_control} names the cluster
     */
    public ArchiveGet(RepositorySettings repositorySettings, ArchiveGetSettings settings, Path dataDirectory) {
        this(repositorySettings, settings, dataDirectory, () -> Repositories.open(repositorySettings));
    }

    ArchiveGet(RepositorySettings repositorySettings, ArchiveGetSettings settings, Path dataDirectory, Supplier<Repository> opener) {
        this.repositorySettings = requireNonNull(repositorySettings, "repositorySettings is null");
        this.settings = requireNonNull(settings, "settings is null");
        this.dataDirectory = requireNonNull(dataDirectory, "dataDirectory is null");
        this.opener = requireNonNull(opener, "opener is null");
    }

    /**
     * Writes archived {@code fileName} (PostgreSQL's %f) to {@code target} (%p). Throws
     * {@link ErrorCode#WAL_NOT_ARCHIVED} only when the archive does not hold the file and the
     * restore's plan ({@link RecoveryExpectation}, if this data directory has one) does not
     * need it: recovery's normal end. Every other failure is {@link ErrorCode#RECOVERY_STOPPED}
     * (see {@link #stopRecovery}), which PostgreSQL treats as fatal instead of ending recovery.
     */
    public Report run(String fileName, Path target) throws IOException {
        requireNonNull(fileName, "fileName is null");
        requireNonNull(target, "target is null");
        try {
            return deliver(fileName, target);
        } catch (WalvaultException e) {
            if (e.code() == ErrorCode.WAL_NOT_ARCHIVED || e.code() == ErrorCode.RECOVERY_STOPPED) {
                throw e;
            }
            throw stopRecovery(fileName, e);
        } catch (IOException | RuntimeException e) {
            throw stopRecovery(fileName, e);
        }
    }

    /**
     * What archive-get answers when it cannot deliver a file the archive holds: recovery must
     * stop ({@link ErrorCode#RECOVERY_STOPPED}, an exit status above 125, which PostgreSQL treats
     * as fatal) rather than take the failure for the end of the archive and promote with data
     * missing. The message keeps the cause's and says what happens next.
     */
    public static WalvaultException stopRecovery(String fileName, Exception cause) {
        String what;
        String hint = "";
        if (cause instanceof WalvaultException w) {
            what = w.what() + " (" + w.code().summary() + ", " + w.code().exitCode() + ")";
            hint = w.hint().map(h -> h + "; ").orElse("");
        } else if (cause instanceof IOException io) {
            what = "cannot write it: " + io;
        } else {
            what = String.valueOf(cause);
        }
        return new WalvaultException(ErrorCode.RECOVERY_STOPPED, "cannot restore WAL file '" + fileName + "': " + what
                + " HINT: " + hint + "recovery stops here instead of ending early with data missing; fix the cause, then start"
                + " the server again and recovery resumes where it stopped", cause);
    }

    private Report deliver(String fileName, Path target) throws IOException {
        WalFileName name = WalFileName.tryParse(fileName).orElseThrow(() -> new WalvaultException(ErrorCode.USAGE,
                "'" + fileName + "' is not a WAL file name HINT: restore_command must pass %f %p"));
        boolean segment = name.kind() == WalFileName.Kind.SEGMENT;
        Optional<RecoveryExpectation> plan = RecoveryExpectation.read(dataDirectory);
        if (segment && plan.isPresent()) {
            RecoveryProgress.record(dataDirectory, name.name());
        }
        PrefetchSpool spool = new PrefetchSpool(target.toAbsolutePath().getParent());
        OptionalLong known = settings.systemId().isPresent() ? settings.systemId() : controlFileSystemId();
        if (segment && known.isPresent() && settings.prefetch() > 0
                && spool.take(name.name(), origin(known.getAsLong()), target)) {
            long segmentSize = WalPageHeader.readFirst(target, name).segmentSize();
            if (settings.background()) {
                spool.writeWanted(name.name(), segmentSize);
                return new Report(Outcome.PREFETCHED, 0);
            }
            int ahead = countAhead(spool, name, segmentSize);
            int fetched = 0;
            if (ahead <= settings.prefetch() / 2) {
                try (Repository repo = opener.get()) {
                    fetched = prefetch(repo.cluster(known.getAsLong()).wal(), spool, name, segmentSize, known.getAsLong());
                }
            }
            LOG.debug("restored '{}' from the prefetch spool", name);
            return new Report(Outcome.PREFETCHED, fetched);
        }
        try (Repository repo = opener.get()) {
            if (repo.codec().encrypted() && (segment || name.kind() == WalFileName.Kind.PARTIAL)) {
                // 16 MiB to decrypt in a cold JVM: compiled GCM after ~90 ms of CPU on the other core
                GcmWarmUp.startInBackground(GcmWarmUp.Direction.DECRYPT, "archive-get-warmup");
            }
            long systemId = known.isPresent() ? known.getAsLong() : onlyCluster(repo);
            WalArchive wal = repo.cluster(systemId).wal();
            Outcome outcome;
            long segmentSize = 0;
            try {
                segmentSize = WalFileWriter.write(wal, name, OptionalLong.of(systemId), target).segmentSize();
                outcome = Outcome.FETCHED;
            } catch (ObjectNotFoundException e) {
                if (!segment || !servePartial(wal, name, systemId, target)) {
                    if (plan.isPresent()) {
                        checkPlanAllowsMissing(plan.get(), name);
                    }
                    if (segment && settings.background()) {
                        recordMissing(spool, name);
                    }
                    throw notArchived(name, e);
                }
                outcome = Outcome.PARTIAL;
            }
            LOG.info("restored '{}'{}", name, outcome == Outcome.PARTIAL ? " from its .partial (the newest WAL of its timeline)" : "");
            int fetched = 0;
            if (segment && outcome == Outcome.FETCHED && settings.prefetch() > 0) {
                spool.open(origin(systemId));
                if (settings.background()) {
                    // the follower sees this and fetches what follows, on this timeline
                    spool.removeBefore(name.name(), true, false);
                    spool.writeWanted(name.name(), segmentSize);
                    spool.clearMissing(name.name());
                } else {
                    fetched = prefetch(wal, spool, name, segmentSize, systemId);
                }
            }
            return new Report(outcome, fetched);
        }
    }

    /**
     * The archive does not hold {@code name}: is that recovery's normal end? Not when the
     * restore's plan needs the file (the archive has a gap, or lost the file since the restore),
     * and not when recovery, probing for the history file of the timeline it is about to create,
     * is ending before the segment its plan ends with: then it must stop, not promote.
     */
    private void checkPlanAllowsMissing(RecoveryExpectation plan, WalFileName name) {
        long segmentSize = plan.segmentSize();
        if (name.kind() == WalFileName.Kind.SEGMENT && plan.covers(WalSegmentName.parse(name.name(), segmentSize))) {
            throw new WalvaultException(ErrorCode.RECOVERY_STOPPED, "WAL file '" + name + "' is not in the archive, but the"
                    + " restore's plan needs it (the plan runs to '" + plan.end() + "'): the archive has a gap or lost the"
                    + " file since the restore HINT: recovery stops here instead of ending early with data missing; 'walvault"
                    + " info' shows the archive's gaps; put the file back (from pg_wal of the original server, if it still"
                    + " exists) and start the server again, or, to accept the loss, remove '" + RecoveryExpectation.FILE
                    + "' and start it again");
        }
        if (name.kind() == WalFileName.Kind.HISTORY && plan.needsHistory(name.timeline())) {
            throw new WalvaultException(ErrorCode.RECOVERY_STOPPED, "timeline history file '" + name + "' is not in the"
                    + " archive, but the restore's plan follows timeline " + name.timeline() + " HINT: recovery stops here;"
                    + " put the file back into the archive and start the server again");
        }
        if (name.kind() == WalFileName.Kind.HISTORY && name.timeline().compareTo(plan.finalTimeline()) > 0) {
            // recovery probes for the history file of the timeline it will create when it ends (and
            // of the newest timeline when it starts, before it asked for any segment)
            Optional<WalSegmentName> asked = RecoveryProgress.lastAskedInThisRun(dataDirectory, segmentSize);
            if (asked.isPresent() && !plan.reachedBy(asked.get())) {
                throw new WalvaultException(ErrorCode.RECOVERY_STOPPED, "recovery is ending in WAL segment '" + asked.get()
                        + "', before '" + plan.end() + "', where the restore's plan ends: the server would come up with the"
                        + " data of the WAL after it missing HINT: recovery stops here instead of promoting; the server's log"
                        + " above says why redo ended (for example an invalid record); 'walvault verify' checks the archived"
                        + " WAL; if the server was promoted on purpose, or to accept the loss, remove '"
                        + RecoveryExpectation.FILE + "' and start it again");
            }
        }
    }

    /**
     * The follower: a background process ({@code archive-get --follow}, started detached by
     * {@code bin/walvault} beside a Java call) that keeps the spool holding the {@code prefetch}
     * segments after the newest one recovery asked for, fetching {@code parallel} at once, while
     * recovery takes them (by the launcher's rename, without a JVM). So redo never waits for a
     * fetch or a JVM start, as long as the store keeps up. It creates the spool if the call
     * beside it has not yet, and waits up to 10 s for that call to record its segment
     * ({@code wanted}). One per spool (a file lock); it follows a timeline switch that a call
     * records, records the first segment the archive lacks ({@code missing}), and exits when
     * the archive has had nothing more for 5 s or recovery has taken nothing for 30 s. Best
     * effort: a failure only means the next call fetches its segment itself.
     */
    public void follow() throws IOException {
        OptionalLong known = settings.systemId().isPresent() ? settings.systemId() : controlFileSystemId();
        if (settings.prefetch() == 0 || known.isEmpty()) {
            return;
        }
        PrefetchSpool spool = new PrefetchSpool(dataDirectory.resolve("pg_wal"));
        // started beside recovery's first call, before that call has made the spool
        spool.open(origin(known.getAsLong()));
        try (FileChannel lockFile = FileChannel.open(spool.path(PrefetchSpool.FOLLOW_LOCK), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE); FileLock lock = tryLock(lockFile)) {
            if (lock == null) {
                return; // another follower is at work
            }
            Files.writeString(spool.path(PrefetchSpool.FOLLOW_PID), ProcessHandle.current().pid() + "\n");
            DaemonLog.keepBounded(spool.path(PrefetchSpool.FOLLOW_LOG));
            try {
                followLocked(spool, known.getAsLong());
            } finally {
                Files.deleteIfExists(spool.path(PrefetchSpool.FOLLOW_PID));
            }
        }
    }

    /**
     * PostgreSQL's {@code recovery_end_command} for a restored server ({@code archive-get
     * --end-of-recovery}, written by {@code walvault restore}): once recovery has ended, the
     * follower is stopped and what the restore and archive-get left in pg_wal is removed: the
     * prefetch spool (up to {@code archive-get-prefetch} segments) and every
     * {@code .walvault-restore.*} file: the repository settings, the passphrase or private keys
     * restore_command needed (secrets that must not outlive recovery), the plan and the progress
     * record. Returns the number of files removed. PostgreSQL only warns when this fails.
     */
    public int endOfRecovery() throws IOException {
        Path walDir = dataDirectory.resolve("pg_wal");
        PrefetchSpool spool = new PrefetchSpool(walDir);
        stopFollower(spool);
        int removed = 0;
        if (Files.isDirectory(spool.directory())) {
            try (Stream<Path> all = Files.walk(spool.directory())) {
                for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                    removed++;
                }
            }
        }
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(walDir, ".walvault-restore.*")) {
            for (Path p : ds) {
                if (Files.deleteIfExists(p)) {
                    removed++;
                }
            }
        }
        try (FileChannel d = FileChannel.open(walDir, StandardOpenOption.READ)) {
            d.force(true);
        }
        LOG.info("recovery ended: removed the prefetch spool and the restore's private files from '{}' ({} files)", walDir, removed);
        return removed;
    }

    /** Ends the spool's follower, if one runs (its pid file names a live archive-get follower). */
    private static void stopFollower(PrefetchSpool spool) {
        String pid;
        try {
            pid = Files.readString(spool.path(PrefetchSpool.FOLLOW_PID)).strip();
        } catch (IOException e) {
            return;
        }
        try {
            Optional<ProcessHandle> p = ProcessHandle.of(Long.parseLong(pid));
            if (p.isPresent() && p.get().info().commandLine().map(c -> c.contains("--follow")).orElse(false)) {
                p.get().destroy();
                p.get().onExit().get(10, TimeUnit.SECONDS);
            }
        } catch (NumberFormatException | ExecutionException | TimeoutException e) {
            LOG.debug("cannot stop the follower {}: {}", pid, e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static FileLock tryLock(FileChannel ch) throws IOException {
        try {
            return ch.tryLock();
        } catch (OverlappingFileLockException e) {
            return null; // held in this JVM
        }
    }

    private void followLocked(PrefetchSpool spool, long systemId) throws IOException {
        // what an earlier follower knew is not this one's
        spool.clearMissing();
        spool.clearAhead();
        // started beside recovery's first call: it learns where recovery is once that call has fetched its segment
        long waitUntil = System.nanoTime() + WAIT_FOR_FIRST_CALL.toNanos();
        Optional<PrefetchSpool.Wanted> first = spool.wanted();
        while (first.isEmpty() && System.nanoTime() < waitUntil && !Thread.currentThread().isInterrupted()) {
            sleepMillis(20);
            first = spool.wanted();
        }
        if (first.isEmpty() || !spool.origin().equals(origin(systemId))) {
            return;
        }
        OptionalLong known = OptionalLong.of(systemId);
        long segmentSize = first.get().segmentSize();
        String wanted = first.get().name();
        WalSegmentName highest = WalSegmentName.parse(wanted, segmentSize);
        long quietSince = System.nanoTime();
        int lastCount = -1;
        int endOfArchive = 0;
        ExecutorService pool = Executors.newFixedThreadPool(settings.parallel(), r -> {
            Thread t = new Thread(r, "archive-get-follow");
            t.setDaemon(true);
            return t;
        });
        try (Repository repo = opener.get()) {
            if (repo.codec().encrypted()) {
                // it decrypts segment after segment for the whole recovery: compiled AES-GCM from the first
                GcmWarmUp.startInBackground(GcmWarmUp.Direction.DECRYPT, "archive-get-follow-warmup");
            }
            WalArchive wal = repo.cluster(known.getAsLong()).wal();
            while (true) {
                Optional<PrefetchSpool.Wanted> now = spool.wanted();
                if (now.isPresent() && !now.get().name().equals(wanted)) {
                    wanted = now.get().name();
                    WalSegmentName w = WalSegmentName.parse(wanted, segmentSize);
                    if (!w.timeline().equals(highest.timeline()) || w.compareTo(highest) > 0
                            || Files.notExists(spool.path(w.next().fileName()))) {
                        // a timeline switch, recovery overtook the spool, or it started again from an earlier
                        // point (a wanted left by an earlier recovery)
                        highest = w;
                        spool.removeBefore(wanted, true, false);
                        spool.writeAhead(highest.fileName());
                        endOfArchive = 0;
                    }
                }
                int count = spool.segments();
                if (count != lastCount) {
                    lastCount = count;
                    quietSince = System.nanoTime();
                } else if (System.nanoTime() - quietSince > TimeUnit.SECONDS.toNanos(30)) {
                    return; // recovery is paused, has ended, or is gone
                }
                int room = Math.min(settings.prefetch() - count, spool.roomFor(segmentSize));
                if (room <= 0) {
                    sleepMillis(20);
                    continue;
                }
                List<WalSegmentName> batch = new ArrayList<>();
                WalSegmentName s = highest;
                for (int i = 0; i < Math.min(room, settings.parallel()); i++) {
                    s = s.next();
                    batch.add(s);
                }
                List<Fetch> got = fetchIntoSpool(pool, wal, spool, batch, known);
                if (Thread.currentThread().isInterrupted()) {
                    return;
                }
                boolean gap = false;
                for (int i = 0; i < batch.size(); i++) {
                    if (got.get(i) == Fetch.FETCHED && !gap) {
                        highest = batch.get(i);
                    } else if (!gap) {
                        gap = true;
                        if (got.get(i) == Fetch.NOT_ARCHIVED) {
                            // never after a failure: bin/walvault answers "not archived" from this, which ends recovery
                            spool.writeMissing(batch.get(i).fileName());
                        }
                    }
                }
                if (!gap) {
                    spool.clearMissing();
                }
                spool.writeAhead(highest.fileName());
                if (gap) {
                    if (++endOfArchive >= 5) {
                        return; // nothing more in the archive
                    }
                    sleepMillis(1000);
                } else {
                    endOfArchive = 0;
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }

    private static void sleepMillis(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Tells bin/walvault that the archive lacks {@code name} (for now): a standby polling for it
     * then neither waits for the follower nor starts one at each poll. Best effort.
     */
    private static void recordMissing(PrefetchSpool spool, WalFileName name) {
        if (Files.isDirectory(spool.directory())) {
            try {
                spool.writeMissing(name.name());
            } catch (IOException e) {
                LOG.debug("cannot record '{}' as missing in the spool: {}", name, e.toString());
            }
        }
    }

    /** Serves {@code name}'s {@code .partial} if the archive has one and nothing of its timeline follows it. */
    private boolean servePartial(WalArchive wal, WalFileName name, long systemId, Path target) throws IOException {
        WalFileName partial = WalFileName.parse(name.name() + ".partial");
        if (wal.info(partial).isEmpty()) {
            return false;
        }
        // decoded beside the target first: its header gives the segment size, needed to name what follows
        Path candidate = target.toAbsolutePath().getParent().resolve("." + name.name() + ".partial-candidate");
        try {
            long segmentSize = WalFileWriter.write(wal, partial, OptionalLong.of(systemId), candidate).segmentSize();
            WalSegmentName next = WalSegmentName.parse(name.name(), segmentSize).next();
            WalFileName nextName = WalFileName.parse(next.fileName());
            if (wal.info(nextName).isPresent() || wal.info(WalFileName.parse(next.fileName() + ".partial")).isPresent()) {
                return false; // WAL of this timeline goes on: the partial is not its end
            }
            Files.move(candidate, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            return true;
        } finally {
            Files.deleteIfExists(candidate);
        }
    }

    /** Fetches the segments after {@code name} that the spool lacks, in parallel, until the first that is not archived. */
    private int prefetch(WalArchive wal, PrefetchSpool spool, WalFileName name, long segmentSize, long systemId) {
        spool.removeBefore(name.name());
        List<WalSegmentName> wanted = new ArrayList<>();
        WalSegmentName s = WalSegmentName.parse(name.name(), segmentSize);
        int room = spool.roomFor(segmentSize);
        for (int i = 0; i < settings.prefetch() && wanted.size() < room; i++) {
            s = s.next();
            if (Files.notExists(spool.path(s.fileName()))) {
                wanted.add(s);
            }
        }
        if (wanted.isEmpty()) {
            return 0;
        }
        ExecutorService pool = Executors.newFixedThreadPool(Math.min(settings.parallel(), wanted.size()), r -> {
            Thread t = new Thread(r, "archive-get-prefetch");
            t.setDaemon(true);
            return t;
        });
        int fetched = 0;
        try {
            fetched = (int) fetchIntoSpool(pool, wal, spool, wanted, OptionalLong.of(systemId)).stream()
                    .filter(f -> f == Fetch.FETCHED).count();
        } finally {
            pool.shutdownNow();
            try {
                pool.awaitTermination(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        return fetched;
    }

    /**
     * Fetches {@code names} into the spool on {@code pool}, in parallel; for each, what became of
     * it (a failure is logged: recovery will fetch it itself). An interruption leaves the rest
     * FAILED and the thread interrupted.
     */
    private static List<Fetch> fetchIntoSpool(ExecutorService pool, WalArchive wal, PrefetchSpool spool,
                                              List<WalSegmentName> names, OptionalLong systemId) {
        List<Future<Fetch>> futures = new ArrayList<>();
        for (WalSegmentName n : names) {
            futures.add(pool.submit(() -> {
                try {
                    WalFileWriter.write(wal, WalFileName.parse(n.fileName()), systemId, spool.path(n.fileName()));
                    return Fetch.FETCHED;
                } catch (ObjectNotFoundException e) {
                    // archived only as its timeline's .partial (the agent's newest WAL): not the end of
                    // the archive; a Java call serves it, zero-padded, and never from the spool (a
                    // .partial changes until its segment is complete)
                    return wal.info(WalFileName.parse(n.fileName() + ".partial")).isPresent() ? Fetch.PARTIAL_ONLY
                            : Fetch.NOT_ARCHIVED;
                }
            }));
        }
        List<Fetch> got = new ArrayList<>();
        for (int i = 0; i < futures.size(); i++) {
            Fetch f = Fetch.FAILED;
            if (!Thread.currentThread().isInterrupted()) {
                try {
                    f = futures.get(i).get();
                } catch (ExecutionException e) {
                    LOG.warn("prefetch of '{}' failed (recovery will fetch it itself): {}", names.get(i).fileName(),
                            e.getCause().getMessage());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            got.add(f);
        }
        return got;
    }

    /** What a fetch into the spool did. Only NOT_ARCHIVED says anything about the archive. */
    private enum Fetch {
        FETCHED,
        NOT_ARCHIVED,
        /** only the segment's .partial is archived: left to recovery's own call, which serves it */
        PARTIAL_ONLY,
        /** failed (store, file system) or interrupted: recovery's own call will fetch it */
        FAILED
    }

    private static int countAhead(PrefetchSpool spool, WalFileName name, long segmentSize) {
        WalSegmentName s = WalSegmentName.parse(name.name(), segmentSize);
        int n = 0;
        while (Files.exists(spool.path((s = s.next()).fileName()))) {
            n++;
        }
        return n;
    }

    private String origin(long systemId) {
        return repositorySettings.location() + " " + Long.toUnsignedString(systemId);
    }

    /** The system identifier in the data directory's pg_control (its first field), if there is one. */
    private OptionalLong controlFileSystemId() {
        Path control = dataDirectory.resolve("global/pg_control");
        try (FileChannel ch = FileChannel.open(control, StandardOpenOption.READ)) {
            ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.nativeOrder());
            while (b.hasRemaining() && ch.read(b) != -1) {
                // read on
            }
            return b.hasRemaining() ? OptionalLong.empty() : OptionalLong.of(b.getLong(0));
        } catch (IOException e) {
            return OptionalLong.empty();
        }
    }

    private static long onlyCluster(Repository repo) {
        List<Long> ids = repo.clusters().toList();
        if (ids.size() != 1) {
            throw new WalvaultException(ErrorCode.RESTORE_CLUSTER_UNKNOWN, "cannot tell which cluster's WAL to restore:"
                    + " no readable 'global/pg_control' in the working directory and " + ids.size() + " clusters in '"
                    + repo.storage().location() + "' HINT: set system-identifier (WALVAULT_SYSTEM_IDENTIFIER)");
        }
        return ids.get(0);
    }

    private static WalvaultException notArchived(WalFileName name, ObjectNotFoundException e) {
        return new WalvaultException(ErrorCode.WAL_NOT_ARCHIVED, "WAL file '" + name + "' is not in the archive", e);
    }
}
