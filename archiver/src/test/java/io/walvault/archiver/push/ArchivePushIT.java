package io.walvault.archiver.push;

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
import io.walvault.core.hook.PostmasterRun;
import io.walvault.core.pipeline.OutputStreamSink;
import io.walvault.core.repo.ArchiveGaps;
import io.walvault.core.repo.Repositories;
import io.walvault.core.repo.Repository;
import io.walvault.core.repo.WalArchive;
import io.walvault.core.wal.WalFileName;
import io.walvault.testkit.OwnThread;
import io.walvault.testkit.PgCluster;
import io.walvault.testkit.PgHarness;
import io.walvault.testkit.PgTest;
import io.walvault.testkit.WalSegments;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** archive-push on real segments of a real server (validation, duplicates, side files), and its worker. */
class ArchivePushIT {

    @PgTest
    void pushesValidatesAndLooksAhead(PgHarness pg) throws Exception {
        PgCluster source = pg.cluster().name("source").setting("wal_keep_size", "1GB").start();
        source.execute("CREATE TABLE t (id int, pad text)");
        for (int i = 0; i < 5; i++) {
            source.execute("INSERT INTO t SELECT g, repeat('x', 200) FROM generate_series(1, 2000) g", "SELECT pg_switch_wal()");
        }
        long systemId = Long.parseUnsignedLong(source.queryString("SELECT system_identifier FROM pg_control_system()"));
        String current = source.queryString("SELECT pg_walfile_name(pg_current_wal_lsn())");
        source.stop();

        // a pg_wal of complete segments, each ready, as PostgreSQL's archiver would see it
        Path scratch = pg.scratchDirectory("push");
        Path walDir = Files.createDirectories(scratch.resolve("pg_wal/archive_status")).getParent();
        List<Path> segments = new ArrayList<>();
        try (Stream<Path> s = Files.list(source.dataDirectory().resolve("pg_wal"))) {
            for (Path p : s.sorted().toList()) {
                String n = p.getFileName().toString();
                if (WalFileName.tryParse(n).filter(w -> w.kind() == WalFileName.Kind.SEGMENT).isPresent() && n.compareTo(current) < 0) {
                    segments.add(Files.copy(p, walDir.resolve(n)));
                    Files.createFile(walDir.resolve("archive_status/" + n + ".ready"));
                }
            }
        }
        assertTrue(segments.size() >= 4, "segments: " + segments);

        String location = scratch.resolve("repo").toUri().toString();
        RepositorySettings rs = RepositorySettings.from(Settings.load(Map.of("repo", location, "encryption", "none"), null, Map.of()));
        Repositories.create(rs).close();
        try (Repository repo = Repositories.open(rs)) {
            WalArchive wal = repo.cluster(systemId).wal();
            ArchivePush push = new ArchivePush(rs, new ArchivePushSettings(OptionalLong.empty(), 0, 1), ArchivePush.WorkerStart.none());

            // a call stores its own segment
            assertEquals(new ArchivePush.Report(ArchivePush.Outcome.PUSHED, false), push.run(segments.get(0)));

            // a worker's ".ok" answers the call for a file PostgreSQL waits for, without opening the repository
            HookSpool spool = new HookSpool(walDir);
            spool.open(location + " " + Long.toUnsignedString(systemId));
            spool.markOk(name(segments.get(1)).name());
            ArchivePush noRepository = new ArchivePush(rs, new ArchivePushSettings(OptionalLong.empty(), 0, 1),
                    ArchivePush.WorkerStart.none(), () -> {
                        throw new AssertionError("repository opened");
                    });
            assertEquals(ArchivePush.Outcome.PUSHED_AHEAD, noRepository.run(segments.get(1)).outcome());
            assertEquals(Optional.empty(), spool.status(HookSpool.Role.PUSH, name(segments.get(1)).name()), "the answer is taken");
            assertTrue(wal.info(name(segments.get(1))).isEmpty(), "(the status was made up by this test)");

            // ... but never a push by hand of a file PostgreSQL has done with: that one is pushed
            spool.markOk(name(segments.get(1)).name());
            Files.move(walDir.resolve("archive_status/" + name(segments.get(1)).name() + ".ready"),
                    walDir.resolve("archive_status/" + name(segments.get(1)).name() + ".done"));
            assertEquals(ArchivePush.Outcome.PUSHED, push.run(segments.get(1)).outcome());
            assertArrayEquals(Files.readAllBytes(segments.get(1)), decode(wal, name(segments.get(1))));

            // a segment changed after the status was written is pushed again
            Files.setLastModifiedTime(segments.get(2), java.nio.file.attribute.FileTime.fromMillis(0));
            assertEquals(ArchivePush.Outcome.PUSHED, push.run(segments.get(2)).outcome());

            // an .ok older than the file it stands for (rewritten after the push) answers nothing: the call pushes
            spool.markOk(name(segments.get(2)).name());
            Files.setLastModifiedTime(segments.get(2), java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() + 60_000));
            assertEquals(ArchivePush.Outcome.ALREADY_ARCHIVED, push.run(segments.get(2)).outcome());

            // every stored segment decodes to the server's bytes
            for (int i = 0; i < 3; i++) {
                assertArrayEquals(Files.readAllBytes(segments.get(i)), decode(wal, name(segments.get(i))));
            }

            // an identical re-push succeeds
            assertEquals(ArchivePush.Outcome.ALREADY_ARCHIVED,
                    new ArchivePush(rs, new ArchivePushSettings(OptionalLong.empty(), 0, 1), ArchivePush.WorkerStart.none()).run(segments.get(0)).outcome());

            // different content under an archived name: refused (41), the archived object unchanged
            Path other = scratch.resolve("other");
            Files.createDirectories(other);
            byte[] changed = Files.readAllBytes(segments.get(0));
            changed[8192 + 100] ^= 0x55;
            Path tampered = Files.write(other.resolve(segments.get(0).getFileName()), changed);
            ArchivePush noAhead = new ArchivePush(rs, new ArchivePushSettings(OptionalLong.empty(), 0, 1), ArchivePush.WorkerStart.none());
            assertEquals(ErrorCode.CONTENT_MISMATCH, code(() -> noAhead.run(tampered)));
            assertArrayEquals(Files.readAllBytes(segments.get(0)), decode(wal, name(segments.get(0))));

            // a segment under another segment's name: invalid (5), nothing stored
            WalFileName last = name(segments.get(segments.size() - 1));
            String wrongName = last.name().substring(0, 16) + String.format("%08X", Integer.parseInt(last.name().substring(16), 16) + 7);
            Path misnamed = Files.copy(segments.get(3), other.resolve(wrongName));
            assertEquals(ErrorCode.WAL_INVALID, code(() -> noAhead.run(misnamed)));
            assertTrue(wal.info(WalFileName.parse(wrongName)).isEmpty());

            // a truncated segment: invalid, nothing stored
            Path shortOne = Files.write(scratch.resolve("pg_wal/" + name(segments.get(3)).name()),
                    java.util.Arrays.copyOf(Files.readAllBytes(segments.get(3)), 8192 * 3));
            assertEquals(ErrorCode.WAL_INVALID, code(() -> noAhead.run(shortOne)));
            assertTrue(wal.info(name(segments.get(3))).isEmpty());

            // a pinned cluster refuses others' WAL before anything is opened
            ArchivePush pinned = new ArchivePush(rs, new ArchivePushSettings(OptionalLong.of(systemId + 1), 0, 1),
                    ArchivePush.WorkerStart.none(), () -> {
                throw new AssertionError("repository opened");
            });
            assertEquals(ErrorCode.WAL_INVALID, code(() -> pinned.run(segments.get(0))));

            // a name that is no WAL file's
            Path junk = Files.write(other.resolve("notwal"), new byte[10]);
            assertEquals(ErrorCode.WAL_INVALID, code(() -> noAhead.run(junk)));
            assertEquals(ErrorCode.WAL_FILE_UNREADABLE, code(() -> noAhead.run(walDir.resolve("0000000100000000000000FF"))));

            // .partial: validated as a segment, stored under its own name
            Path partial = Files.copy(segments.get(1), walDir.resolve(name(segments.get(1)).name() + ".partial"));
            assertEquals(ArchivePush.Outcome.PUSHED, noAhead.run(partial).outcome());
            assertArrayEquals(Files.readAllBytes(partial), decode(wal, name(partial)));

            // .history and .backup: the cluster of the segments beside them
            Path history = Files.writeString(walDir.resolve("00000002.history"), "1\t0/5000000\tno recovery target specified\n");
            assertEquals(ArchivePush.Outcome.PUSHED, noAhead.run(history).outcome());
            assertArrayEquals(Files.readAllBytes(history), decode(wal, name(history)));
            Path backup = Files.writeString(walDir.resolve(name(segments.get(1)).name() + ".00000028.backup"),
                    "START WAL LOCATION: 0/2000028 (file " + name(segments.get(1)).name() + ")\n");
            assertEquals(ArchivePush.Outcome.PUSHED, noAhead.run(backup).outcome());

            // ... and without segments beside them, only with the cluster named
            Path lone = Files.writeString(Files.createDirectories(scratch.resolve("lone")).resolve("00000003.history"), "2\t0/6000000\tno recovery target specified\n");
            assertEquals(ErrorCode.WAL_CLUSTER_UNKNOWN, code(() -> noAhead.run(lone)));
            new ArchivePush(rs, new ArchivePushSettings(OptionalLong.of(systemId), 0, 1), ArchivePush.WorkerStart.none()).run(lone);
            assertArrayEquals(Files.readAllBytes(lone), decode(wal, name(lone)));

        }
    }

    @Test
    void theWorkerPushesWhatIsReadyAndEveryCallGetsItsOutcome(@TempDir Path scratch) throws Exception {
        Path data = Files.createDirectories(scratch.resolve("data"));
        Path walDir = Files.createDirectories(data.resolve("pg_wal/archive_status")).getParent();
        Files.writeString(data.resolve("postmaster.pid"), "4242\n" + data + "\n");
        long systemId = 7_000_000_000_000_000_123L;
        List<Path> ready = new ArrayList<>();
        for (int i = 1; i <= 4; i++) {
            ready.add(ready(walDir, segmentName(i), systemId, i));
        }
        // a segment under another's name: the worker cannot push it, and says so
        byte[] misnamed = WalSegments.segment(segmentName(9), SEGMENT, systemId, 9);
        Path bad = Files.write(walDir.resolve("000000010000000000000005"), misnamed);
        Files.createFile(walDir.resolve("archive_status/000000010000000000000005.ready"));

        String location = scratch.resolve("repo").toUri().toString();
        RepositorySettings rs = RepositorySettings.from(Settings.load(Map.of("repo", location, "encryption", "none"), null, Map.of()));
        Repositories.create(rs).close();
        ArchivePushSettings settings = new ArchivePushSettings(OptionalLong.empty(), 64, 2);
        ArchivePush push = new ArchivePush(rs, settings, ArchivePush.WorkerStart.none());
        HookCaller caller = new HookCaller("archive-push --repo " + location, Optional.empty());
        CompletableFuture<Integer> worker = OwnThread.start("worker", () -> push.worker(ready.get(0), caller));
        HookSpool spool = new HookSpool(walDir);
        // it pushes every ready file (the one of the call that started it after a few seconds, if that call has not)
        for (Path p : ready) {
            awaitStatus(spool, p);
        }
        assertEquals(List.of("archive-push --repo " + location, PostmasterRun.of(walDir.getParent()).text()),
                Files.readAllLines(spool.root().resolve("push.caller")),
                "bin/walvault answers only the command line the worker serves, in the server's run it started in");
        assertEquals(-1, push.worker(ready.get(0), caller), "one worker per pg_wal");

        // the worker's failure reaches the call for that file, with its exit code and message, at once
        awaitStatus(spool, bad);
        HookSpool.Status.Error failed = (HookSpool.Status.Error) spool.status(HookSpool.Role.PUSH, bad.getFileName().toString())
                .orElseThrow();
        assertEquals(ErrorCode.WAL_INVALID.exitCode(), failed.exitCode());
        long t0 = System.nanoTime();
        WalvaultException e = assertThrows(WalvaultException.class, () -> new ArchivePush(rs, settings,
                ArchivePush.WorkerStart.none(), () -> {
                    throw new AssertionError("repository opened");
                }).run(bad));
        assertEquals(ErrorCode.WAL_INVALID, e.code());
        assertEquals(failed.message(), e.getMessage());
        assertTrue(System.nanoTime() - t0 < 5_000_000_000L, "the call fails as fast as the worker did");

        // the Java calls for the pushed files return at once (the last is left waiting, with its .ok)
        for (Path p : ready.subList(1, ready.size() - 1)) {
            assertEquals(ArchivePush.Outcome.PUSHED_AHEAD, push.run(p).outcome());
            Files.move(walDir.resolve("archive_status/" + p.getFileName() + ".ready"),
                    walDir.resolve("archive_status/" + p.getFileName() + ".done"));
        }
        Files.delete(bad);
        Files.delete(walDir.resolve("archive_status/000000010000000000000005.ready"));

        // bin/walvault answers from an .ok and leaves it: once PostgreSQL has marked the file done, the worker removes it
        // (within a second of its next look: after the failing file's pause)
        Path answered = ready.get(0);
        Files.move(walDir.resolve("archive_status/" + answered.getFileName() + ".ready"),
                walDir.resolve("archive_status/" + answered.getFileName() + ".done"));
        for (int i = 0; i < 2000 && spool.status(HookSpool.Role.PUSH, answered.getFileName().toString()).isPresent(); i++) {
            Thread.sleep(20);
        }
        assertEquals(Optional.empty(), spool.status(HookSpool.Role.PUSH, answered.getFileName().toString()),
                "the .ok of a file no longer ready");
        assertTrue(Files.exists(spool.root().resolve("push.caller")), "removed by the worker's look, not by its end");

        // the server stops: the worker ends, and takes its statuses and its claim with it
        Files.delete(data.resolve("postmaster.pid"));
        assertEquals(4, worker.get(30, TimeUnit.SECONDS));
        assertFalse(Files.exists(spool.root().resolve("push.caller")));
        Path waiting = ready.get(ready.size() - 1);
        assertTrue(Files.exists(walDir.resolve("archive_status/" + waiting.getFileName() + ".ready")));
        assertEquals(Optional.empty(), spool.status(HookSpool.Role.PUSH, waiting.getFileName().toString()),
                "the .ok of a file still ready speaks for the worker that pushed it only");
        try (Repository repo = Repositories.open(rs)) {
            for (Path p : ready) {
                assertArrayEquals(Files.readAllBytes(p), decode(repo.cluster(systemId).wal(), name(p)));
            }
        }
    }

    @Test
    void withAQueueLimitAFailingRepositoryLosesTheOldestWalLoudly(@TempDir Path scratch) throws Exception {
        Path data = Files.createDirectories(scratch.resolve("data"));
        Path walDir = Files.createDirectories(data.resolve("pg_wal/archive_status")).getParent();
        Files.writeString(data.resolve("postmaster.pid"), "4243\n");
        long systemId = 7_000_000_000_000_000_456L;
        List<Path> ready = new ArrayList<>();
        for (int i = 1; i <= 4; i++) {
            ready.add(ready(walDir, segmentName(i), systemId, i));
        }
        String location = scratch.resolve("repo").toUri().toString();
        RepositorySettings rs = RepositorySettings.from(Settings.load(Map.of("repo", location, "encryption", "none"), null, Map.of()));
        Repositories.create(rs).close();
        // the timeline's WAL directory cannot be made (a file in its way): every push of a segment fails, even as root
        Path blocker = Files.createDirectories(scratch.resolve("repo/clusters/" + Long.toUnsignedString(systemId) + "/wal"))
                .resolve("00000001");
        Files.writeString(blocker, "in the way");

        ArchivePushSettings settings = new ArchivePushSettings(OptionalLong.empty(), 64, 2,
                OptionalLong.of(2 * SEGMENT));
        ArchivePush push = new ArchivePush(rs, settings, ArchivePush.WorkerStart.none());
        // the worker of a call for a file already archived (no longer ready)
        Path call = Files.write(walDir.resolve(segmentName(9)), WalSegments.segment(segmentName(9), SEGMENT, systemId, 9));
        CompletableFuture<Integer> worker = OwnThread.start("worker",
                () -> push.worker(call, new HookCaller("archive-push", Optional.empty())));
        HookSpool spool = new HookSpool(walDir);
        // the first pushes fail; then the two oldest are given up (acknowledged: PostgreSQL may recycle them), the two newest
        // wait for the repository
        awaitOk(spool, ready.get(0));
        awaitOk(spool, ready.get(1));
        awaitStatus(spool, ready.get(2));
        assertTrue(spool.status(HookSpool.Role.PUSH, ready.get(2).getFileName().toString()).orElseThrow()
                instanceof HookSpool.Status.Error, "still failing, still waiting");
        List<ArchiveGaps.Gap> gaps;
        try (Repository repo = Repositories.open(rs)) {
            gaps = repo.cluster(systemId).gaps().list();
        }
        assertEquals(1, gaps.size(), "the loss is recorded in the repository: " + gaps);
        assertEquals("000000010000000000000001", gaps.get(0).first());
        assertEquals("000000010000000000000002", gaps.get(0).last());
        assertEquals(2, gaps.get(0).files());

        // the repository is back: the rest is archived, nothing more is given up
        Files.delete(blocker);
        for (Path p : ready.subList(2, 4)) {
            awaitOk(spool, p);
        }
        Files.delete(data.resolve("postmaster.pid"));
        worker.get(60, TimeUnit.SECONDS);
        try (Repository repo = Repositories.open(rs)) {
            WalArchive wal = repo.cluster(systemId).wal();
            assertTrue(wal.info(name(ready.get(0))).isEmpty());
            assertArrayEquals(Files.readAllBytes(ready.get(2)), decode(wal, name(ready.get(2))));
            assertArrayEquals(Files.readAllBytes(ready.get(3)), decode(wal, name(ready.get(3))));
        }
    }

    @Test
    void withAQueueLimitAFileRefusedForItsContentIsNeverGivenUp(@TempDir Path scratch) throws Exception {
        Path data = Files.createDirectories(scratch.resolve("data"));
        Path walDir = Files.createDirectories(data.resolve("pg_wal/archive_status")).getParent();
        Files.writeString(data.resolve("postmaster.pid"), "4244\n");
        long systemId = 7_000_000_000_000_000_457L;
        List<Path> ready = new ArrayList<>();
        for (int i = 1; i <= 4; i++) {
            ready.add(ready(walDir, segmentName(i), systemId, i));
        }
        String location = scratch.resolve("repo").toUri().toString();
        RepositorySettings rs = RepositorySettings.from(Settings.load(Map.of("repo", location, "encryption", "none"), null, Map.of()));
        Repositories.create(rs).close();
        // another file is archived under the oldest one's name: its push is refused (41), the store is fine
        byte[] other = WalSegments.segment(segmentName(1), SEGMENT, systemId, 99);
        try (Repository repo = Repositories.open(rs)) {
            repo.cluster(systemId).admitWriter(false);
            repo.cluster(systemId).wal().put(name(ready.get(0)), () -> new java.io.ByteArrayInputStream(other));
        }
        ArchivePushSettings settings = new ArchivePushSettings(OptionalLong.empty(), 64, 2, OptionalLong.of(SEGMENT));
        ArchivePush push = new ArchivePush(rs, settings, ArchivePush.WorkerStart.none());
        Path call = Files.write(walDir.resolve(segmentName(9)), WalSegments.segment(segmentName(9), SEGMENT, systemId, 9));
        CompletableFuture<Integer> worker = OwnThread.start("worker",
                () -> push.worker(call, new HookCaller("archive-push", Optional.empty())));
        HookSpool spool = new HookSpool(walDir);
        for (Path p : ready.subList(1, 4)) {
            awaitOk(spool, p);
        }
        awaitStatus(spool, ready.get(0));
        Thread.sleep(3000); // more rounds, with three segments' worth waiting behind a limit of one
        HookSpool.Status first = spool.status(HookSpool.Role.PUSH, ready.get(0).getFileName().toString()).orElseThrow();
        assertTrue(first instanceof HookSpool.Status.Error e && e.exitCode() == 41, "refused, and still waiting: " + first);
        try (Repository repo = Repositories.open(rs)) {
            assertEquals(List.of(), repo.cluster(systemId).gaps().list(), "nothing given up");
        }
        Files.delete(data.resolve("postmaster.pid"));
        worker.get(60, TimeUnit.SECONDS);
    }

    private static final long SEGMENT = 1L << 20;

    private static String segmentName(int n) {
        return String.format("00000001%08X%08X", 0, n);
    }

    /** A synthetic segment of {@code systemId}, ready for archiving as PostgreSQL marks it. */
    private static Path ready(Path walDir, String name, long systemId, long seed) throws IOException {
        Files.createFile(walDir.resolve("archive_status/" + name + ".ready"));
        return Files.write(walDir.resolve(name), WalSegments.segment(name, SEGMENT, systemId, seed));
    }

    private static void awaitOk(HookSpool spool, Path file) throws InterruptedException {
        for (int i = 0; i < 3000 && !(spool.status(HookSpool.Role.PUSH, file.getFileName().toString()).orElse(null)
                instanceof HookSpool.Status.Ok); i++) {
            Thread.sleep(20);
        }
        assertEquals(Optional.of(new HookSpool.Status.Ok()), spool.status(HookSpool.Role.PUSH, file.getFileName().toString()),
                file.toString());
    }

    /** Waits for an outcome for {@code file}: a status other than the pending mark of a push in flight. */
    private static void awaitStatus(HookSpool spool, Path file) throws InterruptedException {
        for (int i = 0; i < 1500 && !outcome(spool, file); i++) {
            Thread.sleep(20);
        }
        assertTrue(outcome(spool, file), "no outcome for " + file);
    }

    private static boolean outcome(HookSpool spool, Path file) {
        Optional<HookSpool.Status> s = spool.status(HookSpool.Role.PUSH, file.getFileName().toString());
        return s.isPresent() && !(s.get() instanceof HookSpool.Status.Pending);
    }

    private static WalFileName name(Path p) {
        return WalFileName.parse(p.getFileName().toString());
    }

    private static byte[] decode(WalArchive wal, WalFileName name) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        wal.get(name, new OutputStreamSink(out, false));
        return out.toByteArray();
    }

    private static String mode(Path p) throws Exception {
        String s = PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
        int m = 0;
        for (int i = 0; i < 9; i++) {
            m = m << 1 | (s.charAt(i) == '-' ? 0 : 1);
        }
        return String.format("%04o", m);
    }

    private interface Call {
        void run() throws Exception;
    }

    private static ErrorCode code(Call c) {
        return assertThrows(WalvaultException.class, c::run).code();
    }
}
