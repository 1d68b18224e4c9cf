package io.walvault.archiver.push;

import static java.util.Objects.requireNonNull;

import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;
import io.walvault.core.hook.HookCaller;
import io.walvault.core.hook.HookSpool;
import io.walvault.core.hook.WorkerLock;
import io.walvault.core.hook.WorkerTenure;
import io.walvault.core.hook.WorkerThreads;
import io.walvault.core.repo.Repository;
import io.walvault.core.wal.WalFileName;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * archive-push's worker: one per pg_wal (the spool's {@code push.lock}), started detached by the
 * first call that finds none. It pushes every file PostgreSQL has marked ready, {@code parallel}
 * at a time, in archiving order, and writes each outcome into the spool: {@code NAME.ok} once
 * the file is durable in the repository (bin/walvault then answers PostgreSQL's call for it with
 * 0 without a JVM), {@code NAME.error} with the exit code and message when it failed (the next
 * call for that file reports it, so PostgreSQL's log has the reason at once, and the worker
 * retries with a growing pause). With {@code archive-push-queue-max} set, WAL is given up
 * (acknowledged unarchived) only while the repository fails and more than that waits; every
 * file given up is logged as an error and recorded in the repository ({@link GapRecords}).
 *
 * <p>It ends when nothing has been ready for {@value #IDLE_SECONDS} s, or as soon as its
 * settings may have changed ({@link WorkerTenure}: after {@value #LIFETIME_MINUTES} min, when the
 * server stopped or restarted, when the configuration file changed); then it removes its
 * {@code .ok} statuses (they speak for this worker's repository
 * only). kill -9 at any moment leaves nothing half-written: a file is marked only after its push
 * was durable, and an unmarked file is pushed again (an identical re-push succeeds).
 */
final class PushWorker {

    private static final Logger LOG = LoggerFactory.getLogger(PushWorker.class);
    static final int IDLE_SECONDS = 20;
    static final int LIFETIME_MINUTES = 10;
    static final Duration LIFETIME = Duration.ofMinutes(LIFETIME_MINUTES);
    private static final Duration MAX_PAUSE = Duration.ofSeconds(30);
    /**
     * How long the file of the call that started the worker is left to that call: pushed here
     * only if it is still ready after that (the call failed, or is slow).
     */
    private static final Duration LEFT_TO_CALLER = Duration.ofSeconds(5);

    private final ArchivePushSettings settings;
    private final HookSpool spool;
    private final Supplier<Repository> opener;
    private final GapRecords gaps;
    private final Optional<String> leftToCaller;
    private final HookCaller caller;
    private final WorkerTenure tenure;
    /** The ready files this worker has pushed durably (PostgreSQL's call may have taken the {@code .ok} already). */
    private final Set<String> durable = ConcurrentHashMap.newKeySet();
    /**
     * Whether a push of the last batch failed for the store itself ({@link ErrorCode#STORAGE}: out
     * of reach, refusing, failing): only that lets {@code archive-push-queue-max} give WAL up. A
     * file refused for what it is (another file stored under its name, an abandoned timeline) must
     * stay in pg_wal, whatever waits behind it.
     */
    private boolean storeFailedInBatch;

    /**
     * @param leftToCaller the file of the call that started this worker, which pushes it itself:
     *                     left to it for a few seconds
     */
    PushWorker(ArchivePushSettings settings, HookSpool spool, Supplier<Repository> opener, Optional<String> leftToCaller,
               HookCaller caller, WorkerTenure tenure) {
        this.settings = requireNonNull(settings, "settings is null");
        this.spool = requireNonNull(spool, "spool is null");
        this.opener = requireNonNull(opener, "opener is null");
        this.gaps = new GapRecords(spool);
        this.leftToCaller = requireNonNull(leftToCaller, "leftToCaller is null");
        this.caller = requireNonNull(caller, "caller is null");
        this.tenure = requireNonNull(tenure, "tenure is null");
    }

    /** Runs until idle; returns the number of files it pushed, or -1 when another worker serves this pg_wal. */
    int run() throws IOException {
        Optional<WorkerLock> lock = WorkerLock.tryAcquire(spool.lockFile(HookSpool.Role.PUSH));
        if (lock.isEmpty()) {
            return -1;
        }
        try (WorkerLock held = lock.get()) {
            Path walDir = spool.walDirectory();
            spool.claim(HookSpool.Role.PUSH, caller.arguments());
            long lastWork = System.nanoTime();
            int pushed = 0;
            int failures = 0;
            boolean storeFailing = false; // the last batch failed for the store (not, say, for a file's content)
            long started = System.nanoTime();
            long lastTidy = 0;
            QueueLimit limit = new QueueLimit(settings.queueMax());
            try (Repository repo = opener.get(); WorkerThreads pool = new WorkerThreads("archive-push-worker", settings.parallel())) {
                while (Files.isDirectory(walDir.resolve("archive_status")) && tenure.current()) {
                    if (System.nanoTime() - lastTidy > TimeUnit.SECONDS.toNanos(1)) {
                        removeStaleOks(walDir);
                        gaps.flush(repo);
                        lastTidy = System.nanoTime();
                    }
                    List<Path> pending = new ArrayList<>();
                    List<Path> ready = ReadyFiles.list(walDir);
                    // pushed, and PostgreSQL has not yet marked it done (the .ok answers its call until then)
                    durable.retainAll(ready.stream().map(p -> p.getFileName().toString()).toList());
                    for (Path p : ready) {
                        String n = p.getFileName().toString();
                        if (leftToCaller.isPresent() && leftToCaller.get().equals(n)
                                && System.nanoTime() - started < LEFT_TO_CALLER.toNanos()) {
                            continue;
                        }
                        if (!durable.contains(n)) {
                            pending.add(p);
                        }
                    }
                    if (pending.isEmpty()) {
                        if (System.nanoTime() - lastWork > TimeUnit.SECONDS.toNanos(IDLE_SECONDS)) {
                            break;
                        }
                        sleep(Duration.ofMillis(10));
                        continue;
                    }
                    lastWork = System.nanoTime();
                    giveUp(limit, pending, storeFailing, repo);
                    if (failures == 0) {
                        promise(pending);
                    }
                    List<Path> batch = pending.subList(0, Math.min(pending.size(), Math.max(1, settings.parallel())));
                    int ok = pushBatch(pool, repo, batch);
                    pushed += ok;
                    if (ok < batch.size()) {
                        failures++;
                        sleep(pause(failures));
                    } else {
                        failures = 0;
                    }
                    storeFailing = ok < batch.size() && storeFailedInBatch;
                }
            } finally {
                spool.release(HookSpool.Role.PUSH);
                spool.purge(HookSpool.Role.PUSH); // these statuses speak for this worker only
            }
            LOG.info("archive-push worker of '{}' ends ({}): {} files pushed", walDir,
                    tenure.reason().orElse("idle for " + IDLE_SECONDS + " s"), pushed);
            return pushed;
        }
    }

    /**
     * Marks the next look-ahead files pending: PostgreSQL's calls for them wait for this worker's
     * answer instead of starting a JVM each when the archiver catches up with the worker (a
     * backlog drains at the worker's pace, not at one JVM start per file). Not while pushes fail:
     * then each call answers at once with the failure.
     */
    private void promise(List<Path> pending) {
        for (Path p : pending.subList(0, Math.min(pending.size(), settings.lookAhead()))) {
            try {
                spool.markPending(HookSpool.Role.PUSH, p.getFileName().toString());
            } catch (IOException e) {
                LOG.debug("cannot mark '{}' pending: {}", p, e.toString());
            }
        }
    }

    /** Pushes {@code batch} in parallel and marks each outcome; returns how many are durable. */
    private int pushBatch(WorkerThreads pool, Repository repo, List<Path> batch) {
        storeFailedInBatch = false;
        List<Future<ArchivePushFile.Result>> futures = new ArrayList<>();
        for (Path p : batch) {
            try {
                spool.markPending(HookSpool.Role.PUSH, p.getFileName().toString());
            } catch (IOException e) {
                LOG.debug("cannot mark '{}' pending: {}", p, e.toString());
            }
            futures.add(pool.submit(() -> {
                WalFileName n = WalFileName.parse(p.getFileName().toString());
                return ArchivePushFile.push(repo, p, n, settings.clusterOf(p, n),
                        settings.systemId().isPresent());
            }));
        }
        int ok = 0;
        for (int i = 0; i < futures.size(); i++) {
            String name = batch.get(i).getFileName().toString();
            try {
                ArchivePushFile.Result r = futures.get(i).get();
                if (!tenure.current()) {
                    // the spool was opened for other settings (another repository) while this push ran: an .ok
                    // would answer a call of those settings for a file durable only where this worker pushed it
                    LOG.info("archived '{}', but the worker's settings are no longer the spool's ({}): not answered"
                            + " from the spool", name, tenure.reason().orElse(""));
                    spool.unmarkPending(HookSpool.Role.PUSH, name); // the call does not wait for an answer that will not come
                    continue;
                }
                spool.markOk(name); // only now: the push is durable
                durable.add(name);
                ok++;
                LOG.info("archived '{}' ({} bytes{})", name, r.size(), r.alreadyPresent() ? ", already there" : "");
            } catch (ExecutionException e) {
                WalvaultException w = e.getCause() instanceof WalvaultException we ? we
                        : new WalvaultException(ErrorCode.STORAGE, "cannot archive '" + name + "': " + e.getCause(), e.getCause());
                LOG.warn("cannot archive '{}' (PostgreSQL's next call for it reports this): {}", name, w.getMessage());
                storeFailedInBatch |= w.code() == ErrorCode.STORAGE;
                try {
                    spool.markError(HookSpool.Role.PUSH, name, w.code().exitCode(), w.getMessage());
                } catch (IOException io) {
                    LOG.warn("cannot record the failure of '{}' in the spool: {}", name, io.toString());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return ok;
            } catch (IOException e) {
                LOG.warn("cannot mark '{}' archived in the spool (PostgreSQL's call pushes it again): {}", name, e.toString());
            }
        }
        return ok;
    }

    /**
     * With {@code archive-push-queue-max}: while the repository fails, the oldest waiting files
     * beyond the limit are acknowledged unarchived, each logged as an error and recorded as a
     * gap (in the repository as soon as it can be written).
     */
    private void giveUp(QueueLimit limit, List<Path> pending, boolean storeFailing, Repository repo) throws IOException {
        List<QueueLimit.Waiting> waiting = new ArrayList<>();
        for (Path p : pending) {
            waiting.add(new QueueLimit.Waiting(p, Files.size(p)));
        }
        List<QueueLimit.Waiting> lost = limit.toGiveUp(waiting, storeFailing);
        if (lost.isEmpty()) {
            return;
        }
        gaps.add(lost, settings.queueMax().getAsLong());
        for (QueueLimit.Waiting w : lost) {
            String name = w.file().getFileName().toString();
            LOG.error("GIVING UP WAL file '{}' unarchived: the repository has failed and {} bytes of WAL wait in '{}', more than"
                    + " archive-push-queue-max ({} bytes); the archive has a gap from here (recorded in the repository;"
                    + " 'walvault info' shows it) HINT: take a new backup once the repository is reachable again",
                    name, waiting.stream().mapToLong(QueueLimit.Waiting::bytes).sum(), spool.walDirectory(),
                    settings.queueMax().getAsLong());
            spool.markOk(name);
            durable.add(name);
            pending.remove(w.file());
        }
        gaps.flush(repo);
    }

    /**
     * Removes the {@code .ok} of WAL files PostgreSQL no longer waits for (archived by its own call
     * meanwhile, removed or recycled): an {@code .ok} answers PostgreSQL's wait for a ready file,
     * never a later push by hand.
     */
    private void removeStaleOks(Path walDir) {
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(spool.dir(HookSpool.Role.PUSH))) { // no glob, as ReadyFiles
            for (Path ok : ds) {
                String n = ok.getFileName().toString();
                if (!n.endsWith(".ok")) {
                    continue;
                }
                if (!ArchivePush.ready(walDir.resolve(n.substring(0, n.length() - ".ok".length())))) {
                    Files.deleteIfExists(ok);
                }
            }
        } catch (IOException e) {
            // best effort
        }
    }

    /** 1 s after the first failure, doubling to 30 s. */
    static Duration pause(int failures) {
        long s = 1L << Math.min(5, Math.max(0, failures - 1));
        return Duration.ofSeconds(Math.min(s, MAX_PAUSE.toSeconds()));
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
