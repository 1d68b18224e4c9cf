package io.walvault.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.walvault.cli.WalvaultProcess.Result;
import io.walvault.core.error.ErrorCode;
import io.walvault.testkit.PgCluster;
import io.walvault.testkit.PgHarness;
import io.walvault.testkit.PgTest;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * {@code walvault restore --delta} over the same data directory, brought back and forth: from a
 * copy at a newer point (a table and WAL to remove), from one at an older point missing files,
 * and from what an interrupted delta restore leaves; each time the server recovers to the
 * target with every row compared. Refused, with nothing written, over another cluster and over
 * a running server. {@code --db-include}: the included database's rows come back exactly, the
 * cluster starts, the others can be dropped, and the plan and the end say what was skipped.
 */
class DeltaSelectiveRestoreIT {

    @PgTest
    void deltaRestoresBringADirectoryBackAndForthAndSelectiveRestoresOneDatabase(PgHarness harness) throws Exception {
        RestoreIT.Fixture f = new RestoreIT.Fixture(harness);
        f.pg.execute("CREATE DATABASE sales", "CREATE DATABASE \"old archive\"");
        try (Connection c = f.pg.connect("sales"); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE orders (id int PRIMARY KEY, item text)");
            s.execute("INSERT INTO orders SELECT g, md5(g::text) FROM generate_series(1, 30000) g");
        }
        try (Connection c = f.pg.connect("old archive"); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE history AS SELECT g AS id, repeat(md5(g::text), 20) AS v FROM generate_series(1, 50000) g");
        }
        f.backup();
        f.writeAfterBackupAndArchive();
        String t2 = f.pg.queryString("SELECT count(*) || ':' || md5(string_agg(v, ',' ORDER BY id)) FROM t2");
        String orders = query(f.pg, "sales", "SELECT count(*) || ':' || md5(string_agg(item, ',' ORDER BY id)) FROM orders");
        String ts = f.tablespace + "=";

        // the first copy: a plain restore to the end of the archive, then written to (a newer point)
        Path data = harness.scratchDirectory("copy").resolve("data");
        Path dataTs = harness.scratchDirectory("copy-ts");
        Result first = f.restore(data, "--tablespace-map", ts + dataTs);
        assertEquals(0, first.exitCode(), first.out());
        PgCluster c1 = f.start("copy-1", data, dataTs);
        assertEquals("2000", c1.queryString("SELECT count(*) FROM after_backup"));
        c1.execute("CREATE TABLE only_in_the_copy AS SELECT generate_series(1, 100000) AS id", "CHECKPOINT");
        String extraFile = c1.queryString("SELECT pg_relation_filepath('only_in_the_copy')");
        assertTrue(Files.exists(data.resolve(extraFile)));

        // refused over a running server: nothing written
        Result running = f.restore(data, "--delta", "--tablespace-map", ts + dataTs);
        assertEquals(ErrorCode.RESTORE_TARGET_IN_USE.exitCode(), running.exitCode(), running.out());
        assertTrue(running.out().contains("is running on '" + data + "'"), running.out());
        assertEquals("100000", c1.queryString("SELECT count(*) FROM only_in_the_copy"));
        c1.stop();

        // newer point -> the restore point: the table and the WAL after it go, recovery stops at the point
        Result back = f.restore(data, "--delta", "--target-name", "after-first-thousand", "--target-action", "promote",
                "--tablespace-map", ts + dataTs);
        assertEquals(0, back.exitCode(), back.out());
        assertTrue(back.out().contains("--delta: files already there"), back.out());
        long kept = kept(back.out());
        assertTrue(kept > 0, "unchanged files were kept: " + back.out());
        assertFalse(Files.exists(data.resolve(extraFile)), "a file the backup does not have was removed");
        PgCluster c2 = f.start("copy-2", data, dataTs);
        assertEquals("1000", c2.queryString("SELECT count(*) FROM after_backup"));
        assertEquals("f", c2.queryString("SELECT to_regclass('only_in_the_copy') IS NOT NULL"));
        assertEquals(t2, c2.queryString("SELECT count(*) || ':' || md5(string_agg(v, ',' ORDER BY id)) FROM t2"));
        assertEquals(orders, query(c2, "sales", "SELECT count(*) || ':' || md5(string_agg(item, ',' ORDER BY id)) FROM orders"));
        String t2File = c2.queryString("SELECT pg_relation_filepath('t2')");
        String tFile = c2.queryString("SELECT pg_relation_filepath('t')");
        c2.stop();

        // older point, with files lost -> the end of the archive
        Files.delete(data.resolve(t2File)); // through the tablespace's link
        Files.delete(data.resolve(tFile));
        Result forward = f.restore(data, "--delta", "--tablespace-map", ts + dataTs);
        assertEquals(0, forward.exitCode(), forward.out());
        PgCluster c3 = f.start("copy-3", data, dataTs);
        assertEquals("2000", c3.queryString("SELECT count(*) FROM after_backup"));
        assertEquals(t2, c3.queryString("SELECT count(*) || ':' || md5(string_agg(v, ',' ORDER BY id)) FROM t2"));
        assertEquals("50000", c3.queryString("SELECT count(*) FROM t"));
        c3.stop();

        // what an interrupted delta restore leaves: the marker naming the cluster, no pg_control, a file cut short
        Files.writeString(data.resolve("walvault-restore.incomplete"), "walvault restore of backup 'x' is in progress\n"
                + "cluster: " + Long.toUnsignedString(f.systemId()) + "\n", StandardCharsets.UTF_8);
        Files.delete(data.resolve("global/pg_control"));
        Path cut = data.resolve(tFile);
        Files.write(cut, new byte[8192]);
        try (FileChannel ch = FileChannel.open(data.resolve(t2File),
                StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.allocate(8192), 0); // same size, different content: only the checksum tells
        }
        Result resumed = f.restore(data, "--delta", "--tablespace-map", ts + dataTs);
        assertEquals(0, resumed.exitCode(), resumed.out());
        assertFalse(Files.exists(data.resolve("walvault-restore.incomplete")));
        PgCluster c4 = f.start("copy-4", data, dataTs);
        assertEquals("2000", c4.queryString("SELECT count(*) FROM after_backup"));
        assertEquals(t2, c4.queryString("SELECT count(*) || ':' || md5(string_agg(v, ',' ORDER BY id)) FROM t2"));
        assertEquals("50000", c4.queryString("SELECT count(*) FROM t"));
        c4.stop();

        // another cluster's directory: refused, left as it was
        PgCluster other = harness.cluster().name("other").create();
        long before = count(other.dataDirectory());
        Result wrong = f.restore(other.dataDirectory(), "--delta", "--tablespace-map", ts + harness.scratchDirectory("o-ts"));
        assertEquals(ErrorCode.RESTORE_TARGET_OTHER_CLUSTER.exitCode(), wrong.exitCode(), wrong.out());
        assertTrue(wrong.out().contains("not cluster " + Long.toUnsignedString(f.systemId())), wrong.out());
        assertEquals(before, count(other.dataDirectory()));
        assertFalse(Files.exists(other.dataDirectory().resolve("walvault-restore.incomplete")));

        // selective: sales (and the system databases) in full, "old archive" as sparse zeroes, then dropped
        Path sel = harness.scratchDirectory("selective").resolve("data");
        Path selTs = harness.scratchDirectory("selective-ts");
        Result unknown = f.restore(sel, "--db-include", "no_such_db", "--tablespace-map", ts + selTs);
        assertEquals(ErrorCode.DATABASE_UNKNOWN.exitCode(), unknown.exitCode(), unknown.out());
        assertTrue(unknown.out().contains("its databases are") && unknown.out().contains("sales"), unknown.out());
        assertFalse(Files.exists(sel));
        Result selective = f.restore(sel, "--db-include", "sales", "--tablespace-map", ts + selTs);
        assertEquals(0, selective.exitCode(), selective.out());
        assertTrue(selective.out().contains("skipped: old archive ("), selective.out());
        assertTrue(selective.out().contains("restored in full: ") && selective.out().contains("sales ("), selective.out());
        assertTrue(selective.out().contains("DROP DATABASE \"old archive\";"), selective.out());
        PgCluster c5 = f.start("selective", sel, selTs);
        assertEquals(orders, query(c5, "sales", "SELECT count(*) || ':' || md5(string_agg(item, ',' ORDER BY id)) FROM orders"));
        assertEquals("2000", c5.queryString("SELECT count(*) FROM after_backup"));
        c5.execute("DROP DATABASE \"old archive\"");
        assertEquals("sales,template0,template1,postgres", c5.queryString("SELECT string_agg(datname, ',' ORDER BY"
                + " datname = 'postgres', datname) FROM pg_database"));
        c5.stop();
    }

    private static String query(PgCluster pg, String database, String sql) throws Exception {
        try (Connection c = pg.connect(database); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    private static long kept(String out) {
        Matcher m = Pattern.compile("delta: ([0-9]+) files \\(").matcher(out);
        return m.find() ? Long.parseLong(m.group(1)) : -1;
    }

    private static long count(Path dir) throws Exception {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.count();
        }
    }
}
