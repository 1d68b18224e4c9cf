package io.walvault.restore.get;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.walvault.core.config.RepositorySettings;
import io.walvault.core.config.Settings;
import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;
import io.walvault.core.hook.HookCaller;
import io.walvault.core.hook.HookSpool;
import io.walvault.core.hook.WorkerLock;
import io.walvault.core.repo.Repositories;
import io.walvault.core.repo.Repository;
import io.walvault.core.repo.WalArchive;
import io.walvault.core.wal.TimelineId;
import io.walvault.core.wal.WalFileName;
import io.walvault.core.wal.WalSegmentName;
import io.walvault.restore.recovery.RecoveryExpectation;
import io.walvault.restore.recovery.RecoveryProgress;
import io.walvault.testkit.OwnThread;
import io.walvault.testkit.PgCluster;
import io.walvault.testkit.PgHarness;
import io.walvault.testkit.PgTest;
import io.walvault.testkit.S3Bucket;
import io.walvault.testkit.S3Extension;
import io.walvault.testkit.S3Server;
import java.io.ByteArrayInputStream;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * archive-get answers "not in the archive" (76) only for what really is recovery's end, and
 * stops recovery (150) for everything else: a corrupt object, a store that keeps failing, a
 * local write that fails, a file the restore's plan needs, a recovery ending before its plan's
 * end. Real segments from a real server.
 */
@ExtendWith(S3Extension.class)
class ArchiveGetFailClosedIT {

    private static final long SEG = 16L * 1024 * 1024;

    /** Archived segments of a real cluster. */
    private record Archived(long systemId, List<Path> segments) {
    }

    private static Archived segments(PgHarness pg, int count) throws Exception {
        PgCluster source = pg.cluster().name("source").setting("wal_keep_size", "1GB").start();
        source.execute("CREATE TABLE t (id int, pad text)");
        for (int i = 0; i < count; i++) {
            source.execute("INSERT INTO t SELECT g, repeat('x', 200) FROM generate_series(1, 500) g", "SELECT pg_switch_wal()");
        }
        long systemId = Long.parseUnsignedLong(source.queryString("SELECT system_identifier FROM pg_control_system()"));
        String current = source.queryString("SELECT pg_walfile_name(pg_current_wal_lsn())");
        source.stop();
        List<Path> segments = new ArrayList<>();
        try (Stream<Path> s = Files.list(source.dataDirectory().resolve("pg_wal"))) {
            s.sorted().filter(p -> p.getFileName().toString().matches("[0-9A-F]{24}")
                    && p.getFileName().toString().compareTo(current) < 0).limit(count).forEach(segments::add);
        }
        // exactly count: a start or a checkpoint of the source may have finished one more, which would move each test's plan
        assertEquals(count, segments.size(), "segments: " + segments);
        return new Archived(systemId, segments);
    }

    private static RepositorySettings local(Path dir) {
        RepositorySettings rs = RepositorySettings.from(Settings.load(Map.of("repo", dir.toUri().toString(), "encryption",
                "none"), null, Map.of()));
        Repositories.create(rs).close();
        return rs;
    }

    private static void archive(RepositorySettings rs, long systemId, List<Path> segments) throws Exception {
        try (Repository repo = Repositories.open(rs)) {
            for (Path p : segments) {
                repo.cluster(systemId).wal().put(name(p), () -> Files.newInputStream(p));
            }
        }
    }

    @PgTest(min = 18)
    void onlyWhatTheArchiveLacksIsMissingAndEveryOtherFailureStopsRecovery(PgHarness pg) throws Exception {
        Archived a = segments(pg, 4);
        Path scratch = pg.scratchDirectory("closed");
        Path data = Files.createDirectories(scratch.resolve("data"));
        Path walDir = Files.createDirectories(data.resolve("pg_wal"));
        RepositorySettings rs = local(scratch.resolve("repo"));
        archive(rs, a.systemId(), a.segments());
        ArchiveGet get = new ArchiveGet(rs, new ArchiveGetSettings(OptionalLong.of(a.systemId()), 0, 1), data);
        Path target = walDir.resolve("RECOVERYXLOG");

        // delivered
        assertEquals(ArchiveGet.Outcome.FETCHED, get.run(name(a.segments().get(0)).name(), target).outcome());
        // not in the archive, and no plan says it should be: recovery's normal end
        String after = WalSegmentName.parse(a.segments().get(a.segments().size() - 1).getFileName().toString(), SEG).next().fileName();
        assertEquals(ErrorCode.WAL_NOT_ARCHIVED, thrown(() -> get.run(after, target)).code());

        // one flipped byte in an archived object: the archive holds the file, so recovery must stop
        Path object;
        try (Stream<Path> s = Files.walk(scratch.resolve("repo"))) {
            object = s.filter(p -> p.getFileName().toString().startsWith(a.segments().get(1).getFileName().toString()))
                    .findFirst().orElseThrow();
        }
        try (RandomAccessFile f = new RandomAccessFile(object.toFile(), "rw")) {
            f.seek(f.length() / 2);
            int b = f.read();
            f.seek(f.length() / 2);
            f.write(b ^ 0x40);
        }
        Path other = walDir.resolve("RECOVERYXLOG2");
        WalvaultException corrupt = thrown(() -> get.run(name(a.segments().get(1)).name(), other));
        assertEquals(ErrorCode.RECOVERY_STOPPED, corrupt.code(), corrupt.getMessage());
        assertTrue(corrupt.getMessage().contains("corrupt data, 33"), corrupt.getMessage());
        assertTrue(corrupt.getMessage().contains("recovery stops here instead of ending early"), corrupt.getMessage());
        assertFalse(Files.exists(other), "nothing half-written at %p");

        // the local write fails (no such directory): recovery must stop too
        WalvaultException write = thrown(() -> get.run(name(a.segments().get(2)).name(), walDir.resolve("nowhere/RECOVERYXLOG")));
        assertEquals(ErrorCode.RECOVERY_STOPPED, write.code(), write.getMessage());
    }

    @PgTest(min = 18)
    void aStoreThatKeepsFailingStopsRecoveryAndServesAgainOnceItIsBack(PgHarness pg, S3Bucket bucket) throws Exception {
        Archived a = segments(pg, 2);
        S3Server s3 = bucket.server();
        Path data = Files.createDirectories(pg.scratchDirectory("store").resolve("data"));
        Path walDir = Files.createDirectories(data.resolve("pg_wal"));
        RepositorySettings rs = RepositorySettings.from(Settings.load(Map.of("repo", "s3://" + bucket.name() + "/r",
                "encryption", "none", "s3-endpoint", s3.endpoint().toString(), "s3-path-style", "true", "s3-max-attempts", "2"),
                null, Map.of("WALVAULT_S3_ACCESS_KEY_ID", s3.accessKey(), "WALVAULT_S3_SECRET_ACCESS_KEY", s3.secretKey())));
        Repositories.create(rs).close();
        archive(rs, a.systemId(), a.segments());
        ArchiveGet get = new ArchiveGet(rs, new ArchiveGetSettings(OptionalLong.of(a.systemId()), 0, 1), data);
        Path target = walDir.resolve("RECOVERYXLOG");

        s3.failCalls("getBlob", 0, 1000, 503);
        WalvaultException down = thrown(() -> get.run(name(a.segments().get(0)).name(), target));
        assertEquals(ErrorCode.RECOVERY_STOPPED, down.code(), down.getMessage());
        assertTrue(s3.failedCalls("getBlob") >= 2, "retried before giving up: " + s3.failedCalls("getBlob"));
        assertFalse(Files.exists(target));

        s3.clearFaults();
        assertEquals(ArchiveGet.Outcome.FETCHED, get.run(name(a.segments().get(0)).name(), target).outcome());
    }

    @PgTest(min = 18)
    void aRestoresPlanTurnsAGapAndAShortRecoveryIntoAStop(PgHarness pg) throws Exception {
        Archived a = segments(pg, 5);
        List<Path> seg = a.segments();
        Path scratch = pg.scratchDirectory("plan");
        Path data = Files.createDirectories(scratch.resolve("data"));
        Path walDir = Files.createDirectories(data.resolve("pg_wal"));
        RepositorySettings rs = local(scratch.resolve("repo"));
        // archived: every segment but the third
        List<Path> archived = new ArrayList<>(seg);
        archived.remove(2);
        archive(rs, a.systemId(), archived);
        RecoveryExpectation plan = RecoveryExpectation.of(a.systemId(), SEG, seg.stream().map(ArchiveGetFailClosedIT::name).toList(),
                TimelineId.of(1), TimelineId.of(1));
        plan.write(data);
        Files.writeString(data.resolve("postmaster.pid"), "1111\n" + data + "\n");
        ArchiveGet get = new ArchiveGet(rs, new ArchiveGetSettings(OptionalLong.of(a.systemId()), 0, 1), data);
        Path target = walDir.resolve("RECOVERYXLOG");

        // the start of a run: recovery probes for newer timelines before it asks for any segment
        assertEquals(ErrorCode.WAL_NOT_ARCHIVED, thrown(() -> get.run("00000002.history", target)).code());
        get.run(name(seg.get(0)).name(), target);
        get.run(name(seg.get(1)).name(), target);
        // the plan needs the third: a gap, not the end of the archive
        WalvaultException gap = thrown(() -> get.run(name(seg.get(2)).name(), target));
        assertEquals(ErrorCode.RECOVERY_STOPPED, gap.code(), gap.getMessage());
        assertTrue(gap.getMessage().contains("the restore's plan needs it"), gap.getMessage());
        // recovery, stopped by something else in the second segment, probes for the timeline it would create: refused
        get.run(name(seg.get(1)).name(), target);
        WalvaultException shortRecovery = thrown(() -> get.run("00000002.history", target));
        assertEquals(ErrorCode.RECOVERY_STOPPED, shortRecovery.code(), shortRecovery.getMessage());
        assertTrue(shortRecovery.getMessage().contains("before '" + seg.get(4).getFileName() + "', where the restore's plan ends"),
                shortRecovery.getMessage());

        // the server started again: its first probe is judged by nothing the earlier run asked for
        Files.writeString(data.resolve("postmaster.pid"), "2222\n" + data + "\n");
        assertEquals(ErrorCode.WAL_NOT_ARCHIVED, thrown(() -> get.run("00000002.history", target)).code());
        // the missing segment is put back: recovery runs to the end of the plan and past it
        archive(rs, a.systemId(), List.of(seg.get(2)));
        for (Path p : seg) {
            get.run(name(p).name(), target);
        }
        String after = WalSegmentName.parse(seg.get(4).getFileName().toString(), SEG).next().fileName();
        assertEquals(ErrorCode.WAL_NOT_ARCHIVED, thrown(() -> get.run(after, target)).code());
        assertEquals(ErrorCode.WAL_NOT_ARCHIVED, thrown(() -> get.run("00000002.history", target)).code(),
                "recovery reached the plan's end: it may promote");
        assertEquals(after, Files.readString(data.resolve(RecoveryProgress.FILE)).split(" ")[0]);

        // recovery_end_command: the restore's private files and the spool are removed
        Files.createDirectories(walDir.resolve(HookSpool.DIRECTORY).resolve("get"));
        Files.writeString(walDir.resolve(HookSpool.DIRECTORY).resolve("get").resolve(after), "x");
        Files.writeString(walDir.resolve(".walvault-restore.passphrase"), "secret\n");
        int removed = ArchiveGet.endOfRecovery(data);
        assertTrue(removed >= 4, "removed " + removed);
        try (Stream<Path> left = Files.list(walDir)) {
            assertEquals(List.of("RECOVERYXLOG"), left.map(p -> p.getFileName().toString()).sorted().toList());
        }
    }

    @PgTest(min = 18)
    void theWorkerLeavesAPartialToRecoverysOwnCallInsteadOfCallingItMissing(PgHarness pg) throws Exception {
        Archived a = segments(pg, 4);
        List<Path> seg = a.segments();
        Path scratch = pg.scratchDirectory("partial");
        Path data = Files.createDirectories(scratch.resolve("data"));
        Path walDir = Files.createDirectories(data.resolve("pg_wal"));
        Files.writeString(data.resolve("recovery.signal"), "");
        RepositorySettings rs = local(scratch.resolve("repo"));
        archive(rs, a.systemId(), seg.subList(0, seg.size() - 1));
        Path newest = seg.get(seg.size() - 1);
        byte[] partial = Arrays.copyOf(Files.readAllBytes(newest), 8192 * 3);
        try (Repository repo = Repositories.open(rs)) {
            WalArchive wal = repo.cluster(a.systemId()).wal();
            wal.put(WalFileName.parse(newest.getFileName() + ".partial"), () -> new ByteArrayInputStream(partial));
        }
        ArchiveGet get = new ArchiveGet(rs, new ArchiveGetSettings(OptionalLong.of(a.systemId()), 4, 2), data,
                ArchiveGet.WorkerStart.none());
        HookSpool spool = new HookSpool(walDir);
        Path target = walDir.resolve("RECOVERYXLOG");
        // as in a server: the call that starts the worker has opened the spool and asked for a segment first
        get.run(name(seg.get(0)).name(), target);
        CompletableFuture<Integer> worker = OwnThread.start("worker",
                () -> get.worker(walDir, new HookCaller("archive-get", Optional.empty())));
        // the worker fetches what is archived, and stops at the partial without calling it missing
        String beforeNewest = seg.get(seg.size() - 2).getFileName().toString();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (Files.notExists(spool.ready(beforeNewest))) {
            assertTrue(System.nanoTime() < deadline, "the worker did not fetch ahead");
            Thread.sleep(10);
        }
        Thread.sleep(1500); // at least one more round of the worker at the partial
        assertEquals(Optional.empty(), spool.status(HookSpool.Role.GET, newest.getFileName().toString()),
                "a segment archived as its timeline's newest .partial is neither missing nor fetched ahead");
        // recovery's own call serves it
        assertEquals(ArchiveGet.Outcome.PARTIAL, get.run(newest.getFileName().toString(), target).outcome());
        // recovery ends: the worker ends, and what it fetched ahead goes
        Files.delete(data.resolve("recovery.signal"));
        assertTrue(worker.get(30, TimeUnit.SECONDS) >= seg.size() - 2);
        assertTrue(Files.notExists(spool.ready(beforeNewest)));
    }

    @PgTest(min = 18)
    void theWorkerKeepsThePlansLastSegmentForRecoverysReReadOfIt(PgHarness pg) throws Exception {
        Archived a = segments(pg, 4);
        List<Path> seg = a.segments();
        Path scratch = pg.scratchDirectory("end-copy");
        Path data = Files.createDirectories(scratch.resolve("data"));
        Path walDir = Files.createDirectories(data.resolve("pg_wal"));
        Files.writeString(data.resolve("recovery.signal"), "");
        Files.writeString(data.resolve("postmaster.pid"), "3333\n" + data + "\n");
        RepositorySettings rs = local(scratch.resolve("repo"));
        archive(rs, a.systemId(), seg);
        RecoveryExpectation.of(a.systemId(), SEG, seg.stream().map(ArchiveGetFailClosedIT::name).toList(), TimelineId.of(1),
                TimelineId.of(1)).write(data);
        ArchiveGet get = new ArchiveGet(rs, new ArchiveGetSettings(OptionalLong.of(a.systemId()), 4, 2), data,
                ArchiveGet.WorkerStart.none());
        HookSpool spool = new HookSpool(walDir);
        Path target = walDir.resolve("RECOVERYXLOG");
        // as in a server: the call that starts the worker has opened the spool and asked for a segment first
        get.run(name(seg.get(0)).name(), target);
        CompletableFuture<Integer> worker = OwnThread.start("worker",
                () -> get.worker(walDir, new HookCaller("archive-get", Optional.empty())));
        // the launcher hands the next ones over from the spool, recording recovery's progress as it does
        for (Path p : seg.subList(1, 3)) {
            String n = p.getFileName().toString();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (Files.notExists(spool.ready(n))) {
                assertTrue(System.nanoTime() < deadline, "the worker did not fetch " + n);
                Thread.sleep(10);
            }
            Files.writeString(data.resolve(RecoveryProgress.FILE), n + " 3333\n");
            Files.move(spool.ready(n), target, StandardCopyOption.REPLACE_EXISTING);
        }
        // the plan's last segment, by a Java call: the worker fetches it again for the re-read after redo
        String last = seg.get(3).getFileName().toString();
        get.run(last, target);
        awaitReady(spool, last);
        // a copy fetched ahead before the call may be seen here and withdrawn by the worker's next round, which
        // then fetches the copy for the re-read: look again once the worker has had its round (at most ~1 s)
        Thread.sleep(1500);
        awaitReady(spool, last);
        assertArrayEquals(Files.readAllBytes(seg.get(3)), Files.readAllBytes(spool.ready(last)));
        Thread.sleep(300); // more rounds of the worker: the copy stays (recovery is past it)
        assertTrue(Files.exists(spool.ready(last)));
        Files.delete(data.resolve("recovery.signal"));
        worker.get(30, TimeUnit.SECONDS);
        assertTrue(Files.notExists(spool.ready(last)), "recovery ended: what was fetched ahead goes");
    }

    @PgTest(min = 18)
    void aCallForASegmentTheWorkerIsFetchingWaitsForTheWorkersCopy(PgHarness pg) throws Exception {
        Archived a = segments(pg, 2);
        List<Path> seg = a.segments();
        Path scratch = pg.scratchDirectory("pending");
        Path data = Files.createDirectories(scratch.resolve("data"));
        Path walDir = Files.createDirectories(data.resolve("pg_wal"));
        RepositorySettings rs = local(scratch.resolve("repo"));
        archive(rs, a.systemId(), seg);
        ArchiveGet get = new ArchiveGet(rs, new ArchiveGetSettings(OptionalLong.of(a.systemId()), 4, 2), data,
                ArchiveGet.WorkerStart.none());
        HookSpool spool = new HookSpool(walDir);
        Path target = walDir.resolve("RECOVERYXLOG");
        get.run(name(seg.get(0)).name(), target);
        String second = seg.get(1).getFileName().toString();
        try (WorkerLock held = WorkerLock.tryAcquire(spool.lockFile(HookSpool.Role.GET)).orElseThrow()) {
            // a worker is at the second segment: the call waits for it rather than fetch it a second time
            spool.markPending(HookSpool.Role.GET, second);
            CompletableFuture<ArchiveGet.Report> call = OwnThread.start("call", () -> get.run(second, target));
            Thread.sleep(500);
            assertFalse(call.isDone(), "the call fetched a segment the worker was fetching");
            assertEquals(Optional.of(new HookSpool.Status.Pending()), spool.status(HookSpool.Role.GET, second),
                    "the call withdrew the worker's mark");
            Path copy = spool.temporary(HookSpool.Role.GET, second);
            Files.copy(seg.get(1), copy);
            spool.markReady(second, copy);
            assertEquals(ArchiveGet.Outcome.PREFETCHED, call.get(30, TimeUnit.SECONDS).outcome());
            assertArrayEquals(Files.readAllBytes(seg.get(1)), Files.readAllBytes(target));
        }
    }

    private static void awaitReady(HookSpool spool, String name) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!(spool.status(HookSpool.Role.GET, name).orElse(null) instanceof HookSpool.Status.Ready)) {
            assertTrue(System.nanoTime() < deadline, "the plan's last segment was not kept for the re-read");
            Thread.sleep(10);
        }
    }

    private static WalFileName name(Path p) {
        return WalFileName.parse(p.getFileName().toString());
    }

    private interface Call {
        void run() throws Exception;
    }

    private static WalvaultException thrown(Call c) {
        return assertThrows(WalvaultException.class, c::run);
    }
}
