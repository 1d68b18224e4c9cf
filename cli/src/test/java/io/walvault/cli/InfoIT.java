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
}
