package io.walvault.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.walvault.cli.WalvaultProcess.Result;
import io.walvault.core.error.ErrorCode;
import io.walvault.core.wal.Lsn;
import io.walvault.core.wal.WalSegmentName;
import io.walvault.restore.recovery.ShellQuote;
import io.walvault.testkit.PgCluster;
import io.walvault.testkit.PgHarness;
import io.walvault.testkit.PgTest;
import io.walvault.testkit.ServerUser;
import io.walvault.testkit.WriteLoad;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * {@code walvault restore} end to end, with the built executable: a backup taken under a write
 * load with {@code walvault backup} (its WAL archived by {@code archive-push}) is restored to
 * the end of the backup and to the end of the archive, each with its tablespace moved by
 * {@code --tablespace-map}, and started by PostgreSQL (running as its own user, fetching WAL
 * through the restore_command walvault wrote) with the primary's data. The restore runs with
 * the passphrase in its environment only, so the restored server can reach the repository only
 * through what restore wrote for it. Then what must fail does, with its exit code and nothing
 * startable left: a dry run writes nothing, a non-empty directory is refused, a wrong passphrase,
 * a corrupted bundle, a missing WAL segment (found at plan time, before anything is written).
 */
class RestoreIT {

    static final String PASSPHRASE = "a long enough passphrase";

    /** A primary archiving into an encrypted repository, with a tablespace, backed up under load. */
    static final class Fixture {
        final PgHarness harness;
        final Path scratch;
        final Path jar;
        final Path conf;
        final String repoUri;
        final Path repoDir;
        final Path tablespace;
        final PgCluster pg;

        Fixture(PgHarness harness) throws Exception {
            this.harness = harness;
            scratch = harness.scratchDirectory("restore");
            jar = WalvaultProcess.sharedJar();
            repoDir = scratch.resolve("repo");
            repoUri = repoDir.toUri().toString();
            Path pass = scratch.resolve("pass");
            Files.writeString(pass, PASSPHRASE + "\n");
            Files.setPosixFilePermissions(pass, PosixFilePermissions.fromString("rw-------"));
            conf = scratch.resolve("walvault.conf");
            Files.writeString(conf, "repo = " + repoUri + "\nencryption = passphrase\npassphrase-file = " + pass + "\n");
            Files.setPosixFilePermissions(conf, PosixFilePermissions.fromString("rw-------"));
            assertEquals(0, Main.run(new String[] {"init", "--config", conf.toString()}, new PrintWriter(new StringWriter()),
                    new PrintWriter(new StringWriter())));
            ServerUser.get().adopt(scratch);
            tablespace = harness.scratchDirectory("tblspc");
            String walvault = ShellQuote.word(WalvaultProcess.executable().toString());
            pg = harness.cluster().name("primary")
                    .setting("archive_mode", "on")
                    .setting("archive_command", walvault + " archive-push --config " + ShellQuote.word(conf.toString()) + " %p")
                    .env("WALVAULT_JAR", jar.toString())
                    .env("WALVAULT_CDS_DIR", WalvaultProcess.sharedClassArchives().toString())
                    .start();
            pg.execute("CREATE TABLESPACE wv_ts LOCATION '" + tablespace + "'",
                    "CREATE TABLE t (id int PRIMARY KEY, v int NOT NULL)",
                    "INSERT INTO t SELECT g, 0 FROM generate_series(1, 50000) g",
                    "CREATE TABLE t2 (id int PRIMARY KEY, v text) TABLESPACE wv_ts",
                    "INSERT INTO t2 SELECT g, md5(g::text) FROM generate_series(1, 20000) g",
                    "CREATE TABLE after_backup (id int)",
                    // one relation file larger than the restoring JVM's heap (WALVAULT_JAVA_OPTS below)
                    "CREATE TABLE big (id int, v text)",
                    "INSERT INTO big SELECT g, repeat(md5(g::text), 8) FROM generate_series(1, 400000) g",
                    "CREATE ROLE wv_backup LOGIN REPLICATION PASSWORD 'backup pw'");
        }

        /** {@code walvault backup} in-process, under a write load. */
        void backup() throws Exception {
            StringWriter out = new StringWriter();
            StringWriter err = new StringWriter();
            int rc;
            try (WriteLoad load = new WriteLoad(pg, "t", 50000)) {
                rc = Main.run(new String[] {"backup", "--config", conf.toString(), "--pg", "host=127.0.0.1 port=" + pg.port()
                        + " user=wv_backup password='backup pw' sslmode=disable", "--checkpoint", "fast"},
                        new PrintWriter(out, true), new PrintWriter(err, true));
                assertTrue(load.updates() > 0, "the write load made no update");
            }
            assertEquals(0, rc, out + "\n" + err);
            // the backup ran as this process's user: the server's archive_command must read what it stored
            ServerUser.get().adopt(scratch);
        }

        /** Writes rows after the backup and waits until their WAL is archived. */
        void writeAfterBackupAndArchive() throws Exception {
            writeAndArchive("INSERT INTO after_backup SELECT generate_series(1, 1000)", "SELECT pg_switch_wal()",
                    "SELECT pg_create_restore_point('after-first-thousand')",
                    "INSERT INTO after_backup SELECT generate_series(1001, 2000)");
        }

        /** Runs {@code sql}, switches to a new WAL segment and waits until the one written last is archived. */
        void writeAndArchive(String... sql) throws Exception {
            pg.execute(sql);
            String last = pg.queryString("SELECT pg_walfile_name(pg_current_wal_lsn())");
            pg.execute("SELECT pg_switch_wal()");
            Instant deadline = Instant.now().plusSeconds(120);
            while (true) {
                String archived = pg.queryString("SELECT coalesce(last_archived_wal, '') FROM pg_stat_archiver");
                if (archived.length() == 24 && archived.compareTo(last) >= 0) {
                    return;
                }
                if (Instant.now().isAfter(deadline)) {
                    throw new AssertionError("'" + last + "' not archived in time\n" + pg.logTail(40));
                }
                Thread.sleep(200);
            }
        }

        long systemId() {
            return Long.parseUnsignedLong(pg.queryString("SELECT system_identifier FROM pg_control_system()"));
        }

        /** Runs bin/walvault as this (root) process with the repository given by flags and the passphrase by environment. */
        Result walvault(Map<String, String> env, String... args) throws Exception {
            return WalvaultProcess.of(args).withoutEnvStartingWith("WALVAULT_").env("WALVAULT_JAR", jar.toString())
                    .env("WALVAULT_PASSPHRASE", PASSPHRASE)
                    // memory must not grow with the data: the largest file and bundle are bigger than this heap
                    .env("WALVAULT_JAVA_OPTS", "-Xmx96m")
                    .env(env).timeout(Duration.ofSeconds(300)).run();
        }

        Result restore(Path pgdata, String... more) throws Exception {
            List<String> args = new ArrayList<>(List.of("restore", "--repo", repoUri, "--encryption", "passphrase",
                    "--pgdata", pgdata.toString(), "--archive-mode", "off"));
            args.addAll(Arrays.asList(more));
            return walvault(Map.of(), args.toArray(String[]::new));
        }

        /** Starts a server on a restored directory and waits for recovery to end. */
        PgCluster start(String name, Path data, Path tablespace) {
            ServerUser.get().adopt(tablespace);
            PgCluster c = harness.cluster().name(name).dataDirectory(data).env("WALVAULT_JAR", jar.toString())
                    .env("WALVAULT_CDS_DIR", WalvaultProcess.sharedClassArchives().toString()).create();
            c.startNoWait();
            PgCluster.RecoveryOutcome outcome = c.awaitRecoveryEnd(Duration.ofSeconds(180));
            assertEquals(PgCluster.RecoveryOutcome.PROMOTED, outcome, c.logSinceStart());
            return c;
        }
    }

    @PgTest
    void restoresToTheEndOfTheBackupAndOfTheArchiveAndFailsSafely(PgHarness harness) throws Exception {
        Fixture f = new Fixture(harness);
        f.backup();
        f.writeAfterBackupAndArchive();
        String t2 = f.pg.queryString("SELECT count(*) || ':' || md5(string_agg(v, ',' ORDER BY id)) FROM t2");

        // --dry-run: the plan, nothing written
        Path dry = harness.scratchDirectory("dry").resolve("data");
        Result plan = f.restore(dry, "--dry-run", "--target", "immediate", "--tablespace-map", f.tablespace + "=" + dry + "-ts");
        assertEquals(0, plan.exitCode(), plan.out());
        assertTrue(plan.out().contains("restore plan for cluster " + Long.toUnsignedString(f.systemId())), plan.out());
        assertTrue(plan.out().contains("all in the archive"), plan.out());
        assertTrue(plan.out().contains("tablespace "), plan.out());
        assertTrue(plan.out().contains("-> '" + dry + "-ts'"), plan.out());
        assertFalse(Files.exists(dry), "a dry run created the data directory");

        // a restore point: found in the archived WAL at plan time; one that does not exist is refused
        Result named = f.restore(dry, "--dry-run", "--target-name", "after-first-thousand", "--tablespace-map", f.tablespace + "=" + dry + "-ts");
        assertEquals(0, named.exitCode(), named.out());
        assertTrue(named.out().contains("restore point 'after-first-thousand': recovery stops after the record at"), named.out());
        Result noSuchName = f.restore(dry, "--dry-run", "--target-name", "no-such-point", "--tablespace-map", f.tablespace + "=" + dry + "-ts");
        assertEquals(ErrorCode.TARGET_UNREACHABLE.exitCode(), noSuchName.exitCode(), noSuchName.out());
        assertTrue(noSuchName.out().contains("'no-such-point' is not in the archived WAL"), noSuchName.out());
        assertFalse(Files.exists(dry), "a dry run created the data directory");

        // the tablespace's original directory is the primary's: refused, nothing written
        Path refused = harness.scratchDirectory("refused").resolve("data");
        Result inUse = f.restore(refused, "--target", "immediate");
        assertEquals(ErrorCode.RESTORE_TARGET_NOT_EMPTY.exitCode(), inUse.exitCode(), inUse.out());
        assertTrue(inUse.out().contains("'" + f.tablespace + "' is not empty"), inUse.out());
        assertFalse(Files.exists(refused));

        // a non-empty data directory: refused, left as it was
        Path busy = harness.scratchDirectory("busy");
        Files.writeString(busy.resolve("precious"), "keep me");
        Result notEmpty = f.restore(busy, "--target", "immediate", "--tablespace-map", f.tablespace + "=" + busy + "-ts");
        assertEquals(ErrorCode.RESTORE_TARGET_NOT_EMPTY.exitCode(), notEmpty.exitCode(), notEmpty.out());
        assertTrue(notEmpty.out().contains("HINT: restore into a new or empty directory"), notEmpty.out());
        // at once, not after the key, the plan and the manifest
        assertFalse(notEmpty.out().contains("restore plan for cluster"), notEmpty.out());
        // a dry run there shows its plan, then says what would stop the restore
        Result dryNotEmpty = f.restore(busy, "--dry-run", "--target", "immediate", "--tablespace-map", f.tablespace + "=" + busy + "-ts");
        assertEquals(ErrorCode.RESTORE_TARGET_NOT_EMPTY.exitCode(), dryNotEmpty.exitCode(), dryNotEmpty.out());
        assertTrue(dryNotEmpty.out().contains("restore plan for cluster"), dryNotEmpty.out());
        assertTrue(dryNotEmpty.out().contains("HINT: restore into a new or empty directory"), dryNotEmpty.out());
        try (Stream<Path> s = Files.list(busy)) {
            assertEquals(List.of(busy.resolve("precious")), s.toList());
        }

        // --target immediate: the data as of the end of the backup, the tablespace at its new place
        Path immediateTs = harness.scratchDirectory("immediate-ts");
        Path immediate = harness.scratchDirectory("immediate").resolve("data");
        Result first = f.restore(immediate, "--target", "immediate", "--target-action", "promote",
                "--tablespace-map", f.tablespace + "=" + immediateTs, "--jobs", "2");
        assertEquals(0, first.exitCode(), first.out());
        assertTrue(first.out().contains("restore complete: "), first.out());
        assertTrue(first.out().contains("pg_ctl -D " + immediate + " start"), first.out());
        assertRestoredLayout(immediate);
        first.out().lines().filter(l -> l.startsWith("restore complete")).forEach(l -> System.out.println("RestoreIT " + l));
        PgCluster a = f.start("immediate", immediate, immediateTs);
        assertEquals("50000", a.queryString("SELECT count(*) FROM t"));
        assertEquals("400000", a.queryString("SELECT count(*) FROM big"));
        assertEquals(t2, a.queryString("SELECT count(*) || ':' || md5(string_agg(v, ',' ORDER BY id)) FROM t2"));
        assertEquals("0", a.queryString("SELECT count(*) FROM after_backup"));
        assertEquals(immediateTs.toString(), a.queryString("SELECT pg_tablespace_location(oid) FROM pg_tablespace WHERE spcname = 'wv_ts'"));
        a.stop();

        // no target: all archived WAL replayed, through the restore_command walvault wrote
        Path endTs = harness.scratchDirectory("end-ts");
        Path end = harness.scratchDirectory("end").resolve("data");
        Result second = f.restore(end, "--tablespace-map", f.tablespace + "=" + endTs);
        assertEquals(0, second.exitCode(), second.out());
        PgCluster b = f.start("end", end, endTs);
        assertEquals("2000", b.queryString("SELECT count(*) FROM after_backup"));
        assertEquals(t2, b.queryString("SELECT count(*) || ':' || md5(string_agg(v, ',' ORDER BY id)) FROM t2"));
        assertTrue(b.logSinceStart().contains("restored log file"), b.logSinceStart());
        b.stop();

        // a wrong passphrase: refused before anything is written
        Path wrongKey = harness.scratchDirectory("wrong-key").resolve("data");
        Result wrong = f.walvault(Map.of("WALVAULT_PASSPHRASE", "not the passphrase"), "restore", "--repo", f.repoUri,
                "--pgdata", wrongKey.toString(), "--tablespace-map", f.tablespace + "=" + wrongKey + "-ts");
        assertEquals(ErrorCode.WRONG_KEY.exitCode(), wrong.exitCode(), wrong.out());
        assertFalse(Files.exists(wrongKey));

        // a corrupted bundle: the object named, the directory left marked and unstartable
        Path bundle = largest(f.repoDir.resolve("clusters"), "/data/");
        byte[] original = Files.readAllBytes(bundle);
        byte[] damaged = original.clone();
        damaged[damaged.length / 2] ^= 0x40;
        Files.write(bundle, damaged);
        Path corruptTs = harness.scratchDirectory("corrupt-ts");
        Path corrupt = harness.scratchDirectory("corrupt").resolve("data");
        Result bad = f.restore(corrupt, "--tablespace-map", f.tablespace + "=" + corruptTs);
        Files.write(bundle, original);
        assertEquals(ErrorCode.CORRUPT_DATA.exitCode(), bad.exitCode(), bad.out());
        assertTrue(bad.out().contains(bundle.getFileName().toString()), bad.out());
        assertTrue(bad.out().contains("will not start"), bad.out());
        assertUnstartable(corrupt);

        // a WAL segment missing after the backup: named at plan time, nothing written (two more segments archived
        // first, so that the gap lies after the restore point's segment and before the archive's end)
        String afterPoint = f.pg.queryString("SELECT pg_walfile_name(pg_current_wal_lsn())"); // the restore point's was switched from
        f.writeAndArchive("INSERT INTO after_backup SELECT generate_series(2001, 2100)", "SELECT pg_switch_wal()",
                "INSERT INTO after_backup SELECT generate_series(2101, 2200)");
        List<String> segments = walObjects(f.repoDir.resolve("clusters"));
        String victim = segments.get(segments.size() - 2);
        assertTrue(victim.compareTo(afterPoint) >= 0, victim + " " + afterPoint + " " + segments);
        Path victimObject;
        try (Stream<Path> s = Files.walk(f.repoDir.resolve("clusters"))) {
            victimObject = s.filter(p -> p.getFileName().toString().startsWith(victim)).findFirst().orElseThrow();
        }
        Files.delete(victimObject);
        Path gap = harness.scratchDirectory("gap").resolve("data");
        Result missing = f.restore(gap, "--tablespace-map", f.tablespace + "=" + gap + "-ts");
        assertEquals(ErrorCode.WAL_GAP.exitCode(), missing.exitCode(), missing.out());
        assertTrue(missing.out().contains("'" + victim + "'"), missing.out());
        assertFalse(Files.exists(gap), "planning a restore that cannot succeed wrote its directory");
        // the refusal says how to recover everything before the gap: a target at the last whole record there
        java.util.regex.Matcher lsn = java.util.regex.Pattern.compile("restore with --target-lsn ([0-9A-F]+/[0-9A-F]+) ")
                .matcher(missing.out());
        assertTrue(lsn.find(), missing.out());
        // with the newest commit before the gap, which the rows written just before it are
        java.util.regex.Matcher newest = java.util.regex.Pattern.compile("the newest commit before it is at ([0-9TZ:.-]+)\\)")
                .matcher(missing.out());
        assertTrue(newest.find(), missing.out());
        java.time.Instant newestCommit = java.time.Instant.parse(newest.group(1));
        assertTrue(newestCommit.isAfter(java.time.Instant.now().minus(java.time.Duration.ofMinutes(10)))
                && !newestCommit.isAfter(java.time.Instant.now()), newest.group(1));
        Result toLast = f.restore(gap, "--dry-run", "--target-lsn", lsn.group(1), "--tablespace-map", f.tablespace + "=" + gap + "-ts");
        assertEquals(0, toLast.exitCode(), toLast.out());
        assertTrue(Lsn.parse(lsn.group(1)).isBefore(WalSegmentName.parse(victim, WalSegmentName.DEFAULT_SEGMENT_SIZE).startLsn()),
                lsn.group(1) + " " + victim);
        // a target before the gap is reached as ever (it used to be refused: the search for it planned to the archive's end)
        Result beforeGap = f.restore(gap, "--dry-run", "--target-name", "after-first-thousand", "--tablespace-map",
                f.tablespace + "=" + gap + "-ts");
        assertEquals(0, beforeGap.exitCode(), beforeGap.out());
        assertTrue(beforeGap.out().contains("restore point 'after-first-thousand': recovery stops after the record at"),
                beforeGap.out());
        // one the WAL before the gap does not hold: the gap is why
        Result pastGap = f.restore(gap, "--dry-run", "--target-name", "no-such-point", "--tablespace-map", f.tablespace + "=" + gap + "-ts");
        assertEquals(ErrorCode.WAL_GAP.exitCode(), pastGap.exitCode(), pastGap.out());
        assertTrue(pastGap.out().contains("up to WAL segment '" + victim + "', which is missing from the archive"), pastGap.out());
        assertFalse(Files.exists(gap), "a dry run created the data directory");

        // and both, restored and started: the restore point's rows, and every row archived before the gap
        Path pointTs = harness.scratchDirectory("before-gap-ts");
        Path point = harness.scratchDirectory("before-gap").resolve("data");
        Result atPoint = f.restore(point, "--target-name", "after-first-thousand", "--target-action", "promote",
                "--tablespace-map", f.tablespace + "=" + pointTs);
        assertEquals(0, atPoint.exitCode(), atPoint.out());
        PgCluster p = f.start("before-gap", point, pointTs);
        assertEquals("1000", p.queryString("SELECT count(*) FROM after_backup"));
        p.stop();
        Path lastTs = harness.scratchDirectory("to-gap-ts");
        Path last = harness.scratchDirectory("to-gap").resolve("data");
        Result toGap = f.restore(last, "--target-lsn", lsn.group(1), "--target-action", "promote",
                "--tablespace-map", f.tablespace + "=" + lastTs);
        assertEquals(0, toGap.exitCode(), toGap.out());
        PgCluster l = f.start("to-gap", last, lastTs);
        // the rows of the segment the gap is (2001-2100) and after it are not there; all before it are
        assertEquals("2000", l.queryString("SELECT count(*) FROM after_backup"));
        assertEquals(t2, l.queryString("SELECT count(*) || ':' || md5(string_agg(v, ',' ORDER BY id)) FROM t2"));
        l.stop();
    }

    /** What a successful restore leaves: startable, owner-only, accounted for. */
    static void assertRestoredLayout(Path data) throws Exception {
        assertTrue(Files.exists(data.resolve("backup_label")));
        assertTrue(Files.exists(data.resolve("recovery.signal")));
        assertTrue(Files.exists(data.resolve("backup_manifest")));
        assertFalse(Files.exists(data.resolve("walvault-restore.incomplete")));
        assertTrue(Files.isDirectory(data.resolve("pg_wal/archive_status")));
        assertTrue(Files.isDirectory(data.resolve("pg_notify")));
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(data)));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(data.resolve("PG_VERSION"))));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(data.resolve("pg_wal/.walvault-restore.conf"))));
        String auto = Files.readString(data.resolve("postgresql.auto.conf"));
        assertTrue(auto.contains("restore_command = '"), auto);
        assertFalse(auto.contains(PASSPHRASE), "the passphrase is in restore_command");
    }

    static void assertUnstartable(Path data) {
        assertTrue(Files.exists(data.resolve("walvault-restore.incomplete")));
        assertFalse(Files.exists(data.resolve("recovery.signal")));
        assertFalse(Files.exists(data.resolve("backup_label")));
    }

    /** The largest object whose key contains {@code part}. */
    static Path largest(Path dir, String part) throws Exception {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).filter(p -> p.toString().contains(part))
                    .max((x, y) -> Long.compare(x.toFile().length(), y.toFile().length())).orElseThrow();
        }
    }

    /** Archived segment names, sorted. */
    static List<String> walObjects(Path dir) throws Exception {
        Map<String, Boolean> names = new HashMap<>();
        try (Stream<Path> s = Files.walk(dir)) {
            s.map(p -> p.getFileName().toString()).filter(n -> n.matches("[0-9A-F]{24}\\..*") && !n.contains(".partial")
                    && !n.contains(".backup")).forEach(n -> names.put(n.substring(0, 24), true));
        }
        return names.keySet().stream().sorted().toList();
    }
}
