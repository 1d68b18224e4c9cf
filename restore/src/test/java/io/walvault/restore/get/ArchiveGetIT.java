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
import io.walvault.core.repo.Repositories;
import io.walvault.core.repo.Repository;
import io.walvault.core.repo.WalArchive;
import io.walvault.core.wal.TimelineId;
import io.walvault.core.wal.WalFileName;
import io.walvault.core.wal.WalSegmentName;
import io.walvault.restore.recovery.RecoveryExpectation;
import io.walvault.testkit.OwnThread;
import io.walvault.testkit.PgCluster;
import io.walvault.testkit.PgHarness;
import io.walvault.testkit.PgTest;
import io.walvault.testkit.WalSegments;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** archive-get on real segments: atomic writes, prefetch, not-found, newest .partial, the cluster. */
class ArchiveGetIT {

    @PgTest
    void restoresPrefetchesAndServesTheNewestPartial(PgHarness pg) throws Exception {
        PgCluster source = pg.cluster().name("source").setting("wal_keep_size", "1GB").start();
        source.execute("CREATE TABLE t (id int, pad text)");
        for (int i = 0; i < 8; i++) {
            source.execute("INSERT INTO t SELECT g, repeat('x', 200) FROM generate_series(1, 1000) g", "SELECT pg_switch_wal()");
        }
        long systemId = Long.parseUnsignedLong(source.queryString("SELECT system_identifier FROM pg_control_system()"));
        String current = source.queryString("SELECT pg_walfile_name(pg_current_wal_lsn())");
        source.stop();
        List<Path> segments = new ArrayList<>();
        try (Stream<Path> s = Files.list(source.dataDirectory().resolve("pg_wal"))) {
            s.sorted().filter(p -> WalFileName.tryParse(p.getFileName().toString()).filter(w -> w.kind() == WalFileName.Kind.SEGMENT).isPresent()
                    && p.getFileName().toString().compareTo(current) < 0).forEach(segments::add);
        }
        assertTrue(segments.size() >= 6, "segments: " + segments);

        Path scratch = pg.scratchDirectory("get");
        Path walDir = Files.createDirectories(scratch.resolve("pg_wal"));
        RepositorySettings rs = RepositorySettings.from(Settings.load(Map.of("repo", scratch.resolve("repo").toUri().toString(),
                "encryption", "none"), null, Map.of()));
        Repositories.create(rs).close();
        Path partialSegment = segments.get(segments.size() - 2);
        byte[] partialBytes = Arrays.copyOf(Files.readAllBytes(partialSegment), 8192 * 5);
        try (Repository repo = Repositories.open(rs)) {
            WalArchive wal = repo.cluster(systemId).wal();
            // archived: all but the last two; the one before the last only as a .partial
            for (Path p : segments.subList(0, segments.size() - 2)) {
                wal.put(name(p), () -> Files.newInputStream(p));
            }
            wal.put(WalFileName.parse(name(partialSegment).name() + ".partial"), () -> new ByteArrayInputStream(partialBytes));
        }

        // the cluster comes from the data directory's pg_control
        ArchiveGet get = new ArchiveGet(rs, new ArchiveGetSettings(OptionalLong.empty(), 0, 1), source.dataDirectory());
        Path target = walDir.resolve("RECOVERYXLOG");
        ArchiveGet.Report first = get.run(name(segments.get(0)).name(), target);
        assertEquals(new ArchiveGet.Report(ArchiveGet.Outcome.FETCHED, false), first);
        assertArrayEquals(Files.readAllBytes(segments.get(0)), Files.readAllBytes(target));
        assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(target)));
        for (int i = 1; i < segments.size() - 2; i++) {
            ArchiveGet.Report r = get.run(name(segments.get(i)).name(), target);
            assertEquals(ArchiveGet.Outcome.FETCHED, r.outcome(), "segment " + i);
            assertArrayEquals(Files.readAllBytes(segments.get(i)), Files.readAllBytes(target), "segment " + i);
        }

        // the newest WAL, archived only as a shorter .partial: served, zero-padded to a whole segment
        assertEquals(ArchiveGet.Outcome.PARTIAL, get.run(name(partialSegment).name(), target).outcome());
        byte[] served = Files.readAllBytes(target);
        assertEquals(16 * 1024 * 1024, served.length);
        assertArrayEquals(partialBytes, Arrays.copyOf(served, partialBytes.length));
        assertTrue(allZero(served, partialBytes.length), "padding is zeros");

        // not archived: the not-found code, and the target left alone
        Path absent = walDir.resolve("RECOVERYHISTORY");
        assertEquals(ErrorCode.WAL_NOT_ARCHIVED, code(() -> get.run(name(segments.get(segments.size() - 1)).name(), absent)));
        assertEquals(ErrorCode.WAL_NOT_ARCHIVED, code(() -> get.run("00000002.history", absent)));
        assertTrue(Files.notExists(absent));
        try (Stream<Path> left = Files.list(walDir)) {
            assertEquals(List.of("RECOVERYXLOG"), left.map(p -> p.getFileName().toString()).toList(),
                    "no worker: no spool either");
        }

        // a .partial that is not its timeline's newest WAL is not served in place of the segment
        try (Repository repo = Repositories.open(rs)) {
            WalArchive wal = repo.cluster(systemId).wal();
            wal.put(name(segments.get(segments.size() - 1)), () -> Files.newInputStream(segments.get(segments.size() - 1)));
        }
        assertEquals(ErrorCode.WAL_NOT_ARCHIVED, code(() -> get.run(name(partialSegment).name(), absent)));

        // no pg_control and two clusters: the cluster must be named
        try (Repository repo = Repositories.open(rs)) {
            repo.cluster(systemId + 1).wal().put(WalFileName.parse("00000002.history"),
                    () -> new ByteArrayInputStream("1\t0/3000000\tno recovery target specified\n".getBytes()));
        }
        ArchiveGet nowhere = new ArchiveGet(rs, new ArchiveGetSettings(OptionalLong.empty(), 0, 1), scratch);
        // (a call that cannot tell must not end recovery: it stops it, saying why)
        WalvaultException unknown = assertThrows(WalvaultException.class, () -> nowhere.run(name(segments.get(0)).name(), absent));
        assertEquals(ErrorCode.RECOVERY_STOPPED, unknown.code());
        assertEquals(ErrorCode.RESTORE_CLUSTER_UNKNOWN, ((WalvaultException) unknown.getCause()).code(), unknown.getMessage());
        ArchiveGet named = new ArchiveGet(rs, new ArchiveGetSettings(OptionalLong.of(systemId), 0, 1), scratch);
        assertEquals(ArchiveGet.Outcome.FETCHED, named.run(name(segments.get(1)).name(), absent).outcome());
        assertArrayEquals(Files.readAllBytes(segments.get(1)), Files.readAllBytes(absent));
    }

    @Test
    void aWorkerFetchesAheadOfRecoveryAndAnswersTheEndOfTheArchive(@TempDir Path scratch) throws Exception {
        long systemId = 7_000_000_000_000_000_789L;
        long seg = 1L << 20;
        List<String> names = new ArrayList<>();
        Path data = recoveringDataDirectory(scratch, "standby.signal");
        Path walDir = data.resolve("pg_wal");
        RepositorySettings rs = localRepository(scratch);
        Map<String, byte[]> archived = archive(rs, systemId, seg, 12);
        names.addAll(archived.keySet());
        // its own looks at the end of the archive far apart: what it answers there, it answers because recovery asked
        ArchiveGet get = new ArchiveGet(rs, new ArchiveGetSettings(OptionalLong.of(systemId), 3, 2), data,
                ArchiveGet.WorkerStart.none(), () -> Repositories.open(rs), Duration.ofMinutes(10));
        HookSpool spool = new HookSpool(walDir);
        // it waits for recovery's first call, which says where recovery is
        CompletableFuture<Integer> worker = startWorker(get, walDir, spool);
        assertEquals(List.of("archive-get --config c"), Files.readAllLines(spool.root().resolve("get.caller")));
        Thread.sleep(300);
        assertEquals(0, readySegments(spool), "the worker fetched before recovery said where it is");
        Path target = walDir.resolve("RECOVERYXLOG");
        assertEquals(ArchiveGet.Outcome.FETCHED, get.run(names.get(0), target).outcome());

        // recovery takes the next segments from the spool by rename, as bin/walvault does; the worker follows
        int most = 0;
        for (int i = 1; i < names.size(); i++) {
            Path next = spool.ready(names.get(i));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (Files.notExists(next)) {
                assertTrue(System.nanoTime() < deadline, "the worker did not fetch " + names.get(i));
                Thread.sleep(5);
            }
            most = Math.max(most, readySegments(spool));
            Files.move(next, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            assertArrayEquals(archived.get(names.get(i)), Files.readAllBytes(target), names.get(i));
            if (i == 1) {
                assertEquals(-1, get.worker(walDir, new HookCaller("archive-get", Optional.empty())), "one worker per pg_wal");
            }
        }
        assertTrue(most <= 3, "the spool held at most the prefetch window: " + most);

        // the end of the archive is answered ahead, and answered again at once each time recovery takes the answer
        // (it asks twice at its end: the second call must not find the spool empty and start a JVM)
        String end = String.format("00000001%08X%08X", 0, 13);
        for (int round = 0; round < 3; round++) {
            long told = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (spool.status(HookSpool.Role.GET, end).isEmpty()
                    || spool.status(HookSpool.Role.GET, end).get() instanceof HookSpool.Status.Pending) {
                assertTrue(System.nanoTime() < told, "the worker did not answer the end of the archive");
                Thread.sleep(5);
            }
            assertEquals(Optional.of(new HookSpool.Status.Missing()), spool.status(HookSpool.Role.GET, end));
            spool.clear(HookSpool.Role.GET, end); // taken, as bin/walvault answers 76 with it
        }
        // WAL arrives: the standby gets it from the spool
        byte[] more = WalSegments.segment(end, seg, systemId, 13);
        try (Repository repo = Repositories.open(rs)) {
            repo.cluster(systemId).wal().put(WalFileName.parse(end), () -> new ByteArrayInputStream(more));
        }
        long arrived = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!(spool.status(HookSpool.Role.GET, end).orElse(null) instanceof HookSpool.Status.Ready)) {
            assertTrue(System.nanoTime() < arrived, "the worker did not fetch WAL archived meanwhile");
            if (spool.status(HookSpool.Role.GET, end).orElse(null) instanceof HookSpool.Status.Missing) {
                spool.clear(HookSpool.Role.GET, end); // the standby asks again
            }
            Thread.sleep(5);
        }
        assertArrayEquals(more, Files.readAllBytes(spool.ready(end)));

        // promoted: the worker ends, and its answers and its claim go with it
        Files.delete(data.resolve("standby.signal"));
        assertEquals(12, worker.get(30, TimeUnit.SECONDS), "the 11 after the first, and the one archived later");
        assertFalse(Files.exists(spool.root().resolve("get.caller")));
        assertEquals(0, readySegments(spool));
    }

    @Test
    void aWorkerAtTheEndOfTheArchiveAnswersTheNextTimelinesProbeOnceRecoveryAsksForThePlansEnd(@TempDir Path scratch)
            throws Exception {
        long systemId = 7_000_000_000_000_000_790L;
        long seg = 1L << 20;
        Path data = recoveringDataDirectory(scratch, "recovery.signal");
        Path walDir = data.resolve("pg_wal");
        RepositorySettings rs = localRepository(scratch);
        List<String> names = new ArrayList<>(archive(rs, systemId, seg, 6).keySet());
        // a point-in-time recovery whose target lies in the fourth of six archived segments
        RecoveryExpectation.of(systemId, seg, names.subList(0, 4).stream().map(WalFileName::parse).toList(),
                TimelineId.of(1), TimelineId.of(1)).write(data);
        // the worker's own looks at the end of the archive ten minutes apart: only recovery's progress wakes it
        ArchiveGet get = new ArchiveGet(rs, new ArchiveGetSettings(OptionalLong.of(systemId), 8, 2), data,
                ArchiveGet.WorkerStart.none(), () -> Repositories.open(rs), Duration.ofMinutes(10));
        HookSpool spool = new HookSpool(walDir);
        CompletableFuture<Integer> worker = startWorker(get, walDir, spool);
        Path target = walDir.resolve("RECOVERYXLOG");
        assertEquals(ArchiveGet.Outcome.FETCHED, get.run(names.get(0), target).outcome());
        // it fetches to the end of the archive and answers the segment after it: then it waits there
        String afterEnd = String.format("00000001%08X%08X", 0, 7);
        long atEnd = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!(spool.status(HookSpool.Role.GET, afterEnd).orElse(null) instanceof HookSpool.Status.Missing)) {
            assertTrue(System.nanoTime() < atEnd, "the worker did not reach the end of the archive");
            Thread.sleep(5);
        }
        String probe = "00000002.history";
        Path endAnswer = spool.dir(HookSpool.Role.GET).resolve(afterEnd + ".missing");
        FileTime answeredAt = Files.getLastModifiedTime(endAnswer);
        for (int i = 1; i < 4; i++) {
            // as bin/walvault hands a ready segment over: what recovery asked for first, then the rename
            Files.writeString(walDir.resolve(".walvault-restore.asked"), names.get(i) + " 0\n");
            Files.move(spool.ready(names.get(i)), target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            if (i < 3) {
                Thread.sleep(200);
                assertEquals(Optional.empty(), spool.status(HookSpool.Role.GET, probe),
                        "before the plan's end, a probe for the next timeline goes to a Java call, which may stop recovery");
            }
        }
        // redo ends in the plan's last segment and PostgreSQL probes for timeline 2 at once: the answer must be there
        long answered = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!(spool.status(HookSpool.Role.GET, probe).orElse(null) instanceof HookSpool.Status.Missing)) {
            assertTrue(System.nanoTime() < answered, "the worker did not answer the probe for " + probe
                    + " while it waited at the end of the archive");
            Thread.sleep(5);
        }
        // waking for recovery's progress is not the look that re-checks the end: that answer stayed as it was
        assertTrue(Files.exists(endAnswer), "the end-of-archive answer was withdrawn");
        assertEquals(answeredAt, Files.getLastModifiedTime(endAnswer), "the end-of-archive answer was withdrawn and written again");
        Files.delete(data.resolve("recovery.signal"));
        worker.get(30, TimeUnit.SECONDS);
    }

    @Test
    void aWorkerThatCannotReadThePlanAnswersNoFileMissing(@TempDir Path scratch) throws Exception {
        long systemId = 7_000_000_000_000_000_791L;
        long seg = 1L << 20;
        Path data = recoveringDataDirectory(scratch, "recovery.signal");
        Path walDir = data.resolve("pg_wal");
        RepositorySettings rs = localRepository(scratch);
        List<String> names = new ArrayList<>(archive(rs, systemId, seg, 3).keySet());
        // the restore's plan, damaged: what the archive lacks may be a gap the plan would have refused to end in
        Files.writeString(data.resolve(RecoveryExpectation.FILE), "walvault-restore-plan 99\nend 00000001000000000000000A\n");
        ArchiveGet get = new ArchiveGet(rs, new ArchiveGetSettings(OptionalLong.of(systemId), 8, 2), data,
                ArchiveGet.WorkerStart.none(), () -> Repositories.open(rs), Duration.ofMillis(200));
        HookSpool spool = new HookSpool(walDir);
        CompletableFuture<Integer> worker = startWorker(get, walDir, spool);
        GetWorker.writeWant(spool, WalSegmentName.parse(names.get(0), seg)); // recovery took the first segment
        long fetched = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (readySegments(spool) < 2) {
            assertTrue(System.nanoTime() < fetched, "the worker did not fetch the archived segments");
            Thread.sleep(5);
        }
        Thread.sleep(1500); // several looks at the end of the archive
        String afterEnd = String.format("00000001%08X%08X", 0, 4);
        assertEquals(Optional.empty(), spool.status(HookSpool.Role.GET, afterEnd),
                "without the plan, the end of the archive is the call's to answer");
        assertEquals(Optional.empty(), spool.status(HookSpool.Role.GET, "00000002.history"));
        // the call, in Java, stops recovery: it cannot tell a gap the plan forbids from the end
        assertEquals(ErrorCode.RECOVERY_STOPPED, code(() -> get.run(afterEnd, walDir.resolve("RECOVERYXLOG"))));
        Files.delete(data.resolve("recovery.signal"));
        worker.get(30, TimeUnit.SECONDS);
    }

    @Test
    void aStandbysWorkerLooksAgainForTheNextTimelinesHistoryFile(@TempDir Path scratch) throws Exception {
        long systemId = 7_000_000_000_000_000_793L;
        long seg = 1L << 20;
        Path data = recoveringDataDirectory(scratch, "standby.signal");
        Path walDir = data.resolve("pg_wal");
        RepositorySettings rs = localRepository(scratch);
        List<String> names = new ArrayList<>(archive(rs, systemId, seg, 2).keySet());
        ArchiveGet get = new ArchiveGet(rs, new ArchiveGetSettings(OptionalLong.of(systemId), 8, 2), data,
                ArchiveGet.WorkerStart.none(), () -> Repositories.open(rs), Duration.ofMillis(200));
        HookSpool spool = new HookSpool(walDir);
        CompletableFuture<Integer> worker = startWorker(get, walDir, spool);
        GetWorker.writeWant(spool, WalSegmentName.parse(names.get(0), seg));
        String probe = "00000002.history";
        long answered = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!(spool.status(HookSpool.Role.GET, probe).orElse(null) instanceof HookSpool.Status.Missing)) {
            assertTrue(System.nanoTime() < answered, "the worker did not answer the probe for " + probe);
            Thread.sleep(5);
        }
        // another server of the cluster promotes and archives its timeline's history file: the standby's promotion
        // must not take timeline 2 as free on an answer given before
        byte[] history = "1\t0/2000000\tno recovery target specified\n".getBytes(StandardCharsets.UTF_8);
        try (Repository repo = Repositories.open(rs)) {
            repo.cluster(systemId).wal().put(WalFileName.parse(probe), () -> new ByteArrayInputStream(history));
        }
        long fetched = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!(spool.status(HookSpool.Role.GET, probe).orElse(null) instanceof HookSpool.Status.Ready)) {
            assertTrue(System.nanoTime() < fetched, "the worker kept answering " + probe + " missing");
            Thread.sleep(5);
        }
        assertArrayEquals(history, Files.readAllBytes(spool.ready(probe)));
        Files.delete(data.resolve("standby.signal"));
        worker.get(30, TimeUnit.SECONDS);
    }

    @Test
    void aNewWorkerForgetsTheAnswersOfAnEarlierRunOfTheServer(@TempDir Path scratch) throws Exception {
        long systemId = 7_000_000_000_000_000_792L;
        Path data = recoveringDataDirectory(scratch, "standby.signal");
        Path walDir = data.resolve("pg_wal");
        RepositorySettings rs = localRepository(scratch);
        archive(rs, systemId, 1L << 20, 2);
        long started = System.currentTimeMillis() / 1000 - 60;
        Files.writeString(data.resolve("postmaster.pid"), "1\n" + data + "\n" + started + "\n5432\n");
        HookSpool spool = new HookSpool(walDir);
        ArchiveGet archiveGet = new ArchiveGet(rs, new ArchiveGetSettings(OptionalLong.of(systemId), 8, 2), data,
                ArchiveGet.WorkerStart.none(), () -> Repositories.open(rs), Duration.ofMinutes(10));
        // a worker of the run before this one opened the spool for this repository and cluster ...
        CompletableFuture<Integer> earlier = startWorker(archiveGet, walDir, spool);
        GetWorker.writeWant(spool, WalSegmentName.parse("000000010000000000000001", 1L << 20));
        Files.delete(data.resolve("standby.signal"));
        earlier.get(60, TimeUnit.SECONDS);
        Files.writeString(data.resolve("standby.signal"), "");
        // ... and was killed after it answered these: true then, perhaps not now
        Path get = spool.dir(HookSpool.Role.GET);
        FileTime before = FileTime.fromMillis((started - 3600) * 1000);
        Path staleHistory = Files.writeString(get.resolve("00000002.history.missing"), "");
        Path staleSegment = Files.writeString(get.resolve("000000010000000000000009.missing"), "");
        Files.setLastModifiedTime(staleHistory, before);
        Files.setLastModifiedTime(staleSegment, before);
        // written in this run
        Path current = Files.writeString(get.resolve("00000003.history.missing"), "");
        CompletableFuture<Integer> worker = startWorker(archiveGet, walDir, spool);
        long gone = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (Files.exists(staleHistory) || Files.exists(staleSegment)) {
            assertTrue(System.nanoTime() < gone, "the worker kept the answers of an earlier run");
            Thread.sleep(5);
        }
        assertTrue(Files.exists(current), "an answer of this run stays");
        GetWorker.writeWant(spool, WalSegmentName.parse("000000010000000000000001", 1L << 20));
        Files.delete(data.resolve("standby.signal"));
        worker.get(60, TimeUnit.SECONDS);
    }

    /** {@code scratch}/data with its pg_wal and {@code signal} (recovery.signal or standby.signal): a server in recovery. */
    private static Path recoveringDataDirectory(Path scratch, String signal) throws IOException {
        Path data = scratch.resolve("data");
        Files.createDirectories(data.resolve("pg_wal"));
        Files.writeString(data.resolve(signal), "");
        return data;
    }

    /** A new unencrypted repository in {@code scratch}/repo. */
    private static RepositorySettings localRepository(Path scratch) {
        RepositorySettings rs = RepositorySettings.from(Settings.load(Map.of("repo", scratch.resolve("repo").toUri().toString(),
                "encryption", "none"), null, Map.of()));
        Repositories.create(rs).close();
        return rs;
    }

    /** Archives segments 1 to {@code count} of timeline 1; their names and bytes, in order. */
    private static Map<String, byte[]> archive(RepositorySettings rs, long systemId, long segmentSize, int count) throws IOException {
        Map<String, byte[]> archived = new LinkedHashMap<>();
        try (Repository repo = Repositories.open(rs)) {
            for (int i = 1; i <= count; i++) {
                String n = String.format("00000001%08X%08X", 0, i);
                byte[] b = WalSegments.segment(n, segmentSize, systemId, i);
                repo.cluster(systemId).wal().put(WalFileName.parse(n), () -> new ByteArrayInputStream(b));
                archived.put(n, b);
            }
        }
        return archived;
    }

    /** Starts {@code get}'s worker for {@code walDir} on a thread of its own, once it has claimed the spool. */
    private static CompletableFuture<Integer> startWorker(ArchiveGet get, Path walDir, HookSpool spool) throws InterruptedException {
        CompletableFuture<Integer> worker = OwnThread.start("worker",
                () -> get.worker(walDir, new HookCaller("archive-get --config c", Optional.empty())));
        long claimed = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (Files.notExists(spool.root().resolve("get.caller"))) {
            assertTrue(System.nanoTime() < claimed, "the worker did not start");
            Thread.sleep(5);
        }
        return worker;
    }

    private static int readySegments(HookSpool spool) throws IOException {
        try (Stream<Path> s = Files.list(spool.dir(HookSpool.Role.GET))) {
            return (int) s.filter(p -> p.getFileName().toString().matches("[0-9A-F]{24}")).count();
        }
    }

    private static boolean allZero(byte[] b, int from) {
        for (int i = from; i < b.length; i++) {
            if (b[i] != 0) {
                return false;
            }
        }
        return true;
    }

    private static WalFileName name(Path p) {
        return WalFileName.parse(p.getFileName().toString());
    }

    private interface Call {
        void run() throws Exception;
    }

    private static ErrorCode code(Call c) {
        return assertThrows(WalvaultException.class, c::run).code();
    }
}
