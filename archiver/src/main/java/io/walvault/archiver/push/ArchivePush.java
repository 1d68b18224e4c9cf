package io.walvault.archiver.push;

import static java.util.Objects.requireNonNull;

import io.walvault.core.config.RepositorySettings;
import io.walvault.core.crypto.GcmWarmUp;
import io.walvault.core.log.DaemonLog;
import io.walvault.core.repo.Repositories;
import io.walvault.core.repo.Repository;
import io.walvault.core.wal.WalFileName;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * archive-push, PostgreSQL's {@code archive_command}: archives the file PostgreSQL names, then
 * looks ahead.
 *
 * <pre>
 *  %p ─▶ marker matches? ──yes──▶ done (no repository opened)
 *          │ no
 *          ▼
 *        cluster of the file ─▶ open repository ─▶ ArchivePushFile (validate while storing, durable)
 *          ▼
 *        look-ahead: next .ready files of pg_wal/archive_status, WAL order, N at a time
 *          ─▶ ArchivePushFile each ─▶ marker (only after the durable push)
 * </pre>
 *
 * <p>The call succeeds only once its own file is durable in the repository; it never reports a
 * file archived that is not. A look-ahead failure is only logged: that file is pushed again, and
 * fails visibly, when PostgreSQL asks for it. One instance per call; not thread-safe.
 */
public final class ArchivePush {

    private static final Logger LOG = LoggerFactory.getLogger(ArchivePush.class);

    /** How a call ended. */
    public enum Outcome {
        /** The file was stored now. */
        PUSHED,
        /** An identical copy was already in the repository. */
        ALREADY_ARCHIVED,
        /** An earlier call's look-ahead had pushed it: nothing to do. */
        PUSHED_AHEAD
    }

    /**
     * What a call did.
     *
     * @param outcome   for the file PostgreSQL named
     * @param lookAhead the files the look-ahead pushed (durable, marked)
     * @param lookAheadFailed how many look-ahead pushes failed (left for PostgreSQL's own call)
     */
    public record Report(Outcome outcome, List<ArchivePushFile.Result> lookAhead, int lookAheadFailed) {
        public Report {
            requireNonNull(outcome, "outcome is null");
            lookAhead = List.copyOf(lookAhead);
        }
    }

    private final RepositorySettings repositorySettings;
    private final ArchivePushSettings settings;
    private final Supplier<Repository> opener;

    public ArchivePush(RepositorySettings repositorySettings, ArchivePushSettings settings) {
        this(repositorySettings, settings, () -> Repositories.open(repositorySettings));
    }

    /** With the repository opened by {@code opener} (tests share one). */
    ArchivePush(RepositorySettings repositorySettings, ArchivePushSettings settings, Supplier<Repository> opener) {
        this.repositorySettings = requireNonNull(repositorySettings, "repositorySettings is null");
        this.settings = requireNonNull(settings, "settings is null");
        this.opener = requireNonNull(opener, "opener is null");
    }

    /** Archives {@code file} (PostgreSQL's %p) and returns what was done; throws if it is not durably archived. */
    public Report run(Path file) throws IOException {
        requireNonNull(file, "file is null");
        WalFileName name = ArchivePushFile.nameOf(file);
        if (!Files.exists(file)) {
            throw ArchivePushFile.missing(file, new NoSuchFileException(file.toString()));
        }
        Path walDir = file.toAbsolutePath().getParent();
        PushMarkers markers = new PushMarkers(walDir, repositorySettings.location());
        if (markers.isPushed(file)) {
            markers.remove(file);
            LOG.debug("'{}' was archived ahead", name);
            return new Report(Outcome.PUSHED_AHEAD, List.of(), 0);
        }
        long systemId = ArchivePushFile.clusterOf(file, name, settings.systemId());
        try (Repository repo = openWarmingUp()) {
            ArchivePushFile.Result own = ArchivePushFile.push(repo, file, name, systemId, settings.systemId().isPresent());
            markers.remove(file);
            LOG.info("archived '{}' ({} bytes{})", name, own.size(), own.alreadyPresent() ? ", already there" : "");
            List<ArchivePushFile.Result> ahead = new ArrayList<>();
            int failed = settings.lookAhead() == 0 ? 0 : lookAhead(repo, walDir, name, markers, ahead, new HashSet<>());
            return new Report(own.alreadyPresent() ? Outcome.ALREADY_ARCHIVED : Outcome.PUSHED, ahead, failed);
        }
    }

    /**
     * Watches {@code pg_wal/archive_status} of {@code file}'s directory and pushes each
     * {@code .ready} file as it appears (durable, then marked), so that PostgreSQL's calls find
     * markers and return without Java. Runs until nothing became ready for {@code idle}, or for
     * at most {@code lifetime} (so changed settings take effect), until the directory is gone, or
     * once the server stopped (its postmaster.pid, present when the watcher started, is gone:
     * nothing more becomes ready, and a DBA copying the stopped data directory should not see
     * files appear in it).
     * At most one watcher runs per directory (a lock in the marker directory); another returns at
     * once. {@code file} itself is left out of the first round: bin/walvault starts the watcher
     * beside the call that pushes it. Returns how many files it pushed.
     */
    public int watch(Path file, Duration idle, Duration lifetime) throws IOException {
        Path walDir = file.toAbsolutePath().getParent();
        PushMarkers markers = new PushMarkers(walDir, repositorySettings.location());
        markers.ensureDirectory();
        Path lockFile = markers.directory().resolve("watch.lock");
        try (FileChannel ch = FileChannel.open(lockFile,
                Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
             FileLock lock = tryLock(ch)) {
            if (lock == null) {
                return 0; // another watcher serves this directory
            }
            Path pidFile = markers.directory().resolve("watch.pid");
            Files.writeString(pidFile, ProcessHandle.current().pid() + "\n");
            DaemonLog.keepBounded(markers.directory().resolve("watch.log"));
            long start = System.nanoTime();
            long lastWork = start;
            int pushed = 0;
            Set<Path> failed = new HashSet<>(); // left to PostgreSQL's own calls, which fail visibly
            WalFileName besideCall = WalFileName.tryParse(file.getFileName().toString()).orElse(null);
            Path postmasterPid = walDir.getParent() == null ? null : walDir.getParent().resolve("postmaster.pid");
            boolean serverRan = postmasterPid != null && Files.exists(postmasterPid);
            try (Repository repo = openWarmingUp()) {
                while (Files.isDirectory(walDir.resolve("archive_status"))
                        && System.nanoTime() - start < lifetime.toNanos()
                        && !(serverRan && !Files.exists(postmasterPid))) {
                    List<ArchivePushFile.Result> done = new ArrayList<>();
                    lookAhead(repo, walDir, besideCall, markers, done, failed);
                    besideCall = null;
                    if (!done.isEmpty()) {
                        pushed += done.size();
                        lastWork = System.nanoTime();
                    } else if (System.nanoTime() - lastWork > idle.toNanos()) {
                        break;
                    } else {
                        try {
                            Thread.sleep(10);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                            break;
                        }
                    }
                }
            } finally {
                Files.deleteIfExists(pidFile);
            }
            LOG.info("watcher of '{}' pushed {} files ahead", walDir, pushed);
            return pushed;
        }
    }

    private static FileLock tryLock(FileChannel ch) throws IOException {
        try {
            return ch.tryLock();
        } catch (OverlappingFileLockException e) {
            return null; // held by a watcher of this process
        }
    }

    /**
     * Opens the repository, with the encryption warm-up ({@link GcmWarmUp}) started on a thread
     * of its own when the repository encrypts: before opening when the settings say so (the key
     * derivation runs meanwhile), else once the opened repository tells. A cold JVM
     * would encrypt a segment in JCE's plain-Java GCM; the warm-up costs ~75 ms of CPU on the
     * other core and took the median cold call from 835-898 ms to 593-686 ms (bench --only
     * cold, incompressible WAL).
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

    /** Pushes the next ready files; returns how many failed. */
    private int lookAhead(Repository repo, Path walDir, WalFileName own, PushMarkers markers, List<ArchivePushFile.Result> done,
            Set<Path> skip) {
        markers.removeStale(walDir);
        List<Path> next = readyFiles(walDir, own, markers, skip);
        if (next.isEmpty()) {
            return 0;
        }
        int threads = Math.max(1, Math.min(settings.parallel(), next.size()));
        ExecutorService pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "archive-push-ahead");
            t.setDaemon(true);
            return t;
        });
        int failed = 0;
        try {
            List<Future<ArchivePushFile.Result>> futures = new ArrayList<>();
            for (Path p : next) {
                futures.add(pool.submit(() -> {
                    String identity = PushMarkers.identity(p);
                    WalFileName n = WalFileName.parse(p.getFileName().toString());
                    ArchivePushFile.Result r = ArchivePushFile.push(repo, p, n, ArchivePushFile.clusterOf(p, n, settings.systemId()),
                            settings.systemId().isPresent());
                    markers.mark(p, identity); // only now: the push is durable
                    return r;
                }));
            }
            for (int i = 0; i < futures.size(); i++) {
                try {
                    done.add(futures.get(i).get());
                } catch (ExecutionException e) {
                    failed++;
                    skip.add(next.get(i));
                    LOG.warn("look-ahead could not archive '{}' (PostgreSQL's own call will retry it): {}",
                            next.get(i).getFileName(), e.getCause().getMessage());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    failed += futures.size() - i;
                    break;
                }
            }
        } finally {
            pool.shutdownNow();
            try {
                pool.awaitTermination(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        return failed;
    }

    /**
     * The files of {@code archive_status/*.ready} other than {@code own} and not yet marked, in the
     * order PostgreSQL archives them (history files first, then by name), at most the look-ahead.
     */
    private List<Path> readyFiles(Path walDir, WalFileName own, PushMarkers markers, Set<Path> skip) {
        Path status = walDir.resolve("archive_status");
        List<WalFileName> ready = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(status, "*.ready")) {
            for (Path p : ds) {
                String n = p.getFileName().toString();
                WalFileName.tryParse(n.substring(0, n.length() - ".ready".length()))
                        .filter(w -> !w.equals(own))
                        .ifPresent(ready::add);
            }
        } catch (IOException e) {
            LOG.debug("no look-ahead: cannot list '{}': {}", status, e.toString());
            return List.of();
        }
        ready.sort(Comparator.comparing((WalFileName w) -> w.kind() != WalFileName.Kind.HISTORY).thenComparing(WalFileName::name));
        List<Path> out = new ArrayList<>();
        for (WalFileName w : ready) {
            if (out.size() == settings.lookAhead()) {
                break;
            }
            Path p = walDir.resolve(w.name());
            if (!skip.contains(p) && Files.exists(p) && !markers.isPushed(p)) {
                out.add(p);
            }
        }
        return out;
    }
}
