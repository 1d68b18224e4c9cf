package io.walvault.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.walvault.core.error.ErrorCode;
import io.walvault.testkit.PgCluster;
import io.walvault.testkit.PgHarness;
import io.walvault.testkit.PgTest;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;

/** walvault status against a real server: healthy, then a WAL gap, then a backup older than its limit. */
class StatusIT {

    private static final long SEG = 16L * 1024 * 1024;

    @TempDir
    Path dir;

    private record Run(int code, String out, String err) {
        JsonNode json() throws Exception {
            return new ObjectMapper().readTree(out);
        }
    }

    private static Run walvault(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Run(code, out.toString(), err.toString());
    }

    private static List<String> kinds(JsonNode status) {
        List<String> out = new ArrayList<>();
        status.get("problems").forEach(p -> out.add(p.get("kind").asText()));
        return out;
    }

    @PgTest
    void reportsTheRpoAGapAndAStaleBackup(PgHarness harness) throws Exception {
        PgCluster pg = harness.cluster().start();
        pg.execute("CREATE TABLE t AS SELECT generate_series(1, 10000) AS id",
                "CREATE ROLE wv_backup LOGIN REPLICATION PASSWORD 'backup pw'");
        Path conf = dir.resolve("walvault.conf");
        Files.writeString(conf, "repo = file://" + dir.resolve("repo") + "\nencryption = none\n");
        Files.setPosixFilePermissions(conf, PosixFilePermissions.fromString("rw-------"));
        String config = conf.toString();
        String server = "host=127.0.0.1 port=" + pg.port() + " user=wv_backup password='backup pw' sslmode=disable";
        assertEquals(0, walvault("init", "--config", config).code());
        Run backup = walvault("backup", "--config", config, "--pg", server, "--checkpoint", "fast", "--progress", "lines");
        assertEquals(0, backup.code(), backup.out() + backup.err());

        // without a server: its part is unknown, not invented
        Run alone = walvault("status", "--config", config, "--json");
        assertEquals(0, alone.code(), alone.out() + alone.err());
        JsonNode s = alone.json();
        assertTrue(s.get("healthy").asBoolean(), s.toString());
        assertTrue(s.get("server").isNull() && s.get("rpo").isNull() && s.get("rtoSeconds").isNull(), s.toString());
        String backupId = s.get("newestBackup").get("id").asText();
        assertEquals(0, s.get("rto").get("restoresMeasured").asInt(), s.toString());
        assertTrue(s.get("rto").get("unknownBecause").asText().contains("no restore or drill"), s.toString());

        // a full restore records its pace: the files' part of the RTO is measured, the WAL's is not yet
        WalvaultProcess.Result restored = WalvaultProcess.of("restore", "--config", config, "--pgdata",
                dir.resolve("restored").toString(), "--archive-mode", "off").withoutEnvStartingWith("WALVAULT_")
                .timeout(Duration.ofSeconds(120)).run(); // through bin/walvault: the restored server's restore_command names it
        assertEquals(0, restored.exitCode(), restored.out());
        JsonNode rto = walvault("status", "--config", config, "--json").json().get("rto");
        assertEquals(1, rto.get("restoresMeasured").asInt(), rto.toString());
        assertTrue(rto.get("restoreBytesPerSecond").asLong() > 0, rto.toString());
        assertTrue(rto.get("seconds").isNull() && rto.get("unknownBecause").asText().contains("no drill"), rto.toString());

        // three segments archived by hand after the backup's own WAL
        List<String> pushed = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            pg.execute("INSERT INTO t SELECT generate_series(1, 1000)");
            String segment = pg.queryString("SELECT pg_walfile_name(pg_switch_wal())"); // the segment it completed
            Run push = walvault("archive-push", "--config", config,
                    pg.dataDirectory().resolve("pg_wal").resolve(segment).toString());
            assertEquals(0, push.code(), push.out() + push.err());
            pushed.add(segment);
        }
        Run healthy = walvault("status", "--config", config, "--pg", server, "--max-archive-age", "1h", "--max-backup-age", "1d",
                "--json");
        assertEquals(0, healthy.code(), healthy.out() + healthy.err());
        s = healthy.json();
        assertTrue(s.get("healthy").asBoolean(), s.toString());
        assertEquals(pg.queryString("SELECT system_identifier FROM pg_control_system()"), s.get("systemIdentifier").asText());
        assertTrue(s.get("server").get("lsn").asText().matches("[0-9A-F]+/[0-9A-F]+"), s.toString());
        assertTrue(!s.get("server").get("standby").asBoolean(), s.toString());
        assertEquals(pushed.get(2), s.get("newestWal").get("file").asText());
        assertTrue(s.get("newestWal").get("ageSeconds").asLong() < 3600, s.toString());
        assertEquals(backupId, s.get("newestBackup").get("id").asText());
        long caughtUp = s.get("rpo").get("bytes").asLong();
        assertTrue(caughtUp >= 0 && caughtUp < SEG, "the server is in the segment after the last archived one: " + s);
        assertEquals(1, s.get("recoveryWindows").size(), s.toString());
        assertEquals(0, s.get("gaps").size(), s.toString());
        // the same through the server's Unix-domain socket (the conninfo's host a directory), as a DBA's peer login has it
        Run socket = walvault("status", "--config", config, "--pg", "host=" + pg.socketDirectory() + " port=" + pg.port()
                + " user=wv_backup", "--max-archive-age", "1h", "--max-backup-age", "1d", "--json");
        assertEquals(0, socket.code(), socket.out() + socket.err());
        JsonNode overSocket = socket.json();
        assertTrue(overSocket.get("healthy").asBoolean(), overSocket.toString());
        assertTrue(overSocket.get("server").get("lsn").asText().matches("[0-9A-F]+/[0-9A-F]+"), overSocket.toString());
        assertTrue(overSocket.get("rpo").get("bytes").asLong() >= 0, overSocket.toString());

        // the middle one disappears from the repository: a gap, and the window ends before it
        try (Stream<Path> files = Files.walk(dir.resolve("repo"))) {
            Files.delete(files.filter(p -> p.getFileName().toString().startsWith(pushed.get(1))).findFirst().orElseThrow());
        }
        Run gap = walvault("status", "--config", config, "--pg", server, "--json");
        assertEquals(ErrorCode.STATUS_UNHEALTHY.exitCode(), gap.code(), gap.out() + gap.err());
        s = gap.json();
        assertTrue(!s.get("healthy").asBoolean(), s.toString());
        assertEquals(List.of("WAL_GAP"), kinds(s));
        assertEquals(pushed.get(1), s.get("gaps").get(0).get("from").asText());
        assertEquals(pushed.get(1), s.get("recoveryWindows").get(0).get("endsAtGap").asText());
        assertTrue(s.get("rpo").get("bytes").asLong() >= 2 * SEG, "what follows the gap cannot be recovered: " + s);
        assertTrue(s.get("rpo").get("seconds").asLong() >= 0, s.toString());
        Run gauges = walvault("status", "--config", config, "--pg", server, "--prometheus");
        assertEquals(ErrorCode.STATUS_UNHEALTHY.exitCode(), gauges.code(), gauges.out() + gauges.err());
        String id = "system_identifier=\"" + s.get("systemIdentifier").asText() + "\"";
        assertTrue(gauges.out().contains("walvault_status_healthy{" + id + "} 0\n"), gauges.out());
        assertTrue(gauges.out().contains("walvault_status_problems{" + id + ",kind=\"WAL_GAP\"} 1\n"), gauges.out());
        assertTrue(gauges.out().contains("walvault_status_wal_gap_segments{" + id + "} 1\n"), gauges.out());
        assertTrue(gauges.out().lines().anyMatch(l -> l.startsWith("walvault_status_rpo_bytes{" + id + "} ")
                && Long.parseLong(l.substring(l.lastIndexOf(' ') + 1)) >= 2 * SEG), gauges.out());

        // a backup older than the limit
        while (walvault("status", "--config", config, "--json").json().get("newestBackup").get("ageSeconds").asLong() < 3) {
            Thread.sleep(500);
        }
        Run stale = walvault("status", "--config", config, "--max-backup-age", "2s", "--json");
        assertEquals(ErrorCode.STATUS_UNHEALTHY.exitCode(), stale.code(), stale.out() + stale.err());
        assertEquals(List.of("WAL_GAP", "BACKUP_TOO_OLD"), kinds(stale.json()));
        Run staleGauges = walvault("status", "--config", config, "--max-backup-age", "2s", "--prometheus");
        assertTrue(staleGauges.out().contains("kind=\"BACKUP_TOO_OLD\"} 1\n"), staleGauges.out());
        assertTrue(!staleGauges.out().contains("walvault_status_rpo_"), "no server, no RPO series: " + staleGauges.out());
        Run text = walvault("status", "--config", config, "--max-backup-age", "2s");
        assertEquals(ErrorCode.STATUS_UNHEALTHY.exitCode(), text.code());
        assertTrue(text.out().contains("NOT HEALTHY") && text.out().contains("PROBLEM BACKUP_TOO_OLD: the newest backup, '"
                + backupId + "', ended"), text.out());
        assertTrue(text.out().contains("RPO:             unknown (the server's position is unknown)"), text.out());
        assertTrue(text.out().contains("RTO:             unknown (no drill of this cluster recorded its WAL replay"), text.out());
        assertTrue(text.err().contains("not healthy: 2 problems"), text.err());
    }
}
