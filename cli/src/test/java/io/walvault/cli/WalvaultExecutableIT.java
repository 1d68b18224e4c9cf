package io.walvault.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.walvault.cli.WalvaultProcess.Result;
import io.walvault.core.Version;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** bin/walvault runs the packaged jar as a user would. */
class WalvaultExecutableIT {

    private static final Duration SHORT = Duration.ofSeconds(30);

    @Test
    void helpAndVersionFromTheExecutable() throws Exception {
        Result help = WalvaultProcess.of("--help").run();
        assertEquals(0, help.exitCode(), help.out());
        assertTrue(help.out().startsWith("Usage: walvault"), help.out());

        Result version = WalvaultProcess.of("--version").run();
        assertEquals(0, version.exitCode(), version.out());
        assertTrue(version.out().contains("walvault " + Version.get()), version.out());
    }

    @Test
    void sigintAndSigtermEndACommandWithExitCode4NotTheJvms130Or143() throws Exception {
        // a store that accepts connections and never answers: 'info' waits on it
        try (java.net.ServerSocket silent = new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
            List<java.net.Socket> held = new java.util.concurrent.CopyOnWriteArrayList<>();
            Thread acceptor = new Thread(() -> {
                try {
                    while (true) {
                        held.add(silent.accept());
                    }
                } catch (IOException closed) {
                    // the test is over
                }
            });
            acceptor.setDaemon(true);
            acceptor.start();
            for (String signal : List.of("INT", "TERM")) {
                int before = held.size();
                Process p = WalvaultProcess.of("info", "--repo", "s3://bucket/x",
                        "--s3-endpoint", "http://127.0.0.1:" + silent.getLocalPort(), "--s3-path-style", "true")
                        .env("WALVAULT_S3_ACCESS_KEY_ID", "AKIDTEST")
                        .env("WALVAULT_S3_SECRET_ACCESS_KEY", "secret")
                        .env("WALVAULT_S3_REGION", "us-east-1")
                        .start();
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (held.size() == before && System.nanoTime() < deadline && p.isAlive()) {
                    Thread.sleep(20);
                }
                assertTrue(held.size() > before, "the command is waiting for the store");
                long t0 = System.nanoTime();
                WalvaultProcess.signal(p, signal);
                String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                assertTrue(p.waitFor(30, TimeUnit.SECONDS));
                assertEquals(4, p.exitValue(), "SIG" + signal + ": " + out);
                assertTrue(out.contains("walvault: interrupted by SIG" + signal), out);
                assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(20), "the cleanup wait is bounded");
            }
            for (java.net.Socket c : held) {
                c.close();
            }
        }
    }

    @Test
    void backupKeepsTheOptimisingCompilerOtherCommandsTheFirstTier(@org.junit.jupiter.api.io.TempDir Path dir)
            throws Exception {
        // a "java" that prints the options it was started with
        Path fakeJava = dir.resolve("java");
        java.nio.file.Files.writeString(fakeJava, "#!/bin/sh\necho \"$@\"\n");
        java.nio.file.Files.setPosixFilePermissions(fakeJava,
                java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        Path jar = java.nio.file.Files.writeString(dir.resolve("walvault.jar"), "");
        for (String command : List.of("backup", "info")) {
            Result r = WalvaultProcess.of(command, "--help").env("WALVAULT_JAVA", fakeJava.toString())
                    .env("WALVAULT_JAR", jar.toString()).timeout(SHORT).run();
            String out = r.out();
            assertEquals(0, r.exitCode(), out);
            assertTrue(out.contains("-jar " + jar + " " + command + " --help"), out);
            // the first tier alone has no AES-GCM, SHA-256 or CRC-32C intrinsics: a backup needs the second
            assertEquals(!command.equals("backup"), out.contains("-XX:TieredStopAtLevel=1"), command + ": " + out);
        }
    }

    @Test
    void aMissingJarIsAConfigurationErrorWithAHint() throws Exception {
        Result r = WalvaultProcess.of("--help").env("WALVAULT_JAR", "/nonexistent/walvault.jar").timeout(SHORT).run();
        assertEquals(3, r.exitCode(), r.out());
        assertTrue(r.out().contains("HINT: build it with"), r.out());
    }

    @Test
    void archivePushAcknowledgesAFilePushedAheadWithoutStartingJava(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        Path wal = java.nio.file.Files.createDirectories(dir.resolve("pg_wal"));
        Path segment = java.nio.file.Files.write(wal.resolve("000000010000000000000007"), new byte[8192]);
        Path markers = java.nio.file.Files.createDirectories(wal.resolve(".walvault-pushed"));
        Process stat = new ProcessBuilder("stat", "-c", "%s %Y %i", segment.toString()).start();
        String identity = new String(stat.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertEquals(0, stat.waitFor());
        Path marker = java.nio.file.Files.writeString(markers.resolve(segment.getFileName()), identity + " file:///r\n");

        // another repository than the marker's: not acknowledged here (the missing jar shows that Java was asked)
        assertEquals(3, pushWithoutJar(dir, "--repo", "file:///other", "pg_wal/000000010000000000000007").exitCode());
        assertTrue(java.nio.file.Files.exists(marker));

        // the file changed since it was pushed: Java is asked
        java.nio.file.Files.setLastModifiedTime(segment, java.nio.file.attribute.FileTime.fromMillis(0));
        assertEquals(3, pushWithoutJar(dir, "--repo", "file:///r", "pg_wal/000000010000000000000007").exitCode());
        java.nio.file.Files.writeString(marker, new String(new ProcessBuilder("stat", "-c", "%s %Y %i", segment.toString())
                .start().getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip() + " file:///r\n");

        // unchanged, same repository (flag or environment): exit 0 without Java, the marker consumed
        Result ok = pushWithoutJar(dir, "--look-ahead", "4", "--repo=file:///r", "pg_wal/000000010000000000000007");
        assertEquals(0, ok.exitCode(), ok.out());
        assertTrue(java.nio.file.Files.notExists(marker));
    }

    @Test
    void archivePushStartsAWatcherBesideAJavaCallThatThenDoesNotLookAhead(@org.junit.jupiter.api.io.TempDir Path dir)
            throws Exception {
        // a "java" that records its look-ahead setting and arguments, one line per start
        Path calls = dir.resolve("calls");
        Path fakeJava = dir.resolve("java");
        java.nio.file.Files.writeString(fakeJava, "#!/bin/sh\necho \"${WALVAULT_ARCHIVE_PUSH_LOOK_AHEAD:-unset}|$*\" >> '"
                + calls + "'\n");
        java.nio.file.Files.setPosixFilePermissions(fakeJava, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        Path jar = java.nio.file.Files.writeString(dir.resolve("walvault.jar"), "");
        Path wal = java.nio.file.Files.createDirectories(dir.resolve("pg_wal"));
        java.nio.file.Files.write(wal.resolve("000000010000000000000007"), new byte[8192]);
        java.util.function.BiFunction<Map<String, String>, Integer, List<String>> push = (env, starts) -> {
            try {
                java.nio.file.Files.deleteIfExists(calls);
                Result r = WalvaultProcess.of("archive-push", "--repo", "file:///r", "pg_wal/000000010000000000000007").in(dir)
                        .env(Map.of("WALVAULT_JAVA", fakeJava.toString(), "WALVAULT_JAR", jar.toString(),
                                "WALVAULT_CDS_DIR", "off", "WALVAULT_ARCHIVE_PUSH_WAIT_MS", "0"))
                        .withoutEnv("WALVAULT_ARCHIVE_PUSH_LOOK_AHEAD")
                        .env(env)
                        .timeout(SHORT).run();
                assertEquals(0, r.exitCode(), r.out());
                // the call itself has run; a detached watcher records itself a moment later
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (java.nio.file.Files.readAllLines(calls).size() < starts && System.nanoTime() < deadline) {
                    Thread.sleep(20);
                }
                return java.nio.file.Files.readAllLines(calls).stream().sorted().toList();
            } catch (IOException | InterruptedException e) {
                throw new AssertionError(e);
            }
        };

        // no watcher yet: one is started beside the call, which leaves the look-ahead to it
        List<String> started = push.apply(Map.of(), 2);
        assertEquals(2, started.size(), started.toString());
        assertTrue(started.get(0).startsWith("0|") && !started.get(0).contains("--watch"), started.toString());
        assertTrue(started.get(1).startsWith("unset|") && started.get(1).endsWith("pg_wal/000000010000000000000007 --watch"),
                started.toString());
        assertTrue(started.stream().allMatch(c -> c.contains("-Xmx128m")), "a local repository's bounded heap: " + started);

        // a watcher already runs (this JVM stands in for it): no second one, still no look-ahead in the call
        Path markers = java.nio.file.Files.createDirectories(wal.resolve(".walvault-pushed"));
        java.nio.file.Files.writeString(markers.resolve("watch.pid"), ProcessHandle.current().pid() + "\n");
        assertEquals(List.of("0|"), push.apply(Map.of(), 1).stream().map(c -> c.substring(0, 2)).toList());
        java.nio.file.Files.delete(markers.resolve("watch.pid"));

        // watcher off: the call looks ahead as configured
        List<String> alone = push.apply(Map.of("WALVAULT_ARCHIVE_PUSH_WATCH", "off"), 1);
        assertEquals(1, alone.size(), alone.toString());
        assertTrue(alone.get(0).startsWith("unset|"), alone.toString());
    }

    private static Result pushWithoutJar(Path cwd, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("archive-push"));
        cmd.addAll(List.of(args));
        return WalvaultProcess.of(cmd).in(cwd).env("WALVAULT_JAR", "/nonexistent/walvault.jar").withoutEnv("WALVAULT_REPO")
                .timeout(SHORT).run();
    }

    @Test
    void archiveGetHandsOverAPrefetchedSegmentWithoutStartingJava(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        // a data directory whose pg_control names cluster 7400000000000000001, and a spool filled for it
        java.nio.file.Files.createDirectories(dir.resolve("global"));
        java.nio.file.Files.write(dir.resolve("global/pg_control"), java.nio.ByteBuffer.allocate(64)
                .order(java.nio.ByteOrder.nativeOrder()).putLong(7400000000000000001L).array());
        Path spool = java.nio.file.Files.createDirectories(dir.resolve("pg_wal/.walvault-prefetch"));
        java.nio.file.Files.writeString(spool.resolve("origin"), "file:///r 7400000000000000001\n");
        java.nio.file.Files.writeString(spool.resolve("000000010000000000000009"), "segment");

        // another repository or cluster than the spool's: Java is asked (the missing jar shows it)
        assertJavaAsked(run(dir, "archive-get", "--repo", "file:///other", "000000010000000000000009", "pg_wal/RECOVERYXLOG"));
        assertJavaAsked(run(dir, "archive-get", "--repo", "file:///r", "--system-identifier", "42", "000000010000000000000009",
                "pg_wal/RECOVERYXLOG"));
        // not prefetched: Java is asked
        assertJavaAsked(run(dir, "archive-get", "--repo", "file:///r", "00000001000000000000000A", "pg_wal/RECOVERYXLOG"));

        Result ok = run(dir, "archive-get", "--repo", "file:///r", "000000010000000000000009", "pg_wal/RECOVERYXLOG");
        assertEquals(0, ok.exitCode(), ok.out());
        assertEquals("segment", java.nio.file.Files.readString(dir.resolve("pg_wal/RECOVERYXLOG")));
        assertTrue(java.nio.file.Files.notExists(spool.resolve("000000010000000000000009")));
    }

    @Test
    void archiveGetWaitsForTheFollowerAndKnowsTheEndOfTheArchiveWithoutStartingJava(@org.junit.jupiter.api.io.TempDir Path dir)
            throws Exception {
        Path spool = java.nio.file.Files.createDirectories(dir.resolve("pg_wal/.walvault-prefetch"));
        java.nio.file.Files.writeString(spool.resolve("origin"), "file:///r 42\n");
        java.nio.file.Files.writeString(spool.resolve("wanted"), "000000010000000000000009 16777216\n");
        java.nio.file.Files.writeString(spool.resolve("ahead"), "00000001000000000000000A\n");
        Process follower = new ProcessBuilder("sleep", "60").start(); // stands for a live follower
        try {
            java.nio.file.Files.writeString(spool.resolve("follow.pid"), follower.pid() + "\n");

            // the follower is on its way to 0B: the call waits for it instead of starting Java
            Thread later = new Thread(() -> {
                try {
                    Thread.sleep(400);
                    java.nio.file.Files.writeString(spool.resolve(".0B.tmp"), "segment 0B");
                    java.nio.file.Files.move(spool.resolve(".0B.tmp"), spool.resolve("00000001000000000000000B"),
                            java.nio.file.StandardCopyOption.ATOMIC_MOVE);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            later.start();
            Result waited = run(dir, "archive-get", "--repo", "file:///r", "--system-identifier", "42", "00000001000000000000000B",
                    "pg_wal/RECOVERYXLOG");
            later.join();
            assertEquals(0, waited.exitCode(), waited.out());
            assertEquals("segment 0B", java.nio.file.Files.readString(dir.resolve("pg_wal/RECOVERYXLOG")));

            // a segment at or before the follower's newest is not on its way (recovery asks again at its end): Java
            assertJavaAsked(run(dir, "archive-get", "--repo", "file:///r", "--system-identifier", "42", "00000001000000000000000A",
                    "pg_wal/RECOVERYXLOG"));
            // nor one of another timeline
            assertJavaAsked(run(dir, "archive-get", "--repo", "file:///r", "--system-identifier", "42", "00000002000000000000000C",
                    "pg_wal/RECOVERYXLOG"));

            // the follower found 0C missing just now: "not archived" (76) at once
            java.nio.file.Files.writeString(spool.resolve("missing"), "00000001000000000000000C\n");
            long t0 = System.nanoTime();
            Result end = run(dir, "archive-get", "--repo", "file:///r", "--system-identifier", "42", "00000001000000000000000C",
                    "pg_wal/RECOVERYXLOG");
            assertEquals(76, end.exitCode(), end.out());
            assertTrue(end.out().contains("'00000001000000000000000C' is not in the archive"), end.out());
            assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(2), "it waited for the follower");
            // news older than the follower's retry interval is not trusted: Java checks the archive
            java.nio.file.Files.setLastModifiedTime(spool.resolve("missing"),
                    java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() - 10_000));
            assertJavaAsked(run(dir, "archive-get", "--repo", "file:///r", "--system-identifier", "42", "00000001000000000000000C",
                    "pg_wal/RECOVERYXLOG"));
        } finally {
            follower.destroy();
        }
        // no follower alive: neither a wait nor an answer from the spool
        java.nio.file.Files.writeString(spool.resolve("missing"), "00000001000000000000000C\n");
        long t0 = System.nanoTime();
        assertJavaAsked(run(dir, "archive-get", "--repo", "file:///r", "--system-identifier", "42", "00000001000000000000000D",
                "pg_wal/RECOVERYXLOG"));
        assertJavaAsked(run(dir, "archive-get", "--repo", "file:///r", "--system-identifier", "42", "00000001000000000000000C",
                "pg_wal/RECOVERYXLOG"));
        assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(2), "it waited for a follower that is gone");
    }

    @Test
    void aHookThatWaitedStillReportsWhyAndAPlannedSegmentIsNeverAnsweredMissingWithoutJava(
            @org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        Path spool = java.nio.file.Files.createDirectories(dir.resolve("pg_wal/.walvault-prefetch"));
        java.nio.file.Files.writeString(spool.resolve("origin"), "file:///r 42\n");
        java.nio.file.Files.writeString(spool.resolve("wanted"), "000000010000000000000009 16777216\n");
        java.nio.file.Files.writeString(spool.resolve("ahead"), "00000001000000000000000A\n");
        Process follower = new ProcessBuilder("sleep", "60").start(); // stands for a live follower
        try {
            java.nio.file.Files.writeString(spool.resolve("follow.pid"), follower.pid() + "\n");
            // the call waits for a segment that never comes, then goes to Java: what goes wrong there still reaches
            // PostgreSQL's log (the launcher's first nap used to silence its stderr for good)
            Result waited = run(dir, Map.of("WALVAULT_ARCHIVE_GET_WAIT_MS", "200"), "archive-get", "--repo", "file:///r",
                    "--system-identifier", "42", "00000001000000000000000B", "pg_wal/RECOVERYXLOG");
            assertJavaAsked(waited);

            // a restore's plan reaching 0E: the follower's fresh "missing" for 0C is not an answer the launcher may
            // give on its own; Java decides whether that is a gap
            java.nio.file.Files.writeString(dir.resolve("pg_wal/.walvault-restore.plan"), "walvault-recovery-plan 1\n"
                    + "end 00000001000000000000000E\nsystem-identifier 42\nsegment-size 16777216\n"
                    + "wal 000000010000000000000009 00000001000000000000000E\n");
            java.nio.file.Files.writeString(spool.resolve("missing"), "00000001000000000000000C\n");
            assertJavaAsked(run(dir, "archive-get", "--repo", "file:///r", "--system-identifier", "42", "00000001000000000000000C",
                    "pg_wal/RECOVERYXLOG"));
            // past the plan's end it may
            java.nio.file.Files.writeString(spool.resolve("missing"), "00000001000000000000000F\n");
            assertEquals(76, run(dir, "archive-get", "--repo", "file:///r", "--system-identifier", "42", "00000001000000000000000F",
                    "pg_wal/RECOVERYXLOG").exitCode());
            // a hand-over from the spool records what recovery asked for, with the postmaster's pid
            java.nio.file.Files.writeString(dir.resolve("postmaster.pid"), "4242\n" + dir + "\n");
            java.nio.file.Files.writeString(spool.resolve("00000001000000000000000D"), "segment 0D");
            Result taken = run(dir, "archive-get", "--repo", "file:///r", "--system-identifier", "42", "00000001000000000000000D",
                    "pg_wal/RECOVERYXLOG");
            assertEquals(0, taken.exitCode(), taken.out());
            assertEquals("00000001000000000000000D 4242\n", java.nio.file.Files.readString(dir.resolve("pg_wal/.walvault-restore.asked")));
        } finally {
            follower.destroy();
        }
    }

    private static Result run(Path cwd, String... args) throws IOException, InterruptedException {
        return run(cwd, Map.of(), args);
    }

    private static Result run(Path cwd, Map<String, String> env, String... args) throws IOException, InterruptedException {
        return WalvaultProcess.of(args).in(cwd).env("WALVAULT_JAR", "/nonexistent/walvault.jar").withoutEnv("WALVAULT_REPO")
                .withoutEnv("WALVAULT_SYSTEM_IDENTIFIER").env(env).timeout(SHORT).run();
    }

    /**
     * The call went to Java: the test's jar is missing, which archive-get, as PostgreSQL's
     * restore_command, answers with 150 (recovery must stop) and the launcher's message.
     */
    private static void assertJavaAsked(Result r) {
        assertEquals(150, r.exitCode(), r.out());
        assertTrue(r.out().contains("is missing or unreadable"), r.out());
    }
}
