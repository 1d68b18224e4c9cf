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
import io.walvault.core.pipeline.OutputStreamSink;
import io.walvault.core.repo.Repositories;
import io.walvault.core.repo.Repository;
import io.walvault.core.repo.WalArchive;
import io.walvault.core.wal.WalFileName;
import io.walvault.testkit.PgCluster;
import io.walvault.testkit.PgHarness;
import io.walvault.testkit.PgTest;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.stream.Stream;

/** archive-push on real segments of a real server: validation, duplicates, side files, look-ahead. */
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
            ArchivePush push = new ArchivePush(rs, new ArchivePushSettings(OptionalLong.empty(), 2, 2));

            // the first call stores its segment and the next two ahead, marking them
            ArchivePush.Report first = push.run(segments.get(0));
            assertEquals(ArchivePush.Outcome.PUSHED, first.outcome());
            assertEquals(List.of(name(segments.get(1)), name(segments.get(2))),
                    first.lookAhead().stream().map(ArchivePushFile.Result::name).toList());
            assertEquals(0, first.lookAheadFailed());
            PushMarkers markers = new PushMarkers(walDir, rs.location());
            assertTrue(markers.isPushed(segments.get(1)));
            // the line bin/walvault's fast path compares: stat -c '%s %Y %i' FILE, then the repository as configured
            Process stat = new ProcessBuilder("stat", "-c", "%s %Y %i", segments.get(1).toString()).start();
            String statLine = new String(stat.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).strip();
            assertEquals(0, stat.waitFor());
            assertEquals(java.util.Optional.of(statLine + " " + location), markers.read(segments.get(1)));
            assertEquals("0700", mode(markers.directory()));
            assertEquals("0600", mode(markers.directory().resolve(segments.get(1).getFileName())));

            // PostgreSQL's call for a segment pushed ahead returns at once and forgets the marker
            Files.delete(walDir.resolve("archive_status/" + segments.get(0).getFileName() + ".ready"));
            assertEquals(ArchivePush.Outcome.PUSHED_AHEAD, push.run(segments.get(1)).outcome());
            assertFalse(markers.isPushed(segments.get(1)));

            // a marker is honoured only for the unchanged file
            Files.setLastModifiedTime(segments.get(2), java.nio.file.attribute.FileTime.fromMillis(0));
            assertFalse(markers.isPushed(segments.get(2)));
            assertEquals(ArchivePush.Outcome.ALREADY_ARCHIVED,
                    new ArchivePush(rs, new ArchivePushSettings(OptionalLong.empty(), 0, 1)).run(segments.get(2)).outcome());

            // every stored segment decodes to the server's bytes
            for (int i = 0; i < 3; i++) {
                assertArrayEquals(Files.readAllBytes(segments.get(i)), decode(wal, name(segments.get(i))));
            }

            // an identical re-push succeeds
            assertEquals(ArchivePush.Outcome.ALREADY_ARCHIVED,
                    new ArchivePush(rs, new ArchivePushSettings(OptionalLong.empty(), 0, 1)).run(segments.get(0)).outcome());

            // different content under an archived name: refused (41), the archived object unchanged
            Path other = scratch.resolve("other");
            Files.createDirectories(other);
            byte[] changed = Files.readAllBytes(segments.get(0));
            changed[8192 + 100] ^= 0x55;
            Path tampered = Files.write(other.resolve(segments.get(0).getFileName()), changed);
            ArchivePush noAhead = new ArchivePush(rs, new ArchivePushSettings(OptionalLong.empty(), 0, 1));
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
            ArchivePush pinned = new ArchivePush(rs, new ArchivePushSettings(OptionalLong.of(systemId + 1), 0, 1), () -> {
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
            new ArchivePush(rs, new ArchivePushSettings(OptionalLong.of(systemId), 0, 1)).run(lone);
            assertArrayEquals(Files.readAllBytes(lone), decode(wal, name(lone)));

            // a watcher pushes files as they become ready, one watcher per directory, and ends when idle
            Path watched = Files.createDirectories(scratch.resolve("watched/pg_wal/archive_status")).getParent();
            Path w1 = Files.copy(segments.get(2), watched.resolve(segments.get(2).getFileName()));
            Files.createFile(watched.resolve("archive_status/" + w1.getFileName() + ".ready"));
            ArchivePush watcher = new ArchivePush(rs, new ArchivePushSettings(OptionalLong.empty(), 4, 2));
            java.util.concurrent.CompletableFuture<Integer> running = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                try {
                    return watcher.watch(w1, java.time.Duration.ofSeconds(2), java.time.Duration.ofMinutes(1));
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            PushMarkers watchedMarkers = new PushMarkers(watched, rs.location());
            awaitMarked(watchedMarkers, w1);
            assertEquals(0, watcher.watch(w1, java.time.Duration.ofSeconds(2), java.time.Duration.ofMinutes(1)), "second watcher");
            Path w2 = Files.copy(segments.get(1), watched.resolve(segments.get(1).getFileName()));
            Files.createFile(watched.resolve("archive_status/" + w2.getFileName() + ".ready"));
            awaitMarked(watchedMarkers, w2);
            assertEquals(2, running.get(30, java.util.concurrent.TimeUnit.SECONDS));
            assertArrayEquals(Files.readAllBytes(w2), decode(wal, name(w2)));
            assertEquals(ArchivePush.Outcome.PUSHED_AHEAD, noAhead.run(w2).outcome());

            // a watcher ends once the server it served has stopped (postmaster.pid gone), not when idle
            Path served = Files.createDirectories(scratch.resolve("served/pg_wal/archive_status")).getParent();
            Path postmasterPid = Files.writeString(served.getParent().resolve("postmaster.pid"), "1\n");
            java.util.concurrent.CompletableFuture<Integer> serving = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                try {
                    return watcher.watch(served.resolve(segments.get(2).getFileName()), java.time.Duration.ofMinutes(5),
                            java.time.Duration.ofMinutes(10));
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            Thread.sleep(500);
            assertFalse(serving.isDone(), "the watcher of a running server waits for work");
            Files.delete(postmasterPid);
            assertEquals(0, serving.get(30, java.util.concurrent.TimeUnit.SECONDS));
        }
    }

    private static void awaitMarked(PushMarkers markers, Path file) throws InterruptedException {
        for (int i = 0; i < 1000 && !markers.isPushed(file); i++) {
            Thread.sleep(20);
        }
        assertTrue(markers.isPushed(file), "not pushed by the watcher: " + file);
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
