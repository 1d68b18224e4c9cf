package io.walvault.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.walvault.cli.WalvaultProcess.Result;
import io.walvault.core.wal.Lsn;
import io.walvault.restore.recovery.ShellQuote;
import io.walvault.testkit.PgCluster;
import io.walvault.testkit.PgHarness;
import io.walvault.testkit.PgTest;
import io.walvault.testkit.ServerUser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The incident every DBA fears, on real servers: a backup at T0, writes, a moment T1 whose
 * data is recorded exactly, a destructive {@code DELETE} at T2; {@code walvault restore} to T1
 * by time, LSN, transaction id and restore point (and to the end of the backup) must give back
 * exactly the data of that moment, nothing after it and nothing missing. Then the restored
 * server, promoted onto a new timeline and archiving, writes more, and a restore to a point on
 * that new timeline follows it. The targets PostgreSQL reads alike on every major (the end of the
 * backup, an LSN, the start of a segment excluded, a transaction id with pause) run on the newest
 * major of the run only; time, restore point and the new timeline on every major. The first commit
 * after the time target is a record of more than 1 MiB that continues into the next segment.
 *
 * <p>Everything a DBA would run goes through the built executable ({@code bin/walvault}); the
 * restored servers fetch their WAL through {@code walvault archive-get} as restore_command, run
 * by PostgreSQL as its own unprivileged user.
 */
class PointInTimeRecoveryIT {

    private static final String WALVAULT = WalvaultProcess.executable().toString();

    /** The tables' contents, exactly: an md5 of every row of each, in key order. */
    private static final String CHECKSUMS = "SELECT (SELECT md5(string_agg(a::text, ',' ORDER BY id)) FROM accounts a)"
            + " || ' ' || (SELECT md5(coalesce(string_agg(h::text, ',' ORDER BY id), '')) FROM history h)"
            + " || ' ' || (SELECT count(*) FROM accounts) || ' ' || (SELECT count(*) FROM history)";

    private static final int WIDE_TABLE_COUNT = 30;
    private static final String WIDE_TABLES = "SELECT count(*) FROM pg_class WHERE relname LIKE 'wide\\_%'";

    @PgTest
    void restoresExactlyTheMomentBeforeTheDeleteByEveryKindOfTarget(PgHarness pg) throws Exception {
        Path scratch = pg.scratchDirectory("pitr");
        Path jar = WalvaultProcess.sharedJar();
        Path pass = scratch.resolve("passphrase");
        Files.writeString(pass, "correct horse battery staple, twice\n");
        Path conf = scratch.resolve("walvault.conf");
        Files.writeString(conf, "repo = " + scratch.resolve("repo").toUri() + "\nencryption = passphrase\npassphrase-file = " + pass + "\n");
        for (Path p : List.of(pass, conf)) {
            Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rw-------"));
        }
        ServerUser.get().adopt(scratch);
        Result init = walvault(jar, "init", "--config", conf.toString());
        assertEquals(0, init.exitCode(), init.out());
        String archiveCommand = ShellQuote.word(WALVAULT) + " archive-push --config " + ShellQuote.word(conf.toString()) + " %p";

        PgCluster source = pg.cluster().name("source")
                .setting("archive_mode", "on")
                .setting("archive_command", archiveCommand)
                .setting("wal_level", "replica")
                .setting("max_prepared_transactions", "2")
                .env("WALVAULT_JAR", jar.toString())
                .env("WALVAULT_CDS_DIR", WalvaultProcess.sharedClassArchives().toString())
                .start();
        source.execute("CREATE ROLE wv_backup LOGIN REPLICATION PASSWORD 'backup pw'",
                "CREATE TABLE accounts (id int PRIMARY KEY, balance bigint NOT NULL, note text NOT NULL)",
                "CREATE TABLE history (id bigserial PRIMARY KEY, aid int NOT NULL, delta int NOT NULL, pad text NOT NULL)",
                "INSERT INTO accounts SELECT g, 0, md5(g::text) FROM generate_series(1, 20000) g");

        // T0: the backup, on a quiet server so that its end state is known exactly
        String atBackup = source.queryString(CHECKSUMS);
        Result backup = walvault(jar, "backup", "--config", conf.toString(), "--pg", "host=127.0.0.1 port=" + source.port()
                + " user=wv_backup password='backup pw' sslmode=disable", "--checkpoint", "fast", "--label", "t0", "--progress", "lines");
        assertEquals(0, backup.exitCode(), backup.out());

        // writes after the backup, over several WAL segments; the last transaction's id is the xid target
        String targetXid = writeTransactions(source, 0, 300);
        source.execute("SELECT pg_switch_wal()");
        targetXid = writeTransactions(source, 300, 400);
        String atTargetXid = source.queryString(CHECKSUMS);
        // the last transaction before T1 is a prepared one: COMMIT PREPARED runs in a session without a transaction
        // id of its own and names the prepared transaction in its record's data, which recovery_target_xid matches
        String preparedXid;
        try (Connection c = source.connect(); Statement s = c.createStatement()) {
            s.execute("BEGIN");
            try (ResultSet rs = s.executeQuery("SELECT pg_current_xact_id()::text")) {
                rs.next();
                preparedXid = rs.getString(1);
            }
            s.execute("SAVEPOINT a");
            s.executeUpdate("UPDATE accounts SET balance = balance + 1000 WHERE id = 1");
            s.execute("PREPARE TRANSACTION 'wv_before_t1'");
            s.execute("COMMIT PREPARED 'wv_before_t1'");
        }

        // T1: the moment to come back to, recorded four ways, with the data's exact checksums
        String atT1 = source.queryString(CHECKSUMS);
        String targetLsn = source.queryString("SELECT pg_create_restore_point('wv_before_delete')");
        String targetTime = source.queryString("SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00'");
        // and a fifth way: the start of the next segment, excluded (recovery stops before that segment's first record
        // and ends in the segment before, where it replayed its last)
        long segmentSize = 16L << 20;
        Lsn switched = Lsn.parse(source.queryString("SELECT pg_switch_wal()"));
        Lsn nextSegment = Lsn.of((switched.value() + segmentSize - 1) / segmentSize * segmentSize);
        Thread.sleep(50);

        // the first commit after T1 is a record over 1 MiB: the time search must read its commit time to stop there
        long bigCommit = wideTablesInOneCommit(source);
        assertTrue(bigCommit > 1 << 20, "the commit record took only " + bigCommit + " bytes");
        assertEquals(String.valueOf(WIDE_TABLE_COUNT), source.queryString(WIDE_TABLES));

        // after T1: more writes, then T2, the destructive DELETE, then more writes
        writeTransactions(source, 400, 450);
        source.execute("DELETE FROM accounts WHERE id % 3 = 0");
        writeTransactions(source, 450, 500);
        // and a whole segment after the DELETE's: timeline 1's archive goes on past any branch made at T1
        source.execute("SELECT pg_switch_wal()");
        writeTransactions(source, 500, 520);
        assertNotEquals(atT1, source.queryString(CHECKSUMS));
        String last = source.queryString("SELECT pg_walfile_name(pg_current_wal_lsn())");
        source.execute("SELECT pg_switch_wal()");
        source.awaitArchived(last, Duration.ofMinutes(2));

        boolean everyTarget = pg.version().newestSelected();
        // the end of the backup
        if (everyTarget) {
            PgCluster immediate = restoreAndStart(pg, jar, conf, "immediate", PgCluster.RecoveryOutcome.PROMOTED, false,
                    "--target", "immediate", "--target-action", "promote");
            assertEquals(atBackup, immediate.queryString(CHECKSUMS));
            immediate.close();
        }

        // T1 by time, by LSN, by transaction id (paused there, read-only)
        PgCluster byTime = restoreAndStart(pg, jar, conf, "time", PgCluster.RecoveryOutcome.PROMOTED, false,
                "--target-time", targetTime, "--target-action", "promote");
        assertEquals(atT1, byTime.queryString(CHECKSUMS));
        assertEquals("0", byTime.queryString(WIDE_TABLES), "recovery went past the large commit after the target");
        byTime.close();
        // a time the archive does not reach: the search beside the extraction refuses it (72) as planning
        // first did, and takes back everything it wrote
        Path beyond = pg.scratchDirectory("restore-beyond").resolve("data");
        Result refused = walvault(jar, "restore", "--config", conf.toString(), "--pgdata", beyond.toString(), "--target-time",
                "2999-01-01 00:00:00+00");
        assertEquals(72, refused.exitCode(), refused.out());
        assertTrue(refused.out().contains("searched for in the archived WAL while the backup is restored"), refused.out());
        assertTrue(refused.out().contains("is not in the archived WAL"), refused.out());
        try (Stream<Path> left = Files.exists(beyond) ? Files.list(beyond) : Stream.empty()) {
            assertEquals(List.of(), left.toList(), "left behind by a refused restore");
        }
        if (everyTarget) {
            PgCluster byLsn = restoreAndStart(pg, jar, conf, "lsn", PgCluster.RecoveryOutcome.PROMOTED, false,
                    "--target-lsn", targetLsn, "--target-action", "promote");
            assertEquals(atT1, byLsn.queryString(CHECKSUMS));
            byLsn.close();
            PgCluster bySegmentStart = restoreAndStart(pg, jar, conf, "segment-start", PgCluster.RecoveryOutcome.PROMOTED, false,
                    "--target-lsn", nextSegment.toString(), "--target-exclusive", "--target-action", "promote");
            assertEquals(atT1, bySegmentStart.queryString(CHECKSUMS));
            bySegmentStart.close();
            PgCluster byXid = restoreAndStart(pg, jar, conf, "xid", PgCluster.RecoveryOutcome.PAUSED, false,
                    "--target-xid", targetXid, "--target-action", "pause");
            assertEquals(atTargetXid, byXid.queryString(CHECKSUMS));
            assertEquals("t", byXid.queryString("SELECT pg_is_in_recovery()"));
            byXid.close();
            PgCluster byPreparedXid = restoreAndStart(pg, jar, conf, "prepared-xid", PgCluster.RecoveryOutcome.PROMOTED, false,
                    "--target-xid", preparedXid, "--target-action", "promote");
            assertEquals(atT1, byPreparedXid.queryString(CHECKSUMS));
            byPreparedXid.close();
        }

        // T1 by restore point; this server, promoted onto a new timeline, archives into the repository
        PgCluster byName = restoreAndStart(pg, jar, conf, "name", PgCluster.RecoveryOutcome.PROMOTED, true,
                "--target-name", "wv_before_delete", "--target-action", "promote");
        assertEquals(atT1, byName.queryString(CHECKSUMS));
        String newTimeline = byName.queryString("SELECT timeline_id FROM pg_control_checkpoint()");
        assertNotEquals("1", newTimeline);
        source.stop();

        // the timeline test: writes on the new timeline, a restore point there, archived; restore to it
        writeTransactions(byName, 1000, 1100);
        String onNewTimeline = byName.queryString(CHECKSUMS);
        byName.queryString("SELECT pg_create_restore_point('wv_on_new_timeline')");
        writeTransactions(byName, 1100, 1120);
        String lastOnNew = byName.queryString("SELECT pg_walfile_name(pg_current_wal_lsn())");
        byName.execute("SELECT pg_switch_wal()");
        byName.awaitArchived(lastOnNew, Duration.ofMinutes(2));
        byName.close();
        // timeline 1's archive goes on past the branch: verify and info say so (what a recovery that ended short
        // and was promoted anyway leaves behind), and verify still passes: this branch is the target asked for
        String branched = "timeline " + newTimeline + " branched from timeline 1 at ";
        Result info = walvault(jar, "info", "--config", conf.toString());
        assertTrue(info.out().contains(branched), info.out());
        // timeline 1's WAL past the branch (longer than timeline 2's so far) is no gap on the way to timeline 2
        assertFalse(info.out().contains("is missing from the archive"), info.out());
        Result verify = walvault(jar, "verify", "--config", conf.toString());
        assertEquals(0, verify.exitCode(), verify.out());
        assertTrue(verify.out().contains("warning: " + branched) && verify.out().contains("1 warning above"), verify.out());
        PgCluster onNew = restoreAndStart(pg, jar, conf, "new-timeline", PgCluster.RecoveryOutcome.PROMOTED, false,
                "--target-name", "wv_on_new_timeline", "--target-action", "promote");
        assertEquals(onNewTimeline, onNew.queryString(CHECKSUMS));
        assertTrue(onNew.logSinceStart().contains("restored log file \"" + String.format("%08X", Integer.parseInt(newTimeline))),
                "no WAL of timeline " + newTimeline + " was replayed:\n" + onNew.logSinceStart());
        onNew.close();
    }

    /**
     * {@code walvault restore} into a new directory with the given target flags, then a server
     * started on it until recovery ends as {@code expected}. Unless {@code archiving}, the restore
     * turns the copy's archiving off (so that test servers do not archive into the repository
     * the later restores read); otherwise it keeps the source's archive_command.
     */
    private static PgCluster restoreAndStart(PgHarness pg, Path jar, Path conf, String name, PgCluster.RecoveryOutcome expected,
                                             boolean archiving, String... target) throws Exception {
        Path data = pg.scratchDirectory("restore-" + name).resolve("data");
        List<String> args = new ArrayList<>(List.of("restore", "--config", conf.toString(), "--pgdata", data.toString()));
        args.addAll(List.of(target));
        if (!archiving) {
            args.addAll(List.of("--archive-mode", "off"));
        }
        Result r = walvault(jar, args.toArray(String[]::new));
        assertEquals(0, r.exitCode(), "walvault " + String.join(" ", args) + "\n" + r.out());
        assertTrue(Files.exists(data.resolve("recovery.signal")), r.out());
        String settings = Files.readString(data.resolve("postgresql.auto.conf"));
        assertTrue(settings.contains("restore_command"), settings);
        assertEquals(archiving, !settings.contains("archive_mode = 'off'"), settings);
        // the restore fetched the first WAL ahead, for this restore_command
        Path spool = data.resolve("pg_wal/.walvault");
        String first;
        try (Stream<Path> ready = Files.list(spool.resolve("get"))) {
            first = ready.map(p -> p.getFileName().toString()).filter(n -> n.matches("[0-9A-F]{24}")).sorted().findFirst()
                    .orElseThrow(() -> new AssertionError("no WAL fetched ahead by the restore:\n" + r.out()));
        }
        assertTrue(settings.contains(Files.readString(spool.resolve("get.caller")).strip()), settings);
        PgCluster restored = pg.cluster().name(name).dataDirectory(data).env("WALVAULT_JAR", jar.toString()).create();
        restored.startNoWait();
        PgCluster.RecoveryOutcome outcome = restored.awaitRecoveryEnd(Duration.ofSeconds(180));
        String log = restored.logSinceStart();
        assertEquals(expected, outcome, "restore " + name + ":\n" + r.out() + "\n" + log);
        int served = log.indexOf("restored log file \"" + first + "\" from archive");
        assertTrue(served >= 0, log);
        int byJava = log.indexOf("restored '" + first + "'");
        assertTrue(byJava < 0 || byJava > served, "a JVM fetched what the restore had fetched ahead:\n" + log);
        return restored;
    }

    /**
     * One transaction whose commit record exceeds 1 MiB: tables of 1,500 columns created together
     * log every column's catalog invalidations in the commit record (wal_level replica). Returns
     * the bytes of WAL the commit wrote.
     */
    private static long wideTablesInOneCommit(PgCluster pg) throws SQLException {
        StringBuilder columns = new StringBuilder("c0 int");
        for (int i = 1; i < 1500; i++) {
            columns.append(", c").append(i).append(" int");
        }
        try (Connection c = pg.connect(); Statement s = c.createStatement()) {
            c.setAutoCommit(false);
            for (int t = 0; t < WIDE_TABLE_COUNT; t++) {
                s.execute("CREATE TABLE wide_" + t + " (" + columns + ")");
            }
            String before;
            try (ResultSet rs = s.executeQuery("SELECT pg_current_wal_insert_lsn()::text")) {
                rs.next();
                before = rs.getString(1);
            }
            c.commit();
            c.setAutoCommit(true);
            try (ResultSet rs = s.executeQuery("SELECT (pg_current_wal_insert_lsn() - '" + before + "'::pg_lsn)::bigint")) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    /**
     * Transactions {@code from} (inclusive) to {@code to} (exclusive), each moving money between
     * two accounts and logging it with some padding (so the WAL spans segments); returns the id
     * of the last one.
     */
    private static String writeTransactions(PgCluster pg, int from, int to) throws Exception {
        String xid = null;
        try (Connection c = pg.connect(); Statement s = c.createStatement()) {
            c.setAutoCommit(false);
            for (int i = from; i < to; i++) {
                int a = 1 + (i * 7919) % 20000;
                int b = 1 + (i * 104729) % 20000;
                s.executeUpdate("UPDATE accounts SET balance = balance - " + i + " WHERE id = " + a);
                s.executeUpdate("UPDATE accounts SET balance = balance + " + i + " WHERE id = " + b);
                s.executeUpdate("INSERT INTO history (aid, delta, pad) SELECT " + a + ", " + i + ", repeat(md5(g::text), 20)"
                        + " FROM generate_series(1, 40) g");
                try (ResultSet rs = s.executeQuery("SELECT pg_current_xact_id()::text")) {
                    rs.next();
                    xid = rs.getString(1);
                }
                c.commit();
            }
        }
        return xid;
    }

    /**
     * Runs the executable as a DBA would: as the OS user the servers run as (whose archive_command
     * shares the repository), with the test's jar copy.
     */
    private static Result walvault(Path jar, String... args) throws IOException, InterruptedException {
        return WalvaultProcess.of(args).asServerUser().in(jar.getParent()).env("WALVAULT_JAR", jar.toString())
                .env("WALVAULT_CDS_DIR", "off").timeout(Duration.ofMinutes(5)).run();
    }
}
