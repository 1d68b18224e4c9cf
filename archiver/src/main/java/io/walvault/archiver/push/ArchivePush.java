package io.walvault.archiver.push;

import static java.util.Objects.requireNonNull;

import io.walvault.core.config.RepositorySettings;
import io.walvault.core.crypto.GcmWarmUp;
import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;
import io.walvault.core.hook.HookCaller;
import io.walvault.core.hook.HookSpool;
import io.walvault.core.hook.WorkerLock;
import io.walvault.core.hook.WorkerStarter;
import io.walvault.core.hook.WorkerTenure;
import io.walvault.core.repo.Repositories;
import io.walvault.core.repo.Repository;
import io.walvault.core.wal.WalFileName;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * archive-push, PostgreSQL's {@code archive_command}, as the Java side of the WAL hook engine
 * (docs/ARCHITECTURE.md, "WAL hooks"):
 *
 * <pre>
 *  bin/walvault: spool says NAME.ok ─▶ 0 / NAME.error ─▶ its code and message       (no JVM)
 *  otherwise this call:
 *    NAME not ready (archive_status/NAME.ready absent: pushed by hand) ─▶ push it here, spool untouched
 *    spool for this repository and cluster ─▶ NAME.ok meanwhile? done
 *    worker alive (push.lock held)? ─▶ wait for its outcome for NAME (fails as fast as the worker does)
 *    no worker ─▶ start one (detached, pushes what else is ready) and push NAME here (validate, store, durable)
 * </pre>
 *
 * <p>The call succeeds only once its own file is durable in the repository: a status {@code .ok}
 * is written by the worker only after a durable push. One instance per call; not thread-safe.
 */
public final class ArchivePush {

    private static final Logger LOG = LoggerFactory.getLogger(ArchivePush.class);
    /** How long a call waits for a live worker's outcome before it pushes its file itself. */
    static final Duration WAIT_FOR_WORKER = Duration.ofSeconds(30);

    /** How a call ended. */
    public enum Outcome {
        /** The file was stored now, by this call. */
        PUSHED,
        /** An identical copy was already in the repository. */
        ALREADY_ARCHIVED,
        /** The worker had pushed it, or did while this call waited. */
        PUSHED_AHEAD
    }

    /**
     * What a call did.
     *
     * @param outcome       for the file PostgreSQL named
     * @param startedWorker whether this call started a worker
     */
    public record Report(Outcome outcome, boolean startedWorker) {
        public Report {
            requireNonNull(outcome, "outcome is null");
        }
    }

    private final RepositorySettings repositorySettings;
    private final ArchivePushSettings settings;
    private final Supplier<Repository> opener;
    private final WorkerStart workerStart;

    /**
     * How a worker is started: the arguments of this call (to run again with {@code --worker}),
     * and the launcher to run them with; empty (walvault in-process, as in tests) starts none.
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

    public ArchivePush(RepositorySettings repositorySettings, ArchivePushSettings settings, WorkerStart workerStart) {
        this(repositorySettings, settings, workerStart, () -> Repositories.open(repositorySettings));
    }

    /** With the repository opened by {@code opener} (tests share one). */
    ArchivePush(RepositorySettings repositorySettings, ArchivePushSettings settings, WorkerStart workerStart,
                Supplier<Repository> opener) {
        this.repositorySettings = requireNonNull(repositorySettings, "repositorySettings is null");
        this.settings = requireNonNull(settings, "settings is null");
        this.workerStart = requireNonNull(workerStart, "workerStart is null");
        this.opener = requireNonNull(opener, "opener is null");
    }

    /** Archives {@code file} (PostgreSQL's %p) and returns what was done; throws if it is not durably archived. */
    public Report run(Path file) throws IOException {
        requireNonNull(file, "file is null");
        WalFileName name = ArchivePushFile.nameOf(file);
        if (!Files.exists(file)) {
            throw ArchivePushFile.missing(file, new NoSuchFileException(file.toString()));
        }
        long systemId = settings.clusterOf(file, name);
        if (!ready(file)) {
            // not PostgreSQL waiting for it (a segment pushed again by hand, a file outside pg_wal): no
            // worker pushes it and no status answers for it, and the spool is not touched (a DBA's
            // shell may run as another user than the server)
            try (Repository repo = openWarmingUp()) {
                ArchivePushFile.Result own = ArchivePushFile.push(repo, file, name, systemId, settings.systemId().isPresent());
                LOG.info("archived '{}' ({} bytes{})", name, own.size(), own.alreadyPresent() ? ", already there" : "");
                return new Report(own.alreadyPresent() ? Outcome.ALREADY_ARCHIVED : Outcome.PUSHED, false);
            }
        }
        HookSpool spool = new HookSpool(file.toAbsolutePath().getParent());
        spool.open(origin(systemId));
        if (okFor(spool, file)) {
            spool.clear(HookSpool.Role.PUSH, name.name());
            return new Report(Outcome.PUSHED_AHEAD, false);
        }
        boolean started = false;
        if (settings.worker()) {
            if (WorkerLock.isHeld(spool.lockFile(HookSpool.Role.PUSH))) {
                Optional<Report> byWorker = awaitWorker(spool, name);
                if (byWorker.isPresent()) {
                    return byWorker.get();
                }
            } else {
                started = startWorker(spool);
            }
        }
        try (Repository repo = openWarmingUp()) {
            ArchivePushFile.Result own = ArchivePushFile.push(repo, file, name, systemId, settings.systemId().isPresent());
            spool.clear(HookSpool.Role.PUSH, name.name());
            LOG.info("archived '{}' ({} bytes{})", name, own.size(), own.alreadyPresent() ? ", already there" : "");
            return new Report(own.alreadyPresent() ? Outcome.ALREADY_ARCHIVED : Outcome.PUSHED, started);
        }
    }

    /**
     * Runs the worker of {@code file}'s pg_wal ({@code archive-push --worker}), until it is idle;
     * returns the number of files it pushed, or -1 when another worker serves that pg_wal.
     */
    public int worker(Path file, HookCaller caller) throws IOException {
        WalFileName name = ArchivePushFile.nameOf(file);
        HookSpool spool = new HookSpool(file.toAbsolutePath().getParent());
        // the cluster of the call's file, or, once PostgreSQL has removed it, of the files still ready
        Optional<Path> sample = Files.exists(file) ? Optional.of(file) : ReadyFiles.list(spool.walDirectory()).stream()
                .filter(p -> WalFileName.parse(p.getFileName().toString()).kind() == WalFileName.Kind.SEGMENT).findFirst();
        if (sample.isEmpty()) {
            return 0;
        }
        long systemId = settings.clusterOf(sample.get(), WalFileName.parse(sample.get().getFileName().toString()));
        String origin = origin(systemId);
        spool.open(origin);
        return new PushWorker(settings, spool, this::openWarmingUp, Optional.of(name.name()), caller,
                new WorkerTenure(spool, origin, caller.configFile(), PushWorker.LIFETIME)).run();
    }

    /**
     * Whether PostgreSQL waits for {@code file} to be archived ({@code archive_status/NAME.ready}):
     * a worker's {@code .ok} answers only that wait. A file pushed again by hand (its status
     * {@code .done}) is pushed, whatever the spool says.
     */
    static boolean ready(Path file) {
        Path dir = file.toAbsolutePath().getParent();
        return Files.exists(dir.resolve("archive_status").resolve(file.getFileName() + ".ready"));
    }

    /**
     * Whether the worker's {@code .ok} answers for {@code file}: there is one, no error since, and
     * the file is not newer than it (a file rewritten under the same name after its push is pushed
     * again), the rule bin/walvault applies.
     */
    static boolean okFor(HookSpool spool, Path file) throws IOException {
        String n = file.getFileName().toString();
        if (!(spool.status(HookSpool.Role.PUSH, n).orElse(null) instanceof HookSpool.Status.Ok)) {
            return false;
        }
        try {
            return Files.getLastModifiedTime(file).compareTo(Files.getLastModifiedTime(spool.dir(HookSpool.Role.PUSH)
                    .resolve(n + ".ok"))) <= 0;
        } catch (NoSuchFileException e) {
            return false; // taken meanwhile, or the file is gone: the push decides
        }
    }

    /** The worker's outcome for {@code name}, waited for; empty if it has none in time (the call then pushes itself). */
    private Optional<Report> awaitWorker(HookSpool spool, WalFileName name) throws IOException {
        long deadline = System.nanoTime() + WAIT_FOR_WORKER.toNanos();
        while (System.nanoTime() < deadline) {
            Optional<HookSpool.Status> s = spool.status(HookSpool.Role.PUSH, name.name());
            if (okFor(spool, spool.walDirectory().resolve(name.name())) && ready(spool.walDirectory().resolve(name.name()))) {
                spool.clear(HookSpool.Role.PUSH, name.name());
                return Optional.of(new Report(Outcome.PUSHED_AHEAD, false));
            }
            if (s.isPresent() && s.get() instanceof HookSpool.Status.Error e) {
                spool.clear(HookSpool.Role.PUSH, name.name());
                throw new WalvaultException(codeOf(e.exitCode()), e.message());
            }
            if (!WorkerLock.isHeld(spool.lockFile(HookSpool.Role.PUSH))) {
                return Optional.empty(); // the worker ended meanwhile
            }
            try {
                Thread.sleep(5);
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
                throw new WalvaultException(ErrorCode.INTERRUPTED, "archive-push of '" + name + "' was interrupted");
            }
        }
        LOG.warn("the archive-push worker of '{}' has not pushed '{}' within {} s; this call pushes it itself",
                spool.walDirectory(), name, WAIT_FOR_WORKER.toSeconds());
        return Optional.empty();
    }

    private boolean startWorker(HookSpool spool) {
        try {
            return WorkerStarter.start(workerStart.launcher(), workerStart.args(), spool.logFile(HookSpool.Role.PUSH));
        } catch (IOException e) {
            LOG.warn("cannot start the archive-push worker (each call pushes its own file): {}", e.toString());
            return false;
        }
    }

    private String origin(long systemId) {
        return repositorySettings.location() + " " + Long.toUnsignedString(systemId);
    }

    private static ErrorCode codeOf(int exitCode) {
        return Arrays.stream(ErrorCode.values()).filter(c -> c.exitCode() == exitCode).findFirst().orElse(ErrorCode.STORAGE);
    }

    /**
     * Opens the repository, with the encryption warm-up ({@link GcmWarmUp}) started on a thread
     * of its own when the repository encrypts: before opening when the settings say so (the key
     * derivation runs meanwhile), else once the opened repository tells. A cold JVM would
     * encrypt a segment in JCE's plain-Java GCM.
     */
    private Repository openWarmingUp() {
        String e = repositorySettings.encryption();
        boolean started = e != null && !e.equals("none");
        if (started) {
            GcmWarmUp.startInBackground(GcmWarmUp.Direction.ENCRYPT, "archive-push-warmup");
        }
        Repository repo = opener.get();
        if (!started && repo.codec().encrypted()) {
            GcmWarmUp.startInBackground(GcmWarmUp.Direction.ENCRYPT, "archive-push-warmup");
        }
        return repo;
    }
}
