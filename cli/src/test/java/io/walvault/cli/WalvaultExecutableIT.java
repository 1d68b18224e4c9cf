package io.walvault.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.walvault.cli.WalvaultProcess.Result;
import io.walvault.core.Version;
import io.walvault.core.error.ErrorCode;
import io.walvault.testkit.WalSegments;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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
    void logLinesCarryTheirTimeAndGoWhereTheLogOptionsSay(@TempDir Path dir) throws Exception {
        String repo = dir.resolve("repo").toUri().toString();
        Result init = WalvaultProcess.of("init", "--repo", repo, "--encryption", "none").withoutEnv("WALVAULT_REPO")
                .timeout(SHORT).run();
        assertEquals(0, init.exitCode(), init.out());
        assertEquals(1, init.out().lines().filter(l -> l.contains("created repository")).count(),
                "one summary of the result, not a log line beside it: " + init.out());
        Result debug = WalvaultProcess.of("init", "--log-level", "debug", "--repo", dir.resolve("debug").toUri().toString(),
                "--encryption", "none").withoutEnv("WALVAULT_REPO").timeout(SHORT).run();
        assertEquals(0, debug.exitCode(), debug.out());
        assertTrue(debug.out().lines().anyMatch(l -> l.matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}"
                + "(Z|[+-]\\d\\d:\\d\\d) \\[main\\] DEBUG .*created repository.*")), "a log line with its time: " + debug.out());
        Result error = WalvaultProcess.of("init", "--log-level", "error", "--repo", dir.resolve("second").toUri().toString(),
                "--encryption", "none").withoutEnv("WALVAULT_REPO").timeout(SHORT).run();
        assertEquals(0, error.exitCode(), error.out());
        assertFalse(error.out().contains(" INFO "), "--log-level error hides INFO lines: " + error.out());
        assertTrue(error.out().contains("created repository"), "the command's own output stays: " + error.out());

        Path log = dir.resolve("walvault.log");
        Result quiet = WalvaultProcess.of("--log-file", log.toString(), "info", "--repo", repo).withoutEnv("WALVAULT_REPO")
                .env("WALVAULT_LOG_LEVEL", "warn").timeout(SHORT).run();
        assertEquals(0, quiet.exitCode(), quiet.out());
        assertFalse(quiet.out().contains(" INFO "), "warn hides INFO: " + quiet.out());
        assertTrue(Files.exists(log), "the log file is created");
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
    void backupAndRestoreKeepTheOptimisingCompilerOtherCommandsTheFirstTier(@org.junit.jupiter.api.io.TempDir Path dir)
            throws Exception {
        // a "java" that prints the options it was started with
        Path fakeJava = dir.resolve("java");
        java.nio.file.Files.writeString(fakeJava, "#!/bin/sh\necho \"$@\"\n");
        java.nio.file.Files.setPosixFilePermissions(fakeJava,
                java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        Path jar = java.nio.file.Files.writeString(dir.resolve("walvault.jar"), "");
        for (String command : List.of("backup", "info", "restore")) {
            Result r = WalvaultProcess.of(command, "--help").env("WALVAULT_JAVA", fakeJava.toString())
                    .env("WALVAULT_JAR", jar.toString()).env("WALVAULT_CDS_DIR", "off").timeout(SHORT).run();
            String out = r.out();
            assertEquals(0, r.exitCode(), out);
            assertTrue(out.contains("-jar " + jar + " " + command + " --help"), out);
            // the first tier alone has no AES-GCM, SHA-256 or CRC-32C intrinsics: backup and restore need the second
            assertEquals(command.equals("info"), out.contains("-XX:TieredStopAtLevel=1"), command + ": " + out);
        }
    }

    @Test
    void aCopyOfTheLauncherFindsTheJarBesideItselfOrInLib(@TempDir Path dir) throws Exception {
        for (String place : List.of("bin/walvault.jar", "lib/walvault.jar")) {
            Path home = dir.resolve(place.replace('/', '-'));
            Path launcher = Files.createDirectories(home.resolve("bin")).resolve("walvault");
            Files.copy(WalvaultProcess.executable(), launcher);
            Files.setPosixFilePermissions(launcher, PosixFilePermissions.fromString("rwx------"));
            Path jar = home.resolve(place);
            Files.createDirectories(jar.getParent());
            Files.createSymbolicLink(jar, WalvaultProcess.jar().toAbsolutePath());
            ProcessBuilder pb = new ProcessBuilder(launcher.toString(), "--version").redirectErrorStream(true);
            pb.environment().keySet().removeIf(k -> k.startsWith("WALVAULT_"));
            Process p = pb.start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), place);
            assertEquals(0, p.exitValue(), place + ": " + out);
            assertTrue(out.contains(Version.get()), place + ": " + out);
        }
    }

    @Test
    void onJava24AndNewerNoCommandWarnsOnStandardErrorAboutNativeCodeOrUnsafe(@TempDir Path dir) throws Exception {
        // Java 22+ warns when a library loads native code (lz4-java, Netty's epoll) and 24+ when Netty
        // uses sun.misc.Unsafe: lines on standard error, so in PostgreSQL's log for every hook call
        Optional<Path> java = NewerJava.find(24);
        Assumptions.assumeTrue(java.isPresent(), "no Java 24 or newer on this machine (" + NewerJava.WHERE + ")");
        Result init = WalvaultProcess.of("init", "--repo", dir.resolve("repo").toUri().toString(), "--encryption", "none")
                .env("WALVAULT_JAVA", java.get().toString()).withoutEnvStartingWith("WALVAULT_CDS").timeout(SHORT).run();
        assertEquals(0, init.exitCode(), init.out());
        // Netty's event loop is set up before the connection is refused
        Result check = WalvaultProcess.of("check", "--repo", dir.resolve("repo").toUri().toString(),
                        "--pg", "host=127.0.0.1 port=1 user=walvault connect_timeout=5")
                .env("WALVAULT_JAVA", java.get().toString()).env("WALVAULT_CDS_DIR", "off").timeout(SHORT).run();
        assertTrue(check.out().contains("FAILED  replication connection"), check.out());
        assertFalse(check.out().contains("WARNING"), java.get() + ": " + check.out());
    }

    @Test
    void aMissingJarIsAConfigurationErrorWithAHint() throws Exception {
        Result r = WalvaultProcess.of("--help").env("WALVAULT_JAR", "/nonexistent/walvault.jar").timeout(SHORT).run();
        assertEquals(3, r.exitCode(), r.out());
        assertTrue(r.out().contains("HINT: build it with"), r.out());
    }

    @Test
    void archivePushAnswersFromItsWorkersStatusWithoutStartingJava(@TempDir Path dir) throws Exception {
        Path wal = Files.createDirectories(dir.resolve("pg_wal/archive_status"));
        Path segment = Files.write(dir.resolve("pg_wal/000000010000000000000007"), new byte[8192]);
        Files.setLastModifiedTime(segment, FileTime.fromMillis(System.currentTimeMillis() - 60_000));
        Files.createFile(wal.resolve("000000010000000000000007.ready"));
        Path spool = Files.createDirectories(dir.resolve("pg_wal/.walvault/push"));
        Files.writeString(dir.resolve("postmaster.pid"), "1\n" + dir + "\n1765152000\n5432\n");
        Files.writeString(spool.resolve("../push.caller"), "archive-push --repo file:///r\n1 1765152000\n");
        Path ok = Files.writeString(spool.resolve("000000010000000000000007.ok"), "");

        // a worker of an earlier run of the server (killed, its answers left): not its answer; nor one that names none
        Files.writeString(dir.resolve("postmaster.pid"), "1\n" + dir + "\n1765152090\n5432\n");
        assertEquals(3, pushWithoutJar(dir, "--repo", "file:///r", "pg_wal/000000010000000000000007").exitCode());
        Files.writeString(dir.resolve("postmaster.pid"), "1\n" + dir + "\n1765152000\n5432\n");
        Files.writeString(spool.resolve("../push.caller"), "archive-push --repo file:///r\n");
        assertEquals(3, pushWithoutJar(dir, "--repo", "file:///r", "pg_wal/000000010000000000000007").exitCode());
        Files.writeString(spool.resolve("../push.caller"), "archive-push --repo file:///r\n1 1765152000\n");

        // a worker of another command line: not its answer (the missing jar shows that Java was asked)
        assertEquals(3, pushWithoutJar(dir, "--repo", "file:///other", "pg_wal/000000010000000000000007").exitCode());
        assertTrue(Files.exists(ok));
        // a file PostgreSQL is done with (pushed again by hand): Java pushes it
        Files.move(wal.resolve("000000010000000000000007.ready"), wal.resolve("000000010000000000000007.done"));
        assertEquals(3, pushWithoutJar(dir, "--repo", "file:///r", "pg_wal/000000010000000000000007").exitCode());
        Files.move(wal.resolve("000000010000000000000007.done"), wal.resolve("000000010000000000000007.ready"));
        // the file written since its push: Java
        Files.setLastModifiedTime(segment, FileTime.fromMillis(System.currentTimeMillis() + 60_000));
        assertEquals(3, pushWithoutJar(dir, "--repo", "file:///r", "pg_wal/000000010000000000000007").exitCode());
        Files.setLastModifiedTime(segment, FileTime.fromMillis(System.currentTimeMillis() - 60_000));

        // the worker's command line, the file ready and unchanged: 0 without Java; the .ok stays (no process to
        // remove it: the worker removes it once PostgreSQL has marked the file done), and answers a repeated call alike
        Result pushed = pushWithoutJar(dir, "--repo", "file:///r", "pg_wal/000000010000000000000007");
        assertEquals(0, pushed.exitCode(), pushed.out());
        assertTrue(Files.exists(ok));
        assertEquals(0, pushWithoutJar(dir, "--repo", "file:///r", "pg_wal/000000010000000000000007").exitCode());

        // the worker's failure (of a file it has not pushed): its exit code and message, at once, taken
        Files.delete(ok);
        Path error = Files.writeString(spool.resolve("000000010000000000000007.error"), "44\ncannot reach the store: timeout\n");
        Result failed = pushWithoutJar(dir, "--repo", "file:///r", "pg_wal/000000010000000000000007");
        assertEquals(44, failed.exitCode(), failed.out());
        assertTrue(failed.out().contains("walvault: cannot reach the store: timeout"), failed.out());
        assertTrue(Files.notExists(error));

        // an error beside an .ok (a push of the file again that failed): the error, as Java reads the spool
        Files.writeString(spool.resolve("000000010000000000000007.ok"), "");
        Files.writeString(spool.resolve("000000010000000000000007.error"), "44\ncannot reach the store: timeout\n");
        assertEquals(44, pushWithoutJar(dir, "--repo", "file:///r", "pg_wal/000000010000000000000007").exitCode());
    }

    @Test
    void archivePushWaitsForAFileTheWorkerIsPushingAndStillReportsWhyWhenItGivesUp(@TempDir Path dir) throws Exception {
        Path wal = Files.createDirectories(dir.resolve("pg_wal/archive_status"));
        Files.write(dir.resolve("pg_wal/000000010000000000000007"), new byte[8192]);
        Files.setLastModifiedTime(dir.resolve("pg_wal/000000010000000000000007"), FileTime.fromMillis(System.currentTimeMillis() - 60_000));
        Files.createFile(wal.resolve("000000010000000000000007.ready"));
        Path spool = Files.createDirectories(dir.resolve("pg_wal/.walvault/push"));
        Files.writeString(dir.resolve("postmaster.pid"), "77\n" + dir + "\n1765152000\n");
        Files.writeString(spool.resolve("../push.caller"), "archive-push --repo file:///r\n77 1765152000\n");
        Path pending = Files.writeString(spool.resolve("000000010000000000000007.pending"), "");
        Thread later = new Thread(() -> {
            try {
                Thread.sleep(400);
                Files.writeString(spool.resolve("000000010000000000000007.ok"), "");
                Files.delete(pending);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        later.start();
        Result waited = pushWithoutJar(dir, "--repo", "file:///r", "pg_wal/000000010000000000000007");
        later.join();
        assertEquals(0, waited.exitCode(), waited.out());
        Files.delete(spool.resolve("000000010000000000000007.ok")); // as the worker does once PostgreSQL marks it done

        // the worker does not answer in time: Java is asked, and what goes wrong there reaches PostgreSQL's log
        // (the launcher's first wait must not silence its standard error)
        Files.writeString(pending, "");
        Result slow = WalvaultProcess.of("archive-push", "--repo", "file:///r", "pg_wal/000000010000000000000007").in(dir)
                .env("WALVAULT_JAR", "/nonexistent/walvault.jar").env("WALVAULT_ARCHIVE_PUSH_WAIT_MS", "200")
                .withoutEnv("WALVAULT_REPO").timeout(SHORT).run();
        assertEquals(3, slow.exitCode(), slow.out());
        assertTrue(slow.out().contains("is missing or unreadable"), slow.out());

        // nothing pending: no wait beyond the moment a worker takes to mark a new file
        Files.delete(pending);
        long t0 = System.nanoTime();
        assertEquals(3, pushWithoutJar(dir, "--repo", "file:///r", "pg_wal/000000010000000000000007").exitCode());
        assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(5), "it waited for a file nobody is pushing");
    }

    @Test
    void shortLivedCommandsAskForTransparentHugePagesWhereTheKernelLeavesThemToTheProgram(@TempDir Path dir)
            throws Exception {
        Path thp = Path.of("/sys/kernel/mm/transparent_hugepage/enabled");
        boolean madvise = Files.isReadable(thp) && Files.readString(thp).contains("[madvise]");
        Path fakeJava = dir.resolve("java");
        Files.writeString(fakeJava, "#!/bin/sh\necho \"$@\"\n");
        Files.setPosixFilePermissions(fakeJava, PosixFilePermissions.fromString("rwx------"));
        Path jar = Files.writeString(dir.resolve("walvault.jar"), "");
        Files.createDirectories(dir.resolve("pg_wal"));
        Files.write(dir.resolve("pg_wal/000000010000000000000007"), new byte[8192]);
        Map<List<String>, Boolean> asks = Map.of(
                List.of("backup", "--help"), madvise,
                List.of("restore", "--help"), madvise,
                List.of("info", "--help"), madvise,
                List.of("archive-push", "--repo", "file:///r", "pg_wal/000000010000000000000007"), madvise,
                // long-lived: the first touch of their heap does not count, their RSS does
                List.of("agent", "--help"), false,
                List.of("archive-push", "--worker", "--repo", "file:///r", "pg_wal/000000010000000000000007"), false);
        for (Map.Entry<List<String>, Boolean> e : asks.entrySet()) {
            List<String> args = e.getKey();
            Result r = WalvaultProcess.of(args.toArray(String[]::new)).in(dir)
                    .env(Map.of("WALVAULT_JAVA", fakeJava.toString(), "WALVAULT_JAR", jar.toString(), "WALVAULT_CDS_DIR", "off"))
                    .withoutEnv("WALVAULT_JAVA_OPTS").timeout(SHORT).run();
            assertEquals(0, r.exitCode(), r.out());
            assertTrue(r.out().contains("-jar " + jar + " " + String.join(" ", args)), r.out());
            assertEquals(e.getValue(), r.out().contains("-XX:+UseTransparentHugePages"), args + " (madvise: " + madvise + "): "
                    + r.out());
        }
    }

    @Test
    void aZstdLibraryThatCannotLoadIsAConfigurationErrorThatSaysWhereAndWhatToDo(@TempDir Path dir) throws Exception {
        String repo = dir.resolve("repo").toUri().toString();
        Result init = WalvaultProcess.of("init", "--repo", repo, "--encryption", "none", "--compression", "zstd")
                .timeout(SHORT).run();
        assertEquals(0, init.exitCode(), init.out());
        String name = "000000010000000000000003";
        Files.createDirectories(dir.resolve("pg_wal"));
        Files.write(dir.resolve("pg_wal").resolve(name), WalSegments.segment(name, 16L << 20, 7L, 3));
        // zstd-jni unpacks its native library here first: a directory it cannot use, as /tmp mounted noexec is
        Path unusable = dir.resolve("no-such-directory");
        Result failed = WalvaultProcess.of("archive-push", "--repo", repo, "--look-ahead", "0", "pg_wal/" + name).in(dir)
                .env("WALVAULT_JAVA_OPTS", "-DZstdTempFolder=" + unusable).timeout(SHORT).run();
        assertEquals(ErrorCode.CONFIG.exitCode(), failed.exitCode(), failed.out());
        assertTrue(failed.out().contains("the zstd library's native code cannot be loaded"), failed.out());
        assertTrue(failed.out().contains("'" + unusable + "'"), failed.out());
        assertTrue(failed.out().contains("HINT: set WALVAULT_JAVA_OPTS=-DZstdTempFolder=DIR"), failed.out());
        assertFalse(failed.out().contains("Exception in thread"), failed.out());
        Result pushed = WalvaultProcess.of("archive-push", "--repo", repo, "--look-ahead", "0", "pg_wal/" + name).in(dir)
                .withoutEnv("WALVAULT_JAVA_OPTS").timeout(SHORT).run();
        assertEquals(0, pushed.exitCode(), pushed.out());
    }

    @Test
    void theHooksRunWithABoundedHeapAndTheirArgumentsUnchanged(@TempDir Path dir) throws Exception {
        Path calls = dir.resolve("calls");
        Path fakeJava = dir.resolve("java");
        Files.writeString(fakeJava, "#!/bin/sh\necho \"$*\" >> '" + calls + "'\n");
        Files.setPosixFilePermissions(fakeJava, PosixFilePermissions.fromString("rwx------"));
        Path jar = Files.writeString(dir.resolve("walvault.jar"), "");
        Files.createDirectories(dir.resolve("pg_wal"));
        Files.write(dir.resolve("pg_wal/000000010000000000000007"), new byte[8192]);
        Result r = WalvaultProcess.of("archive-push", "--repo", "file:///r", "pg_wal/000000010000000000000007").in(dir)
                .env(Map.of("WALVAULT_JAVA", fakeJava.toString(), "WALVAULT_JAR", jar.toString(), "WALVAULT_CDS_DIR", "off"))
                .timeout(SHORT).run();
        assertEquals(0, r.exitCode(), r.out());
        List<String> started = Files.readAllLines(calls);
        assertEquals(1, started.size(), started.toString());
        assertTrue(started.get(0).contains("-Xmx256m"), started.toString());
        assertTrue(started.get(0).endsWith("-jar " + jar + " archive-push --repo file:///r pg_wal/000000010000000000000007"),
                started.toString());
    }

    @Test
    void eachCommandsFirstSuccessfulRunAddsItsClassesToTheArchiveWhichEveryLaterRunMaps(@TempDir Path dir) throws Exception {
        Path calls = dir.resolve("calls");
        Path fakeJava = dir.resolve("java");
        // records its options; asked for the loaded classes, lists two (with a comment of its own,
        // as the JVM does); asked for a dump, writes the class list it was given as the archive;
        // 'status' fails with exit code 3
        Files.writeString(fakeJava, """
                #!/bin/bash
                echo "$*" >> 'CALLS'
                dump=0; list=; archive=; learn=; ok=
                for a in "$@"; do case "$a" in
                    -Xshare:dump) dump=1;;
                    -XX:SharedClassListFile=*) list="${a#*=}";;
                    -XX:SharedArchiveFile=*) archive="${a#*=}";;
                    -XX:DumpLoadedClassList=*) learn="${a#*=}";;
                    -Dwalvault.classes.learnt=*) ok="${a#*=}.ok";;
                esac; done
                if [[ $dump == 1 ]]; then cat "$list" > "$archive"; exit 0; fi
                if [[ -n $learn ]]; then printf '# NOTE: generated\\nio/walvault/cli/Main\\njava/lang/Object\\n' > "$learn"; fi
                if [[ " $* " == *" status "* ]]; then exit 3; fi
                if [[ -n $ok ]]; then : > "$ok"; fi
                exit 0
                """.replace("CALLS", calls.toString()));
        Files.setPosixFilePermissions(fakeJava, PosixFilePermissions.fromString("rwx------"));
        Path jar = Files.writeString(dir.resolve("walvault.jar"), "");
        Path cds = dir.resolve("cds");
        Map<String, String> env = Map.of("WALVAULT_JAVA", fakeJava.toString(), "WALVAULT_JAR", jar.toString(),
                "WALVAULT_CDS_DIR", cds.toString());
        Files.createDirectories(dir.resolve("pg_wal"));
        Files.write(dir.resolve("pg_wal/000000010000000000000007"), new byte[8192]);
        Path earlierJars = Files.writeString(Files.createDirectories(cds).resolve("walvault-1-2-3-4.jsa"), "x");
        Files.setLastModifiedTime(earlierJars, FileTime.from(java.time.Instant.now().minus(Duration.ofDays(40))));
        Files.writeString(cds.resolve("walvault-4-5-6-7.jsa"), "x");
        Path killedHalfway = Files.writeString(cds.resolve(".walvault-1-2-3-4.99.classlist"), "java/lang/Object\n");
        Files.setLastModifiedTime(killedHalfway, FileTime.from(java.time.Instant.now().minus(Duration.ofDays(2))));

        // --help is not learnt, and there is nothing to map yet
        assertEquals(0, WalvaultProcess.of("restore", "--help").in(dir).env(env).timeout(SHORT).run().exitCode());
        assertEquals(1, Files.readAllLines(calls).size());
        assertFalse(Files.readAllLines(calls).get(0).contains("DumpLoadedClassList")
                || Files.readAllLines(calls).get(0).contains("SharedArchiveFile"), Files.readAllLines(calls).toString());

        // the first successful info records its classes, and an archive is dumped from them in the background
        assertEquals(0, WalvaultProcess.of("info", "--repo", "file:///r").in(dir).env(env).timeout(SHORT).run().exitCode());
        Path jsa = awaitArchive(cds, List.of("# command: info", "io/walvault/cli/Main", "java/lang/Object"), earlierJars);
        Path classList = cds.resolve(jsa.getFileName().toString().replace(".jsa", ".classlist"));
        List<String> started = Files.readAllLines(calls);
        assertEquals(3, started.size(), started.toString());
        assertTrue(started.get(1).contains("-XX:DumpLoadedClassList=" + cds) && !started.get(1).contains("-XX:SharedArchiveFile"),
                started.get(1));
        assertTrue(started.get(2).contains("-Xshare:dump -XX:SharedClassListFile=" + classList), started.get(2));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(classList)), "owner-only");

        // a later info maps the archive and learns nothing more
        assertEquals(0, WalvaultProcess.of("info", "--repo", "file:///r").in(dir).env(env).timeout(SHORT).run().exitCode());
        started = Files.readAllLines(calls);
        assertEquals(4, started.size(), started.toString());
        assertTrue(started.get(3).contains("-XX:SharedArchiveFile=" + jsa) && !started.get(3).contains("DumpLoadedClassList"),
                started.get(3));

        // a failed run is not learnt: the next run of that command records its classes again
        for (int i = 0; i < 2; i++) {
            assertEquals(3, WalvaultProcess.of("status", "--repo", "file:///r").in(dir).env(env).timeout(SHORT).run().exitCode());
        }
        started = Files.readAllLines(calls);
        assertEquals(6, started.size(), started.toString());
        assertTrue(started.get(4).contains("DumpLoadedClassList") && started.get(5).contains("DumpLoadedClassList"), started.toString());

        // the first archive-push maps the archive, adds its classes (each class once) and a new archive replaces the old
        assertEquals(0, WalvaultProcess.of("archive-push", "--repo", "file:///r", "pg_wal/000000010000000000000007").in(dir)
                .env(env).timeout(SHORT).run().exitCode());
        assertEquals(jsa, awaitArchive(cds, List.of("# command: info", "io/walvault/cli/Main", "java/lang/Object",
                "# command: archive-push"), earlierJars));
        started = Files.readAllLines(calls);
        assertTrue(started.get(6).contains("-XX:SharedArchiveFile=" + jsa) && started.get(6).contains("DumpLoadedClassList"),
                started.get(6));
        try (var files = Files.list(cds)) {
            List<String> left = files.map(f -> f.getFileName().toString()).sorted().toList();
            assertEquals(List.of(classList.getFileName().toString(), jsa.getFileName().toString(), "walvault-4-5-6-7.jsa"), left,
                    "an earlier jar's archive left for 40 days is removed, a recent one of another installation stays,"
                            + " and no temporary file is left, not even that of a learning killed two days ago");
        }
    }

    /**
     * Waits for the launcher's background dump to have written the archive of a class list that
     * reads {@code classes}, and for the learning to have ended: its own temporary files and
     * {@code stale} removed, which it does after the archive's rename.
     */
    private static Path awaitArchive(Path cds, List<String> classes, Path stale) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < deadline) {
            try (var files = Files.list(cds)) {
                Optional<Path> list = files.filter(f -> f.getFileName().toString().matches("walvault-([0-9]+-){5}[0-9]+\\.classlist"))
                        .findFirst();
                if (list.isPresent() && Files.readAllLines(list.get()).equals(classes) && !Files.exists(stale)) {
                    Path jsa = cds.resolve(list.get().getFileName().toString().replace(".classlist", ".jsa"));
                    boolean ended;
                    try (var temporary = Files.list(cds)) {
                        ended = temporary.noneMatch(f -> f.getFileName().toString().startsWith("."));
                    }
                    if (ended && Files.exists(jsa) && Files.readAllLines(jsa).equals(classes)) {
                        return jsa;
                    }
                }
            }
            Thread.sleep(50);
        }
        try (var files = Files.list(cds)) {
            throw new AssertionError("no class archive of " + classes + " in " + cds + ": " + files.toList());
        }
    }

    @Test
    void theClassArchiveHoldsPicocliSoThatACommandLineIsParsedFromMappedClasses(@TempDir Path dir) throws Exception {
        Path cds = dir.resolve("cds");
        Result init = WalvaultProcess.of("init", "--repo", dir.resolve("repo").toUri().toString(), "--encryption", "none")
                .env("WALVAULT_CDS_DIR", cds.toString()).withoutEnv("WALVAULT_JAVA_OPTS").timeout(SHORT).run();
        assertEquals(0, init.exitCode(), init.out());
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!hasArchive(cds) && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        assertTrue(hasArchive(cds), "no class archive in " + cds);
        // init loads classes the jar holds in two versions (Bouncy Castle's): mapped from the archive, a Java
        // agent or the flight recorder would be handed the wrong bytes, or crash the JVM for a class that has no
        // unversioned copy (the JDBC driver's LazyCleanerImpl$CleanableWrapper did, in backup and status)
        Set<String> versioned = LearntClasses.versionedClasses(Optional.of(WalvaultProcess.jar()));
        assertTrue(versioned.contains("org/bouncycastle/util/Arrays"), "the jar is no longer multi-release: " + versioned.size());
        List<String> listed;
        try (var files = Files.list(cds)) {
            Path list = files.filter(f -> f.getFileName().toString().matches("walvault-.*\\.classlist")).findFirst().orElseThrow();
            listed = Files.readAllLines(list);
        }
        assertTrue(listed.size() > 1000 && listed.contains("picocli/CommandLine"), "init's classes: " + listed.size());
        assertEquals(List.of(), listed.stream().filter(line -> versioned.stream().anyMatch(line::contains)).toList(),
                "classes of META-INF/versions/ in the class list");
        // -Xshare:on: the JVM refuses to start unless it maps the archive
        Result version = WalvaultProcess.of("--version").env("WALVAULT_CDS_DIR", cds.toString())
                .env("WALVAULT_JAVA_OPTS", "-Xshare:on -Xlog:class+load=info").timeout(SHORT).run();
        assertEquals(0, version.exitCode(), version.out());
        assertTrue(version.out().contains("picocli.CommandLine$Model$CommandSpec source: shared objects file"), version.out());
    }

    private static boolean hasArchive(Path cds) throws IOException {
        try (var files = Files.list(cds)) {
            return files.anyMatch(f -> f.getFileName().toString().matches("walvault-.*\\.jsa"));
        }
    }

    private static Result pushWithoutJar(Path cwd, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("archive-push"));
        cmd.addAll(List.of(args));
        return WalvaultProcess.of(cmd).in(cwd).env("WALVAULT_JAR", "/nonexistent/walvault.jar").withoutEnv("WALVAULT_REPO")
                .timeout(SHORT).run();
    }

    @Test
    void archiveGetAnswersFromItsWorkersSpoolWithoutStartingJava(@TempDir Path dir) throws Exception {
        Path spool = Files.createDirectories(dir.resolve("pg_wal/.walvault/get"));
        Files.writeString(spool.resolve("../get.caller"), "archive-get --repo file:///r\n");
        Files.writeString(spool.resolve("000000010000000000000009"), "segment");

        // another command line than the worker's: Java is asked (the missing jar shows it)
        assertJavaAsked(run(dir, "archive-get", "--repo", "file:///other", "000000010000000000000009", "pg_wal/RECOVERYXLOG"));
        assertJavaAsked(run(dir, "archive-get", "--repo", "file:///r", "--system-identifier", "42", "000000010000000000000009",
                "pg_wal/RECOVERYXLOG"));
        // nothing in the spool for it: Java, at once
        assertJavaAsked(run(dir, "archive-get", "--repo", "file:///r", "00000001000000000000000A", "pg_wal/RECOVERYXLOG"));

        // ready: renamed to %p
        Result ok = run(dir, "archive-get", "--repo", "file:///r", "000000010000000000000009", "pg_wal/RECOVERYXLOG");
        assertEquals(0, ok.exitCode(), ok.out());
        assertEquals("segment", Files.readString(dir.resolve("pg_wal/RECOVERYXLOG")));
        assertTrue(Files.notExists(spool.resolve("000000010000000000000009")));

        // the end of the archive as the worker saw it: 76, taken
        Files.writeString(spool.resolve("00000001000000000000000A.missing"), "");
        Result end = run(dir, "archive-get", "--repo", "file:///r", "00000001000000000000000A", "pg_wal/RECOVERYXLOG");
        assertEquals(76, end.exitCode(), end.out());
        assertTrue(end.out().contains("'00000001000000000000000A' is not in the archive"), end.out());
        assertTrue(Files.notExists(spool.resolve("00000001000000000000000A.missing")));

        // what the worker could not deliver stops recovery, with the worker's reason
        Files.writeString(spool.resolve("00000001000000000000000A.error"), "150\ncannot restore WAL file '00000001000000000000000A':"
                + " checksum mismatch\n");
        Result stopped = run(dir, "archive-get", "--repo", "file:///r", "00000001000000000000000A", "pg_wal/RECOVERYXLOG");
        assertEquals(150, stopped.exitCode(), stopped.out());
        assertTrue(stopped.out().contains("checksum mismatch"), stopped.out());

        // a restored server's hand-over records what recovery asked for, with the postmaster's pid and start time
        Files.writeString(dir.resolve("pg_wal/.walvault-restore.plan"), "walvault-recovery-plan 1\n"
                + "end 00000001000000000000000E\n");
        Files.writeString(dir.resolve("postmaster.pid"), "1\n" + dir + "\n1765152000\n5432\n");
        Files.writeString(spool.resolve("00000001000000000000000C"), "segment 0C");
        Result taken = run(dir, "archive-get", "--repo", "file:///r", "00000001000000000000000C", "pg_wal/RECOVERYXLOG");
        assertEquals(0, taken.exitCode(), taken.out());
        assertEquals("00000001000000000000000C 1 1765152000\n", Files.readString(dir.resolve("pg_wal/.walvault-restore.asked")));
        // a postmaster.pid shorter than the server's: the fields it lacks are 0, and the hand-over still happens
        Files.writeString(dir.resolve("postmaster.pid"), "4242\n" + dir + "\n");
        Files.writeString(spool.resolve("00000001000000000000000D"), "segment 0D");
        taken = run(dir, "archive-get", "--repo", "file:///r", "00000001000000000000000D", "pg_wal/RECOVERYXLOG");
        assertEquals(0, taken.exitCode(), taken.out());
        assertEquals("00000001000000000000000D 4242 0\n", Files.readString(dir.resolve("pg_wal/.walvault-restore.asked")));
        assertTrue(Files.notExists(spool.resolve("00000001000000000000000D")));
        // the plan's last segment is copied, not moved: recovery reads it once more at its end
        Files.writeString(spool.resolve("00000001000000000000000E"), "segment 0E");
        for (int read = 0; read < 2; read++) {
            Files.deleteIfExists(dir.resolve("pg_wal/RECOVERYXLOG"));
            Result last = run(dir, "archive-get", "--repo", "file:///r", "00000001000000000000000E", "pg_wal/RECOVERYXLOG");
            assertEquals(0, last.exitCode(), last.out());
            assertEquals("segment 0E", Files.readString(dir.resolve("pg_wal/RECOVERYXLOG")));
            assertEquals("segment 0E", Files.readString(spool.resolve("00000001000000000000000E")));
        }
        // timeline 1 never has a history file: no JVM to say so
        Result noHistory = run(dir, "archive-get", "--repo", "file:///other", "00000001.history", "pg_wal/RECOVERYHISTORY");
        assertEquals(76, noHistory.exitCode(), noHistory.out());
    }

    @Test
    void archiveGetStartsTheWorkerTheRestoreAskedForOnceInTheBackground(@TempDir Path dir) throws Exception {
        Path spool = Files.createDirectories(dir.resolve("pg_wal/.walvault/get"));
        Files.writeString(spool.resolve("../get.caller"), "archive-get --repo file:///r\n");
        Path request = Files.writeString(spool.resolve("../get.start"), ""); // what walvault restore leaves
        Files.writeString(spool.resolve("000000010000000000000009"), "segment 09");
        Files.writeString(spool.resolve("00000001000000000000000A"), "segment 0A");
        // a "java" that records its arguments, and takes its time as a JVM does: the call must not wait for it
        Path args = dir.resolve("java-args");
        Path java = Files.writeString(dir.resolve("java"), "#!/bin/sh\nsleep 2\nprintf '%s\\n' \"$@\" > " + args + ".tmp && mv "
                + args + ".tmp " + args + "\n");
        Files.setPosixFilePermissions(java, PosixFilePermissions.fromString("rwx------"));
        Map<String, String> env = Map.of("WALVAULT_JAVA", java.toString(), "WALVAULT_JAR",
                Files.writeString(dir.resolve("walvault.jar"), "").toString());

        long t0 = System.nanoTime();
        Result first = run(dir, env, "archive-get", "--repo", "file:///r", "000000010000000000000009", "pg_wal/RECOVERYXLOG");
        long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        assertEquals(0, first.exitCode(), first.out());
        assertEquals("segment 09", Files.readString(dir.resolve("pg_wal/RECOVERYXLOG")));
        assertFalse(Files.exists(request), "the request is taken");
        assertTrue(tookMs < 1800, "the call waited for the worker it started: " + tookMs + " ms");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (Files.notExists(args)) {
            assertTrue(System.nanoTime() < deadline, "no worker was started");
            Thread.sleep(20);
        }
        List<String> argv = Files.readAllLines(args);
        assertEquals(List.of("archive-get", "--repo", "file:///r", "000000010000000000000009", "pg_wal/RECOVERYXLOG", "--worker"),
                argv.subList(argv.indexOf("-jar") + 2, argv.size()), "the call's own arguments, as a Java call starts it");
        Files.delete(args);

        Result second = run(dir, env, "archive-get", "--repo", "file:///r", "00000001000000000000000A", "pg_wal/RECOVERYXLOG");
        assertEquals(0, second.exitCode(), second.out());
        Thread.sleep(3000);
        assertFalse(Files.exists(args), "a worker is started once per request");
    }

    @Test
    void theEndOfRecoveryRemovesTheSpoolAndTheRestoresPrivateFilesWithoutStartingJava(@TempDir Path dir) throws Exception {
        Path walDir = Files.createDirectories(dir.resolve("pg_wal"));
        Files.createDirectories(walDir.resolve(".walvault/get"));
        Files.writeString(walDir.resolve(".walvault/get/000000010000000000000009"), "segment");
        Files.writeString(walDir.resolve(".walvault/get.caller"), "archive-get --repo file:///r\n");
        for (String f : List.of(".walvault-restore.conf", ".walvault-restore.passphrase", ".walvault-restore.plan")) {
            Files.writeString(walDir.resolve(f), "private");
        }
        Files.createDirectories(walDir.resolve("archive_status"));
        Files.writeString(walDir.resolve("000000020000000000000009"), "the server's own WAL");

        Result r = run(dir, "archive-get", "--end-of-recovery"); // the jar is missing: Java would fail
        assertEquals(0, r.exitCode(), r.out());
        assertTrue(r.out().contains("recovery ended"), r.out());
        try (var left = Files.list(walDir)) {
            assertEquals(List.of("000000020000000000000009", "archive_status"),
                    left.map(p -> p.getFileName().toString()).sorted().toList());
        }
        // run again (PostgreSQL may): nothing left to remove is no failure
        assertEquals(0, run(dir, "archive-get", "--end-of-recovery").exitCode());
        // not in a data directory: Java says what is wrong
        assertJavaAskedWhateverTheStatus(run(dir.resolve("pg_wal"), "archive-get", "--end-of-recovery"));
    }

    /** The call went to Java (the missing jar's message), with whatever status the launcher gives it. */
    private static void assertJavaAskedWhateverTheStatus(Result r) {
        assertTrue(r.out().contains("is missing or unreadable"), r.out());
    }

    @Test
    void archiveGetWaitsForASegmentTheWorkerIsFetching(@TempDir Path dir) throws Exception {
        Path spool = Files.createDirectories(dir.resolve("pg_wal/.walvault/get"));
        Files.writeString(spool.resolve("../get.caller"), "archive-get --repo file:///r\n");
        Path pending = Files.writeString(spool.resolve("00000001000000000000000B.pending"), "");
        Thread later = new Thread(() -> {
            try {
                Thread.sleep(400);
                Path tmp = Files.writeString(spool.resolve(".00000001000000000000000B.777-1.tmp"), "segment 0B");
                Files.move(tmp, spool.resolve("00000001000000000000000B"), StandardCopyOption.ATOMIC_MOVE);
                Files.delete(pending);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        later.start();
        Result waited = run(dir, "archive-get", "--repo", "file:///r", "00000001000000000000000B", "pg_wal/RECOVERYXLOG");
        later.join();
        assertEquals(0, waited.exitCode(), waited.out());
        assertEquals("segment 0B", Files.readString(dir.resolve("pg_wal/RECOVERYXLOG")));

        // a fetch that does not end in time: Java is asked, and its failure still reaches PostgreSQL's log
        Files.writeString(spool.resolve("00000001000000000000000C.pending"), "");
        assertJavaAsked(run(dir, Map.of("WALVAULT_ARCHIVE_GET_WAIT_MS", "200"), "archive-get", "--repo", "file:///r",
                "00000001000000000000000C", "pg_wal/RECOVERYXLOG"));
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
