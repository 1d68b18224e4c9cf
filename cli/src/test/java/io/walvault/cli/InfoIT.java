package io.walvault.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.walvault.testkit.PgCluster;
import io.walvault.testkit.PgHarness;
import io.walvault.testkit.PgTest;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;

/** walvault info on a repository with a real backup: backups, WAL per timeline, the recoverable window. */
class InfoIT {

    @TempDir
    Path dir;

    private record Run(int code, String out, String err) {
    }

    private static Run walvault(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Run(code, out.toString(), err.toString());
    }

    @PgTest(min = 18)
    void reportsTheBackupTheWalAndTheWindowAndNoticesMissingWal(PgHarness harness) throws Exception {
        PgCluster pg = harness.cluster().start();
        pg.execute("CREATE TABLE t AS SELECT generate_series(1, 10000) AS id",
                "CREATE ROLE wv_backup LOGIN REPLICATION PASSWORD 'backup pw'");
        Path conf = dir.resolve("walvault.conf");
        Files.writeString(conf, "repo = file://" + dir.resolve("repo") + "\nencryption = none\n");
        Files.setPosixFilePermissions(conf, PosixFilePermissions.fromString("rw-------"));
        assertEquals(0, walvault("init", "--config", conf.toString()).code());
        Run empty = walvault("info", "--config", conf.toString());
        assertEquals(0, empty.code(), empty.err());
        assertTrue(empty.out().contains("the repository holds no cluster yet"), empty.out());

        Run backup = walvault("backup", "--config", conf.toString(), "--pg", "host=127.0.0.1 port=" + pg.port()
                + " user=wv_backup password='backup pw' sslmode=disable", "--checkpoint", "fast", "--label", "nightly",
                "--progress", "lines");
        assertEquals(0, backup.code(), backup.out() + backup.err());

        Run info = walvault("info", "--config", conf.toString());
        assertEquals(0, info.code(), info.err());
        String sysid = pg.queryString("SELECT system_identifier FROM pg_control_system()");
        assertTrue(info.out().contains("cluster " + sysid), info.out());
        assertTrue(info.out().contains("label 'nightly'"), info.out());
        assertTrue(info.out().matches("(?s).*, end [0-9A-F]+/[0-9A-F]+ at \\S+ \\(took [0-9]+\\.[0-9] s\\).*"), info.out());
        assertTrue(info.out().contains("timeline 1: "), info.out());
        assertTrue(!info.out().contains("earliest recovery point: none"), info.out());
        assertTrue(!info.out().contains("latest recovery point:   none"), info.out());

        Run json = walvault("info", "--config", conf.toString(), "--json");
        JsonNode root = new ObjectMapper().readTree(json.out());
        JsonNode cluster = root.get("clusters").get(0);
        assertEquals(sysid, cluster.get("systemIdentifier").asText());
        assertEquals("nightly", cluster.get("backups").get(0).get("label").asText());
        assertTrue(cluster.get("backups").get(0).get("durationSeconds").asDouble() > 0, cluster.toString());
        assertTrue(cluster.get("wal").get(0).get("segments").asLong() >= 1);
        assertTrue(cluster.get("latestRecoveryPoint").isTextual());

        // the backup's own WAL disappears: the window closes, and info says why
        String firstWal = cluster.get("backups").get(0).get("firstWal").asText();
        try (Stream<Path> files = Files.walk(dir.resolve("repo"))) {
            Path object = files.filter(p -> p.getFileName().toString().startsWith(firstWal)).findFirst().orElseThrow();
            Files.delete(object);
        }
        Run broken = walvault("info", "--config", conf.toString());
        assertEquals(0, broken.code(), broken.err());
        assertTrue(broken.out().contains("earliest recovery point: none"), broken.out());
        assertTrue(broken.out().contains("WARNING: backup '") && broken.out().contains("is missing from the archive"), broken.out());
    }
    @PgTest(min = 18)
    void aGapSplitsTheWindowAndDamageStaysWithItsBackup(PgHarness harness) throws Exception {
        PgCluster pg = harness.cluster().start();
        pg.execute("CREATE TABLE t AS SELECT generate_series(1, 10000) AS id",
                "CREATE ROLE wv_backup LOGIN REPLICATION PASSWORD 'backup pw'");
        Path conf = dir.resolve("walvault.conf");
        Files.writeString(conf, "repo = file://" + dir.resolve("repo") + "\nencryption = none\n");
        Files.setPosixFilePermissions(conf, PosixFilePermissions.fromString("rw-------"));
        assertEquals(0, walvault("init", "--config", conf.toString()).code());
        String[] backup = {"backup", "--config", conf.toString(), "--pg", "host=127.0.0.1 port=" + pg.port()
                + " user=wv_backup password='backup pw' sslmode=disable", "--checkpoint", "fast", "--progress", "lines"};
        Run first = walvault(backup);
        assertEquals(0, first.code(), first.out() + first.err());
        // WAL that no archive_command stores: a gap between the two backups' own WAL
        pg.execute("INSERT INTO t SELECT generate_series(1, 10000)", "SELECT pg_switch_wal()",
                "INSERT INTO t SELECT generate_series(1, 10000)", "SELECT pg_switch_wal()");
        Run second = walvault(backup);
        assertEquals(0, second.code(), second.out() + second.err());
        // a commit after the second backup, in a segment archived by hand: the window ends with its time
        pg.execute("INSERT INTO t VALUES (-1)");
        String segment = pg.queryString("SELECT pg_walfile_name(pg_current_wal_lsn())");
        pg.execute("SELECT pg_switch_wal()");
        Run push = walvault("archive-push", "--config", conf.toString(), pg.dataDirectory().resolve("pg_wal").resolve(segment).toString());
        assertEquals(0, push.code(), push.out() + push.err());

        Run info = walvault("info", "--config", conf.toString(), "--json");
        assertEquals(0, info.code(), info.err());
        JsonNode cluster = new ObjectMapper().readTree(info.out()).get("clusters").get(0);
        JsonNode windows = cluster.get("recoveryWindows");
        assertEquals(2, windows.size(), cluster.toString());
        String firstId = cluster.get("backups").get(0).get("id").asText();
        String secondId = cluster.get("backups").get(1).get("id").asText();
        assertEquals(firstId, windows.get(0).get("start").get("backup").asText());
        assertTrue(windows.get(0).get("endsAtGap").isTextual(), windows.toString());
        assertEquals(secondId, windows.get(1).get("start").get("backup").asText());
        assertTrue(windows.get(1).get("endsAtGap").isNull(), windows.toString());
        assertTrue(windows.get(1).get("end").get("lastCommitTime").isTextual(), "the window's end as a time: " + windows);
        Run text = walvault("info", "--config", conf.toString());
        assertTrue(text.out().contains("is missing from the archive: no point between"), text.out());
        assertTrue(text.out().contains("last commit at "), text.out());

        // the first backup's manifest damaged (same size): listing, the other backup and its restore are unaffected
        Path manifest;
        try (Stream<Path> files = Files.walk(dir.resolve("repo"))) {
            // the backup directory by its whole name: two backups in one second are "X" and "X-2"
            manifest = files.filter(p -> p.getParent().getFileName().toString().equals(firstId)
                            && p.getFileName().toString().startsWith("manifest"))
                    .findFirst().orElseThrow();
        }
        byte[] bytes = Files.readAllBytes(manifest);
        bytes[bytes.length / 2] ^= 0x55;
        Files.write(manifest, bytes);
        Run after = walvault("info", "--config", conf.toString());
        assertEquals(0, after.code(), after.err());
        assertTrue(after.out().contains(firstId) && after.out().contains(secondId), after.out());
        Run verifySecond = walvault("verify", "--config", conf.toString(), "--backup", secondId);
        assertEquals(0, verifySecond.code(), verifySecond.out() + verifySecond.err());
        Run verifyAll = walvault("verify", "--config", conf.toString(), "--all");
        assertEquals(83, verifyAll.code(), verifyAll.out() + verifyAll.err());
        assertTrue(verifyAll.err().contains("backup '" + firstId + "'"), verifyAll.err());
        Run restore = walvault("restore", "--config", conf.toString(), "--backup", secondId, "--pgdata",
                dir.resolve("restored").toString(), "--dry-run");
        assertEquals(0, restore.code(), restore.out() + restore.err());

        // a manifest that reached the store without its commit record (a late write of a failed backup) is no backup
        Path late = dir.resolve("repo/clusters/" + pg.queryString("SELECT system_identifier FROM pg_control_system()")
                + "/backups/20990101T000000Z");
        Files.createDirectories(late);
        try (Stream<Path> files = Files.list(manifest.getParent().getParent().resolve(secondId))) {
            for (Path f : files.filter(f -> f.getFileName().toString().startsWith("manifest")).toList()) {
                Files.copy(f, late.resolve(f.getFileName()));
            }
        }
        JsonNode again = new ObjectMapper().readTree(walvault("info", "--config", conf.toString(), "--json").out())
                .get("clusters").get(0);
        assertEquals(2, again.get("backups").size(), again.toString());
    }
}
