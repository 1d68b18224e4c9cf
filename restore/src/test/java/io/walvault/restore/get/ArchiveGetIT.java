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
import io.walvault.core.repo.Repositories;
import io.walvault.core.repo.Repository;
import io.walvault.core.repo.WalArchive;
import io.walvault.core.wal.WalFileName;
import io.walvault.core.wal.WalSegmentName;
import io.walvault.testkit.PgCluster;
import io.walvault.testkit.PgHarness;
import io.walvault.testkit.PgTest;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.stream.Stream;

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
        ArchiveGet get = new ArchiveGet(rs, new ArchiveGetSettings(OptionalLong.empty(), 3, 2), source.dataDirectory());
        Path target = walDir.resolve("RECOVERYXLOG");
        ArchiveGet.Report first = get.run(name(segments.get(0)).name(), target);
        assertEquals(ArchiveGet.Outcome.FETCHED, first.outcome());
        assertEquals(3, first.prefetched());
        assertArrayEquals(Files.readAllBytes(segments.get(0)), Files.readAllBytes(target));
        assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(target)));

        // the next calls take prefetched segments, and refill when the spool runs low
        for (int i = 1; i < segments.size() - 2; i++) {
            ArchiveGet.Report r = get.run(name(segments.get(i)).name(), target);
            assertEquals(ArchiveGet.Outcome.PREFETCHED, r.outcome(), "segment " + i);
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
            assertEquals(List.of("RECOVERYXLOG"), left.map(p -> p.getFileName().toString())
                    .filter(n -> !n.equals(PrefetchSpool.DIRECTORY)).toList());
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

    @PgTest(min = 18)
    void aFollowerKeepsTheSpoolFilledWhileRecoveryTakesFromIt(PgHarness pg) throws Exception {
        PgCluster source = pg.cluster().name("source").setting("wal_keep_size", "1GB").start();
        source.execute("CREATE TABLE t (id int, pad text)");
        for (int i = 0; i < 10; i++) {
            source.execute("INSERT INTO t SELECT g, repeat('x', 200) FROM generate_series(1, 1000) g", "SELECT pg_switch_wal()");
        }
        long systemId = Long.parseUnsignedLong(source.queryString("SELECT system_identifier FROM pg_control_system()"));
        String current = source.queryString("SELECT pg_walfile_name(pg_current_wal_lsn())");
        source.stop();
        List<Path> segments = new ArrayList<>();
        try (Stream<Path> s = Files.list(source.dataDirectory().resolve("pg_wal"))) {
            s.sorted().filter(p -> p.getFileName().toString().matches("[0-9A-F]{24}")
                    && p.getFileName().toString().compareTo(current) < 0).forEach(segments::add);
        }
        assertTrue(segments.size() >= 8, "segments: " + segments);
        Path scratch = pg.scratchDirectory("follow");
        Path data = scratch.resolve("data");
        Path walDir = Files.createDirectories(data.resolve("pg_wal"));
        RepositorySettings rs = RepositorySettings.from(Settings.load(Map.of("repo", scratch.resolve("repo").toUri().toString(),
                "encryption", "none"), null, Map.of()));
        Repositories.create(rs).close();
        try (Repository repo = Repositories.open(rs)) {
            for (Path p : segments) {
                repo.cluster(systemId).wal().put(name(p), () -> Files.newInputStream(p));
            }
        }

        // bin/walvault starts the follower beside recovery's first call: it makes the spool and waits for the call
        ArchiveGet get = new ArchiveGet(rs, new ArchiveGetSettings(OptionalLong.of(systemId), 3, 2).inBackground(), data);
        PrefetchSpool spool = new PrefetchSpool(walDir);
        java.util.concurrent.atomic.AtomicReference<Throwable> failed = new java.util.concurrent.atomic.AtomicReference<>();
        Thread follower = new Thread(() -> {
            try {
                get.follow();
            } catch (Throwable t) {
                failed.set(t);
            }
        }, "follower");
        follower.start();
        long made = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(30);
        while (Files.notExists(spool.path(PrefetchSpool.FOLLOW_PID))) {
            assertTrue(System.nanoTime() < made, "the follower did not start");
            Thread.sleep(5);
        }
        Thread.sleep(300);
        assertEquals(0, spool.segments(), "the follower fetched before recovery said where it is");
        assertTrue(follower.isAlive(), "the follower did not wait for the first call");

        // the call recovery makes first fetches only its segment and records it for the follower
        Path target = walDir.resolve("RECOVERYXLOG");
        ArchiveGet.Report first = get.run(name(segments.get(0)).name(), target);
        assertEquals(ArchiveGet.Outcome.FETCHED, first.outcome());
        assertEquals(0, first.prefetched());
        // recovery takes the following segments from the spool by rename, as bin/walvault does
        int most = 0;
        for (int i = 1; i < segments.size(); i++) {
            Path next = spool.path(segments.get(i).getFileName().toString());
            long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(30);
            while (Files.notExists(next)) {
                assertTrue(System.nanoTime() < deadline, "the follower did not fetch segment " + i);
                Thread.sleep(5);
            }
            most = Math.max(most, spool.segments());
            Files.move(next, target, java.nio.file.StandardCopyOption.ATOMIC_MOVE, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            assertArrayEquals(Files.readAllBytes(segments.get(i)), Files.readAllBytes(target), "segment " + i);
            if (i == 1) {
                // one follower per spool: a second returns at once
                long t0 = System.nanoTime();
                get.follow();
                assertTrue(System.nanoTime() - t0 < java.util.concurrent.TimeUnit.SECONDS.toNanos(5), "a second follower ran");
                assertTrue(Files.exists(spool.path(PrefetchSpool.FOLLOW_PID)), "the follower's pid file");
            }
        }
        assertTrue(most <= 3, "the spool held at most the prefetch window: " + most);
        // the end of the archive is recorded for bin/walvault, which then neither waits nor starts a follower for it
        String end = WalSegmentName.parse(segments.get(segments.size() - 1).getFileName().toString(), 16L * 1024 * 1024)
                .next().fileName();
        long told = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(30);
        while (!spool.missing().equals(end)) {
            assertTrue(System.nanoTime() < told, "the follower did not record the end of the archive: '" + spool.missing() + "'");
            Thread.sleep(5);
        }
        // past the end of the archive the follower gives up and cleans up after itself
        follower.join(30_000);
        assertFalse(follower.isAlive(), "the follower did not stop at the end of the archive");
        assertEquals(null, failed.get());
        assertTrue(Files.notExists(spool.path(PrefetchSpool.FOLLOW_PID)));
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
