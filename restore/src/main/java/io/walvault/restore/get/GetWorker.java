package io.walvault.restore.get;

import static java.util.Objects.requireNonNull;

import io.walvault.core.error.WalvaultException;
import io.walvault.core.hook.HookCaller;
import io.walvault.core.hook.HookSpool;
import io.walvault.core.hook.PostmasterRun;
import io.walvault.core.hook.WorkerLock;
import io.walvault.core.hook.WorkerTenure;
import io.walvault.core.hook.WorkerThreads;
import io.walvault.core.repo.Repository;
import io.walvault.core.repo.WalArchive;
import io.walvault.core.wal.TimelineId;
import io.walvault.core.wal.WalFileName;
import io.walvault.core.wal.WalSegmentName;
import io.walvault.restore.recovery.RecoveryExpectation;
import io.walvault.restore.recovery.RecoveryProgress;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.Map;
import java.util.TreeMap;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * archive-get's worker: one per pg_wal (the spool's {@code get.lock}), started detached by a
 * call that finds none. It keeps the spool holding the segments after the one recovery asked a
 * Java call for last ({@code get/want}), fetching {@code parallel} at once, and answers ahead
 * what the next calls will ask:
 *
 * <ul>
 *   <li>a segment: ready (fetched, checked, fsynced), or {@code .missing} when the archive does
 *       not hold it and the restore's plan does not need it, or {@code .error} (150) when the
 *       plan needs it (a gap) or the archive holds it but it cannot be delivered;</li>
 *   <li>the history file of the next timeline, which recovery probes for: ready, or
 *       {@code .missing} (with a plan, only once this run of the server has asked for the plan's
 *       last segment: before that, the probe goes to Java, which may have to stop recovery);</li>
 *   <li>a segment archived only as its timeline's {@code .partial}: nothing (the call serves it).</li>
 * </ul>
 *
 * bin/walvault renames ready files to %p and answers from the rest without a JVM. The worker
 * re-checks the end of the archive every second (a standby catches up as WAL arrives), and at
 * once when a call took its "missing" answer (recovery asks twice for the segment after the
 * archive's end before it ends: the second call finds the answer again instead of a JVM), drops
 * segments recovery has passed, keeps the spool within its bounds ({@link SpoolFetch#room}),
 * and ends when recovery has taken nothing for {@value #IDLE_SECONDS} s, when its settings may
 * have changed ({@link WorkerTenure}), or when recovery has ended: then it removes what it
 * fetched ahead (the restore's private files are the recovery_end_command's to remove).
 *
 * <p>Length: one loop over one state (the cursor, the fetches in flight, the answers this worker
 * put into the spool and must withdraw); its decisions read and change that state together, so
 * they stay in one class. The rules it applies are elsewhere and tested alone: what a missing
 * file means ({@link MissingAnswer}), how much the spool may hold ({@link SpoolFetch}), what
 * the restore promised ({@code RecoveryExpectation}), when to stop ({@code WorkerTenure}).
 */
final class GetWorker {

    private static final Logger LOG = LoggerFactory.getLogger(GetWorker.class);
    static final int IDLE_SECONDS = 30;
    /** Pause between looks at the spool while fetches run or the window is full. */
    private static final long IDLE_POLL_MS = 25;
    /** A worker serving a standby for days restarts now and then, and takes changed settings with it. */
    static final Duration LIFETIME = Duration.ofHours(1);
    private static final Duration FIRST_WANT = Duration.ofSeconds(10);
    /** How often the worker looks again at the end of the archive for WAL archived since (a standby's lag). */
    static final Duration END_OF_ARCHIVE_LOOK = Duration.ofSeconds(1);
    /** Pause between looks at whether recovery took a "missing" answer: it asks again at once, and waits for the next answer. */
    private static final long TAKEN_POLL_MS = 10;

    private final ArchiveGetSettings settings;
    private final HookSpool spool;
    private final Path dataDirectory;
    private final long systemId;
    private final Supplier<Repository> opener;
    private final HookCaller caller;
    private final WorkerTenure tenure;
    private final Duration endOfArchiveLook;
    /** The segments this worker put into the spool and that are still there. */
    private final Set<String> placed = new HashSet<>();
    /** The fetches running, by segment. */
    private final Map<WalSegmentName, Future<SpoolFetch.Outcome>> inFlight = new TreeMap<>();
    /** The plan's last segment fetched again for recovery's re-read of it: apart from {@link #inFlight}, its failure stops nothing. */
    private Future<SpoolFetch.Outcome> endCopy;
    /** Whether {@link #endCopy} is done with (copied, there already, or given up). */
    private boolean endCopySettled;
    /** Files placed in the spool by this worker's fetches. */
    private final AtomicInteger fetchedTotal = new AtomicInteger();
    /** The last segment answered "missing", while that answer waits to be taken. */
    private Optional<String> missingAnswered = Optional.empty();
    /**
     * The restore's plan exists but could not be read: "not in the archive" could end recovery
     * before the point the plan promised, so the worker answers no file "missing", and leaves
     * those to the calls (Java refuses to answer without the plan it cannot read).
     */
    private boolean planUnreadable;

    GetWorker(ArchiveGetSettings settings, HookSpool spool, Path dataDirectory, long systemId, HookCaller caller,
              WorkerTenure tenure, Duration endOfArchiveLook, Supplier<Repository> opener) {
        this.settings = requireNonNull(settings, "settings is null");
        this.spool = requireNonNull(spool, "spool is null");
        this.dataDirectory = requireNonNull(dataDirectory, "dataDirectory is null");
        this.systemId = systemId;
        this.opener = requireNonNull(opener, "opener is null");
        this.caller = requireNonNull(caller, "caller is null");
        this.tenure = requireNonNull(tenure, "tenure is null");
        this.endOfArchiveLook = requireNonNull(endOfArchiveLook, "endOfArchiveLook is null");
    }

    /** What recovery asked a Java call for last: the segment and the segment size. */
    record Want(WalSegmentName segment) {
    }

    /** Records what recovery asked for, for the worker to follow (a Java call does). */
    static void writeWant(HookSpool spool, WalSegmentName segment) throws IOException {
        spool.replace(spool.dir(HookSpool.Role.GET).resolve("want"), segment.fileName() + " " + segment.segmentSize());
    }

    static Optional<Want> readWant(HookSpool spool) {
        String[] f = spool.line(spool.dir(HookSpool.Role.GET).resolve("want")).split(" ");
        try {
            return f.length == 2 && WalSegmentName.isSegmentName(f[0])
                    ? Optional.of(new Want(WalSegmentName.parse(f[0], Long.parseLong(f[1])))) : Optional.empty();
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    /** Runs until done; returns the number of files fetched, or -1 when another worker serves this pg_wal. */
    int run() throws IOException {
        Optional<WorkerLock> lock = WorkerLock.tryAcquire(spool.lockFile(HookSpool.Role.GET));
        if (lock.isEmpty()) {
            return -1;
        }
        try (WorkerLock held = lock.get()) {
            spool.claim(HookSpool.Role.GET, caller.arguments());
            // answers a worker of an earlier run of the server left (killed before it could remove them) were
            // true for that run: the launcher would serve them to this one unchecked
            PostmasterRun.of(dataDirectory).startTime().ifPresent(this::forgetAnswersBefore);
            try {
                return serve();
            } finally {
                spool.release(HookSpool.Role.GET);
                forgetAnswers();
            }
        }
    }

    private int serve() throws IOException {
        boolean inRecovery = recovering();
        long deadline = System.nanoTime() + FIRST_WANT.toNanos();
        Optional<Want> first = readWant(spool);
        while (first.isEmpty() && System.nanoTime() < deadline) {
            sleep(20);
            first = readWant(spool);
        }
        if (first.isEmpty()) {
            return 0;
        }
        Optional<RecoveryExpectation> plan = plan();
        String ended = "recovery took nothing for " + IDLE_SECONDS + " s";
        try (Repository repo = opener.get(); WorkerThreads pool = new WorkerThreads("archive-get-worker", settings.parallel())) {
            WalArchive wal = repo.cluster(systemId).wal();
            SpoolFetch fetch = new SpoolFetch(wal, spool, OptionalLong.of(systemId));
            WalSegmentName cursor = first.get().segment();
            Optional<Want> lastWant = first;
            long lastProgress = System.nanoTime();
            OptionalLong endLookDue = OptionalLong.empty(); // when the end of the archive is looked at again
            int readyBefore = -1;
            while (true) {
                if (inRecovery && !recovering()) {
                    recoveryEnded();
                    ended = "recovery has ended";
                    break;
                }
                if (Thread.currentThread().isInterrupted()) {
                    ended = "interrupted";
                    break;
                }
                if (!tenure.current()) {
                    ended = tenure.reason().orElseThrow(); // a server stopped: its next start starts a worker again
                    break;
                }
                Optional<WalSegmentName> taken = takenSince(cursor);
                if (taken.isPresent()) {
                    cursor = taken.get(); // handed over by bin/walvault: recovery is there
                    lastProgress = System.nanoTime();
                }
                Optional<Want> want = readWant(spool);
                if (want.isPresent() && !want.equals(lastWant)) {
                    // a Java call delivered this one: recovery is there (after a timeline switch, maybe elsewhere)
                    cursor = want.get().segment();
                    lastWant = want;
                    lastProgress = System.nanoTime();
                }
                Optional<WalSegmentName> asked = RecoveryProgress.lastAskedInThisRun(dataDirectory, cursor.segmentSize());
                if (asked.isPresent() && asked.get().timeline().equals(cursor.timeline()) && asked.get().segmentNumber() > 0
                        && asked.get().previous().compareTo(cursor) > 0) {
                    // recovery took segments the worker did not place (fetched ahead by the restore): it has passed the
                    // ones before the one it asks for now, which the launcher may be handing over at this moment
                    cursor = asked.get().previous();
                    lastProgress = System.nanoTime();
                }
                WalSegmentName at = cursor;
                // recovery reached the plan's last segment (or read past it): the segment it ends in is read once more
                Optional<WalSegmentName> planEnd = plan.map(RecoveryExpectation::end)
                        .filter(e -> e.timeline().equals(at.timeline()) && e.compareTo(at) <= 0);
                dropPassed(cursor, planEnd);
                cancelInFlight(w -> !w.timeline().equals(at.timeline()) || w.compareTo(at) <= 0);
                if (planEnd.isPresent()) {
                    copyEnd(pool, fetch, planEnd.get());
                }
                int ready = readySegments();
                if (ready != readyBefore) {
                    if (ready < readyBefore) {
                        lastProgress = System.nanoTime(); // recovery took some
                    }
                    readyBefore = ready;
                }
                if (System.nanoTime() - lastProgress > TimeUnit.SECONDS.toNanos(IDLE_SECONDS)) {
                    break; // recovery is paused, or gone
                }
                answerHistoryProbe(wal, fetch, cursor.timeline(), plan, asked);
                Round r = fetchAhead(pool, fetch, cursor, plan, asked);
                if (r.atEnd()) {
                    // the end of the archive, for now: look again when the look is due, or at once when recovery took
                    // the "missing" answer (it asks again right away at its end, and a standby every few seconds).
                    // Recovery asking for another segment wakes it without a look: once it asked for the plan's last
                    // one, the probe for the next timeline's history file, which comes right after redo, is answered
                    // here, not by a JVM between redo and promotion; the end answers stay until the look is due, as
                    // recovery asks for the segment after the end right after it replayed the last one.
                    Optional<WalSegmentName> askedBefore = asked;
                    long segmentSize = cursor.segmentSize();
                    if (endLookDue.isEmpty()) {
                        endLookDue = OptionalLong.of(System.nanoTime() + endOfArchiveLook.toNanos());
                    }
                    boolean missingTaken = missingTakenWithin(Duration.ofNanos(Math.max(0, endLookDue.getAsLong() - System.nanoTime())),
                            () -> inRecovery && !recovering()
                                    || !RecoveryProgress.lastAskedInThisRun(dataDirectory, segmentSize).equals(askedBefore));
                    if (missingTaken) {
                        lastProgress = System.nanoTime();
                    }
                    if (missingTaken || System.nanoTime() - endLookDue.getAsLong() >= 0) {
                        clearEndAnswers(cursor); // WAL may have arrived
                        endLookDue = OptionalLong.empty();
                    }
                } else {
                    endLookDue = OptionalLong.empty();
                    if (r.fetched() == 0) {
                        sleep(IDLE_POLL_MS); // each look is some 100 system calls: redo needs the CPU more
                    }
                }
            }
        }
        LOG.info("archive-get worker of '{}' ends ({}): {} files fetched", spool.walDirectory(), ended, fetchedTotal.get());
        return fetchedTotal.get();
    }


    /**
     * The newest segment after {@code cursor} (on its timeline) that recovery took from the spool
     * since the last look: bin/walvault renames the worker's files away without a word.
     */
    private Optional<WalSegmentName> takenSince(WalSegmentName cursor) {
        WalSegmentName newest = null;
        for (Iterator<String> it = placed.iterator(); it.hasNext(); ) {
            String n = it.next();
            if (Files.exists(spool.ready(n))) {
                continue;
            }
            it.remove();
            if (n.startsWith(cursor.fileName().substring(0, 8)) && n.compareTo(cursor.fileName()) > 0
                    && (newest == null || n.compareTo(newest.fileName()) > 0)) {
                newest = WalSegmentName.parse(n, cursor.segmentSize());
            }
        }
        return Optional.ofNullable(newest);
    }

    /**
     * Waits up to {@code look} for a call to take the last "missing" answer (recovery asked for
     * that segment); returns whether one did. Without such an answer, waits {@code look}. Either
     * wait ends early when {@code wake} says there is something else to do (recovery is over, or
     * it asked for another segment).
     */
    private boolean missingTakenWithin(Duration look, BooleanSupplier wake) {
        long deadline = System.nanoTime() + look.toNanos();
        try {
            while (!Thread.currentThread().isInterrupted() && !wake.getAsBoolean()) {
                if (missingAnswered.isPresent() && spool.status(HookSpool.Role.GET, missingAnswered.get()).isEmpty()) {
                    return true;
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                sleep(Math.min(missingAnswered.isPresent() ? TAKEN_POLL_MS : IDLE_POLL_MS, TimeUnit.NANOSECONDS.toMillis(left) + 1));
            }
            return false;
        } finally {
            missingAnswered = Optional.empty();
        }
    }

    /** Removes the "missing" and error answers written before {@code start}. */
    private void forgetAnswersBefore(Instant start) {
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(spool.dir(HookSpool.Role.GET), "*.{missing,error}")) {
            for (Path p : ds) {
                if (Files.getLastModifiedTime(p).toInstant().isBefore(start)) {
                    Files.deleteIfExists(p);
                    LOG.debug("removed '{}', an answer from before this run of the server", p.getFileName());
                }
            }
        } catch (IOException e) {
            LOG.debug("cannot remove the answers of an earlier run from '{}': {}", spool, e.toString());
        }
    }

    /** The worker ends: its "missing" and failure answers were true only while it looked; ready files stay. */
    private void forgetAnswers() {
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(spool.dir(HookSpool.Role.GET), "*.{missing,error}")) {
            for (Path p : ds) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            LOG.debug("cannot remove the answers of '{}': {}", spool, e.toString());
        }
    }

    private record Round(int fetched, boolean atEnd) {
    }

    /**
     * Keeps up to {@code parallel} fetches of the segments after {@code cursor} running, within
     * the prefetch window and the spool's room, each marked pending while it runs (a call for it
     * waits for it); takes the outcomes of those that finished. A segment the archive lacks is
     * answered, and nothing after it is fetched: the round is then at the end of the archive.
     */
    private Round fetchAhead(WorkerThreads pool, SpoolFetch fetch, WalSegmentName cursor, Optional<RecoveryExpectation> plan,
                             Optional<WalSegmentName> asked) throws IOException {
        int fetched = 0;
        for (Iterator<Map.Entry<WalSegmentName, Future<SpoolFetch.Outcome>>> it = inFlight.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<WalSegmentName, Future<SpoolFetch.Outcome>> e = it.next();
            if (!e.getValue().isDone()) {
                continue;
            }
            it.remove();
            WalFileName n = WalFileName.parse(e.getKey().fileName());
            try {
                SpoolFetch.Outcome o = e.getValue().get();
                if (o == SpoolFetch.Outcome.FETCHED) {
                    placed.add(n.name());
                    fetched++;
                    continue;
                }
                if (o == SpoolFetch.Outcome.NOT_ARCHIVED) {
                    answerMissing(n, plan, asked);
                } else {
                    spool.unmarkPending(HookSpool.Role.GET, n.name()); // recovery's own call serves the .partial
                }
            } catch (ExecutionException x) {
                Throwable c = x.getCause();
                WalvaultException stop = ArchiveGet.stopRecovery(n.name(), c instanceof Exception ex ? ex : new RuntimeException(c));
                LOG.warn("cannot fetch '{}' (the next call for it reports this): {}", n, stop.getMessage());
                mark(n, stop);
            } catch (CancellationException x) {
                spool.unmarkPending(HookSpool.Role.GET, n.name());
                continue;
            } catch (InterruptedException x) {
                Thread.currentThread().interrupt();
                return new Round(fetched, true);
            }
            cancelInFlight(w -> w.compareTo(e.getKey()) > 0); // nothing past the first segment the archive cannot give
            return new Round(fetched, true);
        }
        int room = SpoolFetch.room(spool, cursor.segmentSize(), settings.spoolMax()) - inFlight.size();
        WalSegmentName s = cursor;
        for (int i = 0; i < settings.prefetch() && inFlight.size() < settings.parallel(); i++) {
            s = s.next();
            if (placed.contains(s.fileName()) || inFlight.containsKey(s)) {
                continue; // ready, taken by recovery a moment ago, or on its way
            }
            Optional<HookSpool.Status> st = spool.status(HookSpool.Role.GET, s.fileName());
            if (st.isPresent() && st.get() instanceof HookSpool.Status.Ready) {
                continue;
            }
            if (st.isPresent() && !(st.get() instanceof HookSpool.Status.Pending)) {
                return new Round(fetched, true); // answered already: missing or failed
            }
            if (room <= 0) {
                break;
            }
            room--;
            WalFileName n = WalFileName.parse(s.fileName());
            spool.markPending(HookSpool.Role.GET, n.name());
            inFlight.put(s, pool.submit(() -> {
                SpoolFetch.Outcome o = fetch.fetch(n);
                if (o == SpoolFetch.Outcome.FETCHED) {
                    fetchedTotal.incrementAndGet(); // counted where it happens: the loop may end before it looks
                }
                return o;
            }));
        }
        return new Round(fetched, false);
    }

    /**
     * Recovery took the plan's last segment: fetches it again, so that the server's re-read of
     * the segment it ends in (after redo, to start the new timeline from it) is a rename out of
     * the spool instead of a JVM start between redo and promotion.
     */
    private void copyEnd(WorkerThreads pool, SpoolFetch fetch, WalSegmentName end) throws IOException {
        if (endCopySettled) {
            return;
        }
        WalFileName n = WalFileName.parse(end.fileName());
        if (endCopy == null) {
            if (Files.exists(spool.ready(n.name())) || inFlight.containsKey(end)) {
                endCopySettled = true; // there already (the launcher copied it), or on its way
                return;
            }
            spool.markPending(HookSpool.Role.GET, n.name());
            endCopy = pool.submit(() -> fetch.fetch(n));
            return;
        }
        if (!endCopy.isDone()) {
            return;
        }
        endCopySettled = true;
        String why;
        try {
            SpoolFetch.Outcome o = endCopy.get();
            if (o == SpoolFetch.Outcome.FETCHED) {
                return;
            }
            why = o.toString();
        } catch (ExecutionException e) {
            why = String.valueOf(e.getCause());
        } catch (CancellationException e) {
            why = "cancelled";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            why = "interrupted";
        }
        // a convenience only: the re-read goes to Java, which fetches it (or says why it cannot)
        spool.unmarkPending(HookSpool.Role.GET, n.name());
        LOG.info("could not fetch '{}' again for recovery's re-read of it: {}", n, why);
    }

    /**
     * Stops the fetches of the segments {@code which} selects, and withdraws their pending marks.
     * One that has finished keeps its copy: {@link #dropPassed} removes it unless it is the one
     * kept for recovery's re-read, which then need not be fetched again.
     */
    private void cancelInFlight(Predicate<WalSegmentName> which) {
        for (Iterator<Map.Entry<WalSegmentName, Future<SpoolFetch.Outcome>>> it = inFlight.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<WalSegmentName, Future<SpoolFetch.Outcome>> e = it.next();
            if (which.test(e.getKey())) {
                it.remove();
                if (fetched(e.getValue())) {
                    placed.add(e.getKey().fileName());
                    continue;
                }
                e.getValue().cancel(true);
                try {
                    spool.clear(HookSpool.Role.GET, e.getKey().fileName());
                } catch (IOException x) {
                    LOG.debug("cannot withdraw '{}': {}", e.getKey(), x.toString());
                }
            }
        }
    }

    private static boolean fetched(Future<SpoolFetch.Outcome> f) {
        if (!f.isDone() || f.isCancelled()) {
            return false;
        }
        try {
            return f.get() == SpoolFetch.Outcome.FETCHED;
        } catch (ExecutionException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** The archive lacks {@code n}: "missing" unless the plan needs it. */
    private void answerMissing(WalFileName n, Optional<RecoveryExpectation> plan, Optional<WalSegmentName> asked) throws IOException {
        if (planUnreadable) {
            spool.unmarkPending(HookSpool.Role.GET, n.name()); // the call decides, in Java
            return;
        }
        MissingAnswer.Kind k = MissingAnswer.of(plan, n, asked);
        if (k == MissingAnswer.Kind.NOT_ARCHIVED) {
            spool.markMissing(n.name());
            missingAnswered = Optional.of(n.name());
        } else {
            mark(n, MissingAnswer.refusal(k, plan.orElseThrow(), n, asked));
        }
    }

    /**
     * Recovery probes for the history file of the timeline after {@code current} (at its start,
     * and right before it ends): fetched if archived, "missing" if nothing forbids it. With a
     * plan, "missing" is written only once this run asked for the plan's last segment (then it
     * stays true): before that, the probe goes to a Java call, which decides with what recovery
     * asked at that moment.
     */
    private void answerHistoryProbe(WalArchive wal, SpoolFetch fetch, TimelineId current, Optional<RecoveryExpectation> plan,
                                    Optional<WalSegmentName> asked) {
        TimelineId next = (plan.isPresent() && plan.get().finalTimeline().compareTo(current) > 0 ? plan.get().finalTimeline() : current)
                .next();
        WalFileName h = WalFileName.parse(next.historyFileName());
        if (spool.status(HookSpool.Role.GET, h.name()).isPresent()) {
            return;
        }
        try {
            SpoolFetch.Outcome o = fetch.fetch(h);
            boolean allowed = !planUnreadable && (plan.isEmpty() || asked.isPresent() && plan.get().reachedBy(asked.get()));
            if (o == SpoolFetch.Outcome.NOT_ARCHIVED && allowed) {
                spool.markMissing(h.name());
            }
        } catch (IOException | RuntimeException e) {
            LOG.debug("cannot answer the probe for '{}' ahead (a call will): {}", h, e.toString());
        }
    }

    private void mark(WalFileName n, WalvaultException e) {
        try {
            spool.markError(HookSpool.Role.GET, n.name(), e.code().exitCode(), e.getMessage());
        } catch (IOException io) {
            LOG.warn("cannot record the failure of '{}' in the spool: {}", n, io.toString());
        }
    }

    /**
     * Forgets end-of-archive answers after {@code cursor}, and the next timeline's history file
     * answered missing, so they are checked again (WAL may have arrived; another server may have
     * promoted and archived its history file): none is served more than a look old.
     */
    private void clearEndAnswers(WalSegmentName cursor) {
        // no glob: each would be compiled into a regular expression, every look (the loop's code stays cold)
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(spool.dir(HookSpool.Role.GET))) {
            for (Path p : ds) {
                String n = p.getFileName().toString();
                if (!n.endsWith(".missing")) {
                    continue;
                }
                String base = n.substring(0, n.length() - ".missing".length());
                if (WalSegmentName.isSegmentName(base) && base.compareTo(cursor.fileName()) > 0 || base.endsWith(".history")) {
                    Files.deleteIfExists(p);
                }
            }
        } catch (IOException e) {
            // best effort
        }
    }

    /** Removes ready segments recovery has passed, or of another timeline than the one it follows. */
    private void dropPassed(WalSegmentName cursor, Optional<WalSegmentName> keep) {
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(spool.dir(HookSpool.Role.GET))) {
            for (Path p : ds) {
                String n = p.getFileName().toString();
                String base = n.endsWith(".missing") ? n.substring(0, n.length() - 8) : n.endsWith(".error") ? n.substring(0, n.length() - 6) : n;
                if (!WalSegmentName.isSegmentName(base) || keep.isPresent() && n.equals(keep.get().fileName())) {
                    continue;
                }
                if (base.substring(8).compareTo(cursor.fileName().substring(8)) <= 0 || !base.startsWith(cursor.fileName().substring(0, 8))) {
                    Files.deleteIfExists(p);
                    placed.remove(n);
                }
            }
        } catch (IOException e) {
            // best effort: the spool is a cache
        }
    }

    private int readySegments() {
        int n = 0;
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(spool.dir(HookSpool.Role.GET))) {
            for (Path p : ds) {
                if (WalSegmentName.isSegmentName(p.getFileName().toString())) {
                    n++;
                }
            }
        } catch (IOException e) {
            return 0;
        }
        return n;
    }

    private Optional<RecoveryExpectation> plan() {
        try {
            return RecoveryExpectation.read(dataDirectory);
        } catch (IOException | RuntimeException e) {
            planUnreadable = true;
            LOG.warn("cannot read the restore's plan ({}): the worker answers no file \"not in the archive\"; each such call"
                    + " asks Java, which stops recovery rather than end it without the plan's checks", e.toString());
            return Optional.empty();
        }
    }

    private boolean recovering() {
        return Files.exists(dataDirectory.resolve("recovery.signal")) || Files.exists(dataDirectory.resolve("standby.signal"));
    }

    /**
     * Recovery has ended (the signal files are gone): what was fetched ahead is of no use any
     * more. The restore's private files stay: PostgreSQL still calls restore_command for history
     * files after it removed the signal files, and its recovery_end_command removes them after that.
     */
    private void recoveryEnded() {
        try {
            spool.purge(HookSpool.Role.GET);
        } catch (IOException e) {
            LOG.warn("recovery ended, but the segments fetched ahead could not all be removed from '{}': {}", spool, e.toString());
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
