package io.walvault.restore.get;

import static java.util.Objects.requireNonNull;

import io.walvault.core.config.RepositorySettings;
import io.walvault.core.crypto.GcmWarmUp;
import io.walvault.core.error.ErrorCode;
import io.walvault.core.pgdata.ControlFile;
import io.walvault.core.error.WalvaultException;
import io.walvault.core.hook.HookCaller;
import io.walvault.core.hook.HookSpool;
import io.walvault.core.hook.WorkerLock;
import io.walvault.core.hook.WorkerStarter;
import io.walvault.core.hook.WorkerTenure;
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
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * archive-get, PostgreSQL's {@code restore_command}, as the Java side of the WAL hook engine
 * (docs/ARCHITECTURE.md, "WAL hooks"): writes the archived file PostgreSQL names to the path
 * it names, or says that the archive does not have it, and keeps a worker fetching ahead.
 *
 * <pre>
 *  bin/walvault: spool has NAME ─▶ rename to %p / NAME.missing ─▶ 76 / NAME.error ─▶ its code     (no JVM)
 *  otherwise this call:
 *    spool for this repository and cluster ─▶ answered meanwhile? use it
 *    no worker (get.lock free)? start one (detached; follows get/want)
 *    open repository ─▶ WalFileWriter (decode, check, fsync, rename to %p)
 *      │ not archived, but SEG.partial is, and it is its timeline's newest WAL ─▶ served, zero-padded
 *      │ not archived ─▶ MissingAnswer: 76 (recovery's normal end), or 150 (a gap, a short recovery)
 *    record the segment in get/want: the worker fetches what follows
 * </pre>
 *
 * <p>Every failure but "not in the archive" is {@link ErrorCode#RECOVERY_STOPPED} (150), which
 * PostgreSQL treats as fatal instead of ending recovery ({@link #stopRecovery}). The cluster is
 * the {@code system-identifier} setting, else the data directory's {@code global/pg_control}
 * (restore_command runs in the data directory), else the repository's only cluster. One
 * instance per call; not thread-safe.
 *
 * <p>Length: one call's decision tree, from the spool's answer to the exit code PostgreSQL acts
 * on. Each branch is part of the contract with PostgreSQL (76 ends recovery, 150 stops it), and
 * it is kept in one class so that the contract reads top to bottom; fetching is {@link
 * WalFileWriter}'s, the meaning of a missing file {@link MissingAnswer}'s.
 */
public final class ArchiveGet {

    private static final Logger LOG = LoggerFactory.getLogger(ArchiveGet.class);
    /** How long a call waits for a live worker that is fetching its file. */
    private static final long WAIT_FOR_WORKER_MS = 30_000;

    /** Where the file PostgreSQL asked for came from. */
    public enum Outcome {
        /** Fetched from the repository by this call. */
        FETCHED,
        /** Taken from the spool (the worker, or the restore, fetched it). */
        PREFETCHED,
        /** The segment exists only as the newest {@code .partial} of its timeline, which was served. */
        PARTIAL
    }

    /**
     * What a call did.
     *
     * @param outcome       for the file PostgreSQL asked for
     * @param startedWorker whether this call started a worker
     */
    public record Report(Outcome outcome, boolean startedWorker) {
        public Report {
            requireNonNull(outcome, "outcome is null");
        }
    }

    /**
     * How a worker is started: the launcher and this call's arguments (run again with
     * {@code --worker} last); empty (in-process, as in tests) starts none.
     */
    public record WorkerStart(Optional<Path> launcher, List<String> args) {
        public WorkerStart {
            requireNonNull(launcher, "launcher is null");
            args = List.copyOf(args);
        }

        /** No worker is started. */
        public static WorkerStart none() {
            return new WorkerStart(Optional.empty(), List.of());
        }
    }

    private final RepositorySettings repositorySettings;
    private final ArchiveGetSettings settings;
    private final Path dataDirectory;
    private final Supplier<Repository> opener;
    private final WorkerStart workerStart;
    private final Duration endOfArchiveLook;

    /**
     * @param dataDirectory the data directory (restore_command's working directory), where
     *                      {@code global/pg_control} names the cluster
     */
    public ArchiveGet(RepositorySettings repositorySettings, ArchiveGetSettings settings, Path dataDirectory,
                      WorkerStart workerStart) {
        this(repositorySettings, settings, dataDirectory, workerStart, () -> Repositories.open(repositorySettings),
                GetWorker.END_OF_ARCHIVE_LOOK);
    }

    /** Without a worker (in-process callers). */
    public ArchiveGet(RepositorySettings repositorySettings, ArchiveGetSettings settings, Path dataDirectory) {
        this(repositorySettings, settings, dataDirectory, WorkerStart.none());
    }

    /**
     * @param endOfArchiveLook how often the worker looks again at the end of the archive on its own
     *                         (a second in production; far apart in a test of what recovery's calls do)
     */
    ArchiveGet(RepositorySettings repositorySettings, ArchiveGetSettings settings, Path dataDirectory, WorkerStart workerStart,
               Supplier<Repository> opener, Duration endOfArchiveLook) {
        this.repositorySettings = requireNonNull(repositorySettings, "repositorySettings is null");
        this.settings = requireNonNull(settings, "settings is null");
        this.dataDirectory = requireNonNull(dataDirectory, "dataDirectory is null");
        this.workerStart = requireNonNull(workerStart, "workerStart is null");
        this.opener = requireNonNull(opener, "opener is null");
        this.endOfArchiveLook = requireNonNull(endOfArchiveLook, "endOfArchiveLook is null");
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
            if (w.code() == ErrorCode.RECOVERY_STOPPED) {
                return w;
            }
            what = w.what() + " (" + w.code().summary() + ", " + w.code().exitCode() + ")";
            hint = w.hint().map(h -> h + "; ").orElse("");
        } else if (cause instanceof IOException io) {
            what = "cannot write it: " + io;
        } else {
            what = String.valueOf(cause);
        }
        return new WalvaultException(ErrorCode.RECOVERY_STOPPED, "cannot restore WAL file '" + fileName + "': " + what,
                hint + "recovery stops here instead of ending early with data missing; fix the cause, then start"
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
        OptionalLong known = settings.systemId().isPresent() ? settings.systemId() : ControlFile.systemIdentifier(dataDirectory);
        HookSpool spool = new HookSpool(target.toAbsolutePath().getParent());
        boolean started = false;
        if (known.isPresent() && settings.worker()) {
            spool.open(origin(known.getAsLong()));
            Optional<Report> answered = fromSpool(spool, name, target, plan);
            if (answered.isPresent()) {
                return answered.get();
            }
            if (WorkerLock.isHeld(spool.lockFile(HookSpool.Role.GET))) {
                answered = awaitWorker(spool, name, target, plan);
                if (answered.isPresent()) {
                    return answered.get();
                }
            } else if (segment || name.kind() == WalFileName.Kind.HISTORY) {
                started = startWorker(spool);
            }
        }
        try (Repository repo = opener.get()) {
            if (repo.codec().encrypted() && (segment || name.kind() == WalFileName.Kind.PARTIAL)) {
                // 16 MiB to decrypt in a cold JVM: compiled GCM after ~90 ms of CPU on the other core
                GcmWarmUp.startInBackground(GcmWarmUp.Direction.DECRYPT, "archive-get-warmup");
            }
            long systemId = known.isPresent() ? known.getAsLong() : onlyCluster(repo);
            WalArchive wal = repo.cluster(systemId).wal();
            Outcome outcome;
            long segmentSize;
            try {
                segmentSize = WalFileWriter.write(wal, name, OptionalLong.of(systemId), target).segmentSize();
                outcome = Outcome.FETCHED;
            } catch (ObjectNotFoundException e) {
                OptionalLong partial = segment ? servePartial(wal, name, systemId, target) : OptionalLong.empty();
                if (partial.isEmpty()) {
                    MissingAnswer.Kind k = MissingAnswer.of(plan, name, plan.isPresent()
                            ? RecoveryProgress.lastAskedInThisRun(dataDirectory, plan.get().segmentSize()) : Optional.empty());
                    if (k != MissingAnswer.Kind.NOT_ARCHIVED) {
                        throw MissingAnswer.refusal(k, plan.orElseThrow(), name,
                                RecoveryProgress.lastAskedInThisRun(dataDirectory, plan.get().segmentSize()));
                    }
                    throw notArchived(name, e);
                }
                segmentSize = partial.getAsLong();
                outcome = Outcome.PARTIAL;
            }
            LOG.info("restored '{}'{}", name, outcome == Outcome.PARTIAL ? " from its .partial (the newest WAL of its timeline)" : "");
            if (segment && settings.worker() && known.isPresent()) {
                // the worker follows: it fetches what comes after this segment
                GetWorker.writeWant(spool, WalSegmentName.parse(name.name(), segmentSize));
            }
            return new Report(outcome, started);
        }
    }

    /** The spool's answer for {@code name}, if it has one: a ready file handed over, or the answer a call must give. */
    private Optional<Report> fromSpool(HookSpool spool, WalFileName name, Path target, Optional<RecoveryExpectation> plan)
            throws IOException {
        Optional<HookSpool.Status> s = spool.status(HookSpool.Role.GET, name.name());
        if (s.isEmpty()) {
            return Optional.empty();
        }
        if (s.get() instanceof HookSpool.Status.Ready r) {
            Files.move(r.file(), target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            try (FileChannel d = FileChannel.open(target.toAbsolutePath().getParent(), StandardOpenOption.READ)) {
                d.force(true);
            }
            if (name.kind() == WalFileName.Kind.SEGMENT) {
                GetWorker.writeWant(spool, WalSegmentName.parse(name.name(), WalPageHeader.readFirst(target, name).segmentSize()));
            }
            return Optional.of(new Report(Outcome.PREFETCHED, false));
        }
        if (s.get() instanceof HookSpool.Status.Pending) {
            return Optional.empty(); // the worker is fetching it: the caller waits for that (awaitWorker)
        }
        spool.clear(HookSpool.Role.GET, name.name());
        if (s.get() instanceof HookSpool.Status.Error e) {
            throw new WalvaultException(ErrorCode.RECOVERY_STOPPED, e.message());
        }
        return Optional.empty(); // "missing" a moment ago: checked again below
    }

    /**
     * Waits for a live worker that is fetching {@code name} now (marked pending, or a temporary
     * file of it is in the spool) to answer it; empty if it is not fetching it, or does not answer
     * in time. Fetching it here as well would fetch it twice, and race the worker's withdrawal of
     * its own copy.
     */
    private Optional<Report> awaitWorker(HookSpool spool, WalFileName name, Path target, Optional<RecoveryExpectation> plan)
            throws IOException {
        long deadline = System.nanoTime() + WAIT_FOR_WORKER_MS * 1_000_000;
        while (System.nanoTime() < deadline && WorkerLock.isHeld(spool.lockFile(HookSpool.Role.GET))) {
            Optional<HookSpool.Status> s = spool.status(HookSpool.Role.GET, name.name());
            boolean pending = s.isPresent() && s.get() instanceof HookSpool.Status.Pending;
            if (s.isPresent() && !pending && !(s.get() instanceof HookSpool.Status.Missing)) {
                return fromSpool(spool, name, target, plan);
            }
            if (!pending && !spool.inFlight(HookSpool.Role.GET, name.name())) {
                break;
            }
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return Optional.empty();
            }
        }
        return Optional.empty();
    }

    private boolean startWorker(HookSpool spool) {
        try {
            return WorkerStarter.start(workerStart.launcher(), workerStart.args(), spool.logFile(HookSpool.Role.GET));
        } catch (IOException e) {
            LOG.warn("cannot start the archive-get worker (each call fetches its own file): {}", e.toString());
            return false;
        }
    }

    /**
     * Runs the worker for this data directory ({@code archive-get --worker}) until recovery is
     * done with it; returns the number of files it fetched, or -1 when another worker serves it.
     */
    public int worker(Path walDirectory, HookCaller caller) throws IOException {
        OptionalLong known = settings.systemId().isPresent() ? settings.systemId() : ControlFile.systemIdentifier(dataDirectory);
        if (known.isEmpty() || !settings.worker()) {
            return 0;
        }
        HookSpool spool = new HookSpool(walDirectory);
        String origin = origin(known.getAsLong());
        spool.open(origin);
        return new GetWorker(settings, spool, dataDirectory, known.getAsLong(), caller,
                new WorkerTenure(spool, origin, caller.configFile(), GetWorker.LIFETIME), endOfArchiveLook, () -> {
            Repository repo = opener.get();
            if (repo.codec().encrypted()) {
                // it decrypts segment after segment for the whole recovery: compiled AES-GCM from the first
                GcmWarmUp.startInBackground(GcmWarmUp.Direction.DECRYPT, "archive-get-worker-warmup");
            }
            return repo;
        }).run();
    }

    /**
     * PostgreSQL's {@code recovery_end_command} for a restored server ({@code archive-get
     * --end-of-recovery}, and what the worker does when it sees recovery end): removes the
     * spool and every {@code .walvault-restore.*} file of pg_wal (the repository settings, the
     * passphrase or private keys restore_command needed, the plan, the progress record). Returns
     * the number of files removed. PostgreSQL only warns when this fails. Needs no repository.
     */
    public static int endOfRecovery(Path dataDirectory) throws IOException {
        int removed = removeRecoveryFiles(dataDirectory);
        LOG.info("recovery ended: removed the spool and the restore's private files from '{}' ({} files)",
                dataDirectory.resolve("pg_wal"), removed);
        return removed;
    }

    /** Removes the spool and the restore's private files of {@code dataDirectory}'s pg_wal; returns how many files. */
    static int removeRecoveryFiles(Path dataDirectory) throws IOException {
        Path walDir = dataDirectory.resolve("pg_wal");
        int removed = 0;
        Path spool = walDir.resolve(HookSpool.DIRECTORY);
        if (Files.isDirectory(spool)) {
            try (Stream<Path> all = Files.walk(spool)) {
                for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                    if (Files.deleteIfExists(p)) {
                        removed++;
                    }
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
        return removed;
    }

    /**
     * Serves {@code name}'s {@code .partial} if the archive has one and nothing of its timeline
     * follows it; returns the segment size, or empty.
     */
    private OptionalLong servePartial(WalArchive wal, WalFileName name, long systemId, Path target) throws IOException {
        WalFileName partial = WalFileName.parse(name.name() + ".partial");
        if (wal.info(partial).isEmpty()) {
            return OptionalLong.empty();
        }
        // decoded beside the target first: its header gives the segment size, needed to name what follows
        Path candidate = target.toAbsolutePath().getParent().resolve("." + name.name() + ".partial-candidate");
        try {
            long segmentSize = WalFileWriter.write(wal, partial, OptionalLong.of(systemId), candidate).segmentSize();
            WalSegmentName next = WalSegmentName.parse(name.name(), segmentSize).next();
            WalFileName nextName = WalFileName.parse(next.fileName());
            if (wal.info(nextName).isPresent() || wal.info(WalFileName.parse(next.fileName() + ".partial")).isPresent()) {
                return OptionalLong.empty(); // WAL of this timeline goes on: the partial is not its end
            }
            Files.move(candidate, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            return OptionalLong.of(segmentSize);
        } finally {
            Files.deleteIfExists(candidate);
        }
    }

    private String origin(long systemId) {
        return repositorySettings.location() + " " + Long.toUnsignedString(systemId);
    }

    private static long onlyCluster(Repository repo) {
        List<Long> ids;
        try (Stream<Long> c = repo.clusters()) {
            ids = c.toList();
        }
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
