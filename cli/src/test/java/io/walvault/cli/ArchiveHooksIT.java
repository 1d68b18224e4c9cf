package io.walvault.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.walvault.core.config.RepositorySettings;
import io.walvault.core.config.Settings;
import io.walvault.core.error.ErrorCode;
import io.walvault.core.pipeline.OutputStreamSink;
import io.walvault.core.repo.Repositories;
import io.walvault.core.repo.Repository;
import io.walvault.core.repo.WalArchive;
import io.walvault.core.wal.WalFileName;
import io.walvault.restore.recovery.RecoveryConfigWriter;
import io.walvault.restore.recovery.RecoverySettings;
import io.walvault.restore.recovery.RecoveryTarget;
import io.walvault.restore.recovery.ShellQuote;
import io.walvault.restore.recovery.TargetAction;
import io.walvault.restore.recovery.TargetTimeline;
import io.walvault.testkit.PgCluster;
import io.walvault.testkit.PgHarness;
import io.walvault.testkit.PgTest;
import io.walvault.testkit.ServerUser;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

/**
 * The built executable as PostgreSQL's archive_command and restore_command, run by the servers
 * (as their own unprivileged user): every segment archived byte for byte, through kill -9 in the
 * middle of a push (of a call, and of the push worker), then replayed by a copy of the server
 * through archive-get, through kill -9 of the fetch worker.
 */
class ArchiveHooksIT {

    @PgTest
    void archivesEverySegmentThroughKillsAndRecoversACopyFromTheArchive(PgHarness pg) throws Exception {
        Path scratch = pg.scratchDirectory("hooks");
        Path jar = WalvaultProcess.sharedJar();
        Path repoDir = scratch.resolve("repo");
        String repoUri = repoDir.toUri().toString();
        RepositorySettings rs = RepositorySettings.from(Settings.load(Map.of("repo", repoUri, "encryption", "none"), null, Map.of()));
        Repositories.create(rs).close();
        Files.createDirectories(scratch.resolve("killed"));
        // archive_command: the first push of two segments is killed (-9) once its object is being written
        // (with --look-ahead 0 the call has no worker and pushes itself)
        Path archiveScript = scratch.resolve("archive.sh");
        String walvault = WalvaultProcess.executable().toString();
        Files.writeString(archiveScript, String.join("\n",
                "#!/bin/bash",
                "p=\"$1\"; f=\"$(basename \"$p\")\"; k=" + ShellQuote.word(scratch.resolve("killed").toString()),
                "if [[ \"$f\" =~ ^[0-9A-F]{24}$ && ! -e \"$k/$f\" && $(ls \"$k\" | wc -l) -lt 2 ]]; then",
                "  touch \"$k/$f\"",
                "  " + ShellQuote.word(walvault) + " archive-push --look-ahead 0 --repo " + ShellQuote.word(repoUri) + " \"$p\" &",
                "  pid=$!",
                "  # polled with shell builtins only (a process per poll would miss a write of a few milliseconds)",
                "  shopt -s globstar nullglob dotglob",
                "  while kill -0 $pid 2>/dev/null; do",
                "    t=( " + ShellQuote.word(repoDir.toString()) + "/**/.*\"$f\"*.tmp )",
                "    if (( ${#t[@]} )); then",
                "      kill -9 $pid; echo \"$f\" >> \"$k.log\"; break",
                "    fi",
                "  done",
                "  wait $pid; exit 1",
                "fi",
                "exec " + ShellQuote.word(walvault) + " archive-push --repo " + ShellQuote.word(repoUri) + " \"$p\"",
                ""));
        Files.setPosixFilePermissions(archiveScript, PosixFilePermissions.fromString("rwx------"));
        ServerUser.get().adopt(scratch);

        PgCluster source = pg.cluster().name("source")
                .setting("archive_mode", "on")
                .setting("archive_command", ShellQuote.word(archiveScript.toString()) + " %p")
                .setting("wal_keep_size", "1GB")
                .env("WALVAULT_JAR", jar.toString())
                .env("WALVAULT_CDS_DIR", WalvaultProcess.sharedClassArchives().toString())
                .start();
        source.execute("CREATE TABLE t (id int, pad text)");
        load(source, 0, 4);
        source.stop();

        // a cold copy stands in for a base backup
        Path copyDir = pg.scratchDirectory("copy");
        Path copy = copyDir.resolve("data");
        PgCluster.copyDataDirectory(source.dataDirectory(), copy);

        // the push worker is killed (-9) once while a push of it is being written
        source.start();
        WorkerKiller pushKiller = WorkerKiller.start(source.dataDirectory().resolve("pg_wal/.walvault/push.pid"),
                () -> inFlight(repoDir));
        load(source, 4, 8);
        String last = source.queryString("SELECT pg_walfile_name(pg_current_wal_lsn() - 1)");
        source.execute("SELECT pg_switch_wal()");
        source.awaitArchived(last, Duration.ofMinutes(2));
        String expected = source.queryString("SELECT count(*) || ':' || sum(id) FROM t");
        long systemId = Long.parseUnsignedLong(source.queryString("SELECT system_identifier FROM pg_control_system()"));
        source.stop();

        // the first successful call recorded the hooks' classes, and a class archive of them was
        // dumped in the background for the later calls to map
        // (other tests' commands may have dumped an archive into the shared directory before: wait
        // for this command's classes, not for any archive)
        Path cds = WalvaultProcess.sharedClassArchives();
        Instant deadline = Instant.now().plus(Duration.ofSeconds(60));
        while (!learnt(cds, "archive-push") && Instant.now().isBefore(deadline)) {
            Thread.sleep(100);
        }
        List<Path> learnt = classArchives(cds);
        assertEquals(1, learnt.stream().filter(p -> p.getFileName().toString().endsWith(".jsa")).count(), learnt.toString());
        Path classList = learnt.stream().filter(p -> p.getFileName().toString().endsWith(".classlist")).findFirst().orElseThrow();
        assertTrue(Files.readAllLines(classList).contains("# command: archive-push"), classList.toString());

        // two pushes were killed in the middle and retried by PostgreSQL
        List<String> killed = Files.readAllLines(scratch.resolve("killed.log"));
        assertFalse(killed.isEmpty(), "no push was killed mid-write");

        // every segment PostgreSQL has archived is in the repository, byte for byte
        List<String> done = new ArrayList<>();
        try (Stream<Path> s = Files.list(source.dataDirectory().resolve("pg_wal/archive_status"))) {
            s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".done"))
                    .map(n -> n.substring(0, n.length() - 5)).sorted().forEach(done::add);
        }
        assertTrue(done.containsAll(killed), done + " " + killed);
        try (Repository repo = Repositories.open(rs)) {
            WalArchive wal = repo.cluster(systemId).wal();
            List<String> archived = wal.list().map(WalFileName::name).sorted().toList();
            for (String n : done) {
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                wal.get(WalFileName.parse(n), new OutputStreamSink(out, false));
                assertArrayEquals(Files.readAllBytes(source.dataDirectory().resolve("pg_wal/" + n)), out.toByteArray(), n);
            }
            assertTrue(archived.containsAll(done), archived + " " + done);
            // no gap: the archived segments are consecutive up to the last one switched out
            List<String> segs = archived.stream().filter(n -> n.length() == 24).toList();
            assertTrue(segs.contains(last), segs + " lacks " + last);
            for (int i = 1; i < segs.size(); i++) {
                assertEquals(Long.parseLong(segs.get(i - 1).substring(16), 16) + 1, Long.parseLong(segs.get(i).substring(16), 16),
                        "gap after " + segs.get(i - 1));
            }
        }

        // a file the archive lacks: the not-found code, fast
        Instant t0 = Instant.now();
        WalvaultProcess.Result probe = WalvaultProcess.of("archive-get", "--repo", repoUri, "--system-identifier",
                Long.toUnsignedString(systemId), "00000009.history", scratch.resolve("probe").toString()).run();
        assertEquals(ErrorCode.WAL_NOT_ARCHIVED.exitCode(), probe.exitCode(), probe.out());
        assertTrue(Duration.between(t0, Instant.now()).toSeconds() < 10, "not-found took " + Duration.between(t0, Instant.now()));

        // the copy replays the archived WAL through archive-get and ends with the source's data
        RecoveryConfigWriter.write(copy, new RecoverySettings(ShellQuote.word(walvault) + " archive-get --repo "
                + ShellQuote.word(repoUri) + " %f %p", "", new RecoveryTarget.EndOfArchive(), true, TargetAction.PROMOTE,
                TargetTimeline.latest(), true));
        PgCluster restored = pg.cluster().name("restored").dataDirectory(copy).env("WALVAULT_JAR", jar.toString()).create();
        // the fetch worker is killed (-9) once while it fetches ahead
        Path getSpool = copy.resolve("pg_wal/.walvault/get");
        WorkerKiller getKiller = WorkerKiller.start(copy.resolve("pg_wal/.walvault/get.pid"), () -> anyPending(getSpool));
        restored.startNoWait();
        assertEquals(PgCluster.RecoveryOutcome.PROMOTED, restored.awaitRecoveryEnd(Duration.ofSeconds(120)), restored.logSinceStart());
        assertTrue(pushKiller.stop(), "the push worker was never killed at work");
        assertTrue(getKiller.stop(), "the fetch worker was never killed at work");
        assertEquals(expected, restored.queryString("SELECT count(*) || ':' || sum(id) FROM t"));
        assertTrue(restored.logSinceStart().contains("restored log file \"" + last + "\" from archive"), restored.logSinceStart());
    }

    /** Whether a write of a segment is under way in the repository. */
    private static boolean inFlight(Path repoDir) {
        try (Stream<Path> all = Files.walk(repoDir)) {
            return all.anyMatch(p -> p.getFileName().toString().matches("\\.[0-9A-F]{24}.*\\.tmp"));
        } catch (IOException | UncheckedIOException e) {
            return false;
        }
    }

    /** Whether the fetch worker marked a segment it is fetching. */
    private static boolean anyPending(Path getSpool) {
        try (Stream<Path> all = Files.list(getSpool)) {
            return all.anyMatch(p -> p.getFileName().toString().endsWith(".pending"));
        } catch (IOException | UncheckedIOException e) {
            return false;
        }
    }

    /** Kills (-9) the worker its pid file names, once, as soon as {@code atWork} says it is at work. */
    private static final class WorkerKiller {
        private final Thread thread;
        private final AtomicBoolean killed = new AtomicBoolean();
        private volatile boolean stop;

        private WorkerKiller(Path pidFile, BooleanSupplier atWork) {
            thread = new Thread(() -> {
                while (!stop && !killed.get()) {
                    try {
                        if (Files.exists(pidFile) && atWork.getAsBoolean()) {
                            long pid = Long.parseLong(Files.readString(pidFile).strip());
                            ProcessHandle.of(pid).ifPresent(h -> killed.set(h.destroyForcibly()));
                        }
                    } catch (IOException | NumberFormatException e) {
                        // the worker is starting or ending: look again
                    }
                    Thread.onSpinWait();
                }
            }, "worker-killer");
            thread.setDaemon(true);
        }

        static WorkerKiller start(Path pidFile, BooleanSupplier atWork) {
            WorkerKiller k = new WorkerKiller(pidFile, atWork);
            k.thread.start();
            return k;
        }

        /** Stops looking; returns whether it killed the worker. */
        boolean stop() throws InterruptedException {
            stop = true;
            thread.join(10_000);
            return killed.get();
        }
    }

    /** Rows {@code from} to {@code to} (thousands), a WAL switch after each thousand. */
    private static void load(PgCluster pg, int from, int to) {
        for (int i = from; i < to; i++) {
            pg.execute("INSERT INTO t SELECT g, repeat('x', 300) FROM generate_series(" + (i * 1000 + 1) + ", " + (i + 1) * 1000 + ") g",
                    "SELECT pg_switch_wal()");
        }
    }


    /** The class archives and lists of the shared jar (bin/walvault names them walvault-JAR-JAVA.*). */
    /** Whether the class list in {@code cds} holds {@code command}'s classes and an archive was dumped. */
    private static boolean learnt(Path cds, String command) throws IOException {
        List<Path> files = classArchives(cds);
        if (files.stream().noneMatch(p -> p.getFileName().toString().endsWith(".jsa"))) {
            return false;
        }
        for (Path p : files) {
            if (p.getFileName().toString().endsWith(".classlist") && Files.readAllLines(p).contains("# command: " + command)) {
                return true;
            }
        }
        return false;
    }

    private static List<Path> classArchives(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.getFileName().toString().matches("walvault-[0-9-]+\\.(jsa|classlist)")).toList();
        }
    }
}
