package io.walvault.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.walvault.cli.WalvaultProcess.Result;
import io.walvault.core.error.ErrorCode;
import io.walvault.testkit.PgCluster;
import io.walvault.testkit.ServerUser;
import io.walvault.testkit.PgHarness;
import io.walvault.testkit.PgTest;
import java.io.PrintWriter;
import java.io.RandomAccessFile;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Every backup is complete on its own yet stores only what changed: a series of backups with
 * changes between them, the later ones adding a small part of the first's bytes; each backup
 * restored (rows compared) after every older one was expired, so no backup leans on another;
 * expire removes the chunks no backup names and nothing a kept backup needs; a damaged chunk is
 * found by {@code verify} and named with every backup that holds it.
 */
class DeduplicatedBackupsIT {

    private static final ObjectMapper JSON = new ObjectMapper();

    @PgTest
    void everyBackupStandsAloneAndStoresOnlyWhatChanged(PgHarness harness) throws Exception {
        // ten backups where the server can read incrementally (17+), two on the others (the same paths, in less time)
        int count = harness.version().major() >= 17 ? 10 : 2;
        RestoreIT.Fixture f = new RestoreIT.Fixture(harness);
        f.pg.execute("CREATE TABLE d (id int PRIMARY KEY, v text)",
                "INSERT INTO d SELECT g, repeat(md5(g::text), 4) FROM generate_series(1, 200000) g");
        // settled pages, as in a database that has been running: a bulk load's pages are written again once, when
        // their hint bits are set and vacuum marks them all-visible, and that would be counted as a change below
        f.pg.execute("VACUUM (FREEZE, ANALYZE)", "CHECKPOINT");
        boolean incremental = harness.version().major() >= 17;
        if (incremental) {
            // the server keeps WAL summaries: from the second backup on it sends only the changed blocks
            f.pg.configure(Map.of("summarize_wal", "on"));
            f.pg.reload();
        }
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            // a few thousand rows changed in place, a few added: a small part of a 60 MB table
            f.pg.execute("UPDATE d SET v = md5(v) WHERE id BETWEEN " + (i * 3000 + 1) + " AND " + (i * 3000 + 2000),
                    "INSERT INTO d SELECT g, md5(g::text) FROM generate_series(" + (200001 + i * 1000) + ", "
                            + (200000 + (i + 1) * 1000) + ") g",
                    "CHECKPOINT");
            expected.add(checksum(f.pg));
            if (incremental && i == 1) {
                // summaries lost (removed by hand here): the server refuses the incremental read, walvault reads every file
                try (Stream<Path> s = Files.list(f.pg.dataDirectory().resolve("pg_wal").resolve("summaries"))) {
                    for (Path p : s.toList()) {
                        Files.delete(p);
                    }
                }
            }
            String out = backup(f);
            assertEquals(incremental && i > 1, out.contains("read incrementally"), out);
            if (incremental && i == 1) {
                assertTrue(out.contains("read in full: the server cannot send only the blocks changed since backup")
                        && out.contains("WAL summaries are required"), out);
            }
        }
        List<JsonNode> backups = backups(f);
        assertEquals(count, backups.size());
        JsonNode first = backups.get(0);
        // the first backup shares only what repeats inside it (the catalogs of template1 and postgres start out identical)
        assertTrue(first.get("sharedBytes").asLong() < first.get("bytes").asLong() / 10, "the first backup shares little: " + first);
        for (JsonNode b : backups.subList(1, count)) {
            assertTrue(b.get("sharedBytes").asLong() > b.get("bytes").asLong() / 2, "most of a later backup is shared: " + b);
            assertTrue(b.get("addedBytes").asLong() < first.get("addedBytes").asLong() / 4,
                    "a later backup adds a small part of the first's bytes: " + b + " after " + first);
        }
        Path chunks = f.repoDir.resolve("clusters").resolve(Long.toUnsignedString(f.systemId())).resolve("chunks");
        long before = countFiles(chunks);

        // a damaged chunk that every backup holds (the start of the table, never changed): verify names it with each of them
        String probe = f.pg.queryString("SELECT pg_relation_filepath('d')");
        Path damaged = chunkOfEveryBackup(f, chunks);
        byte[] original = Files.readAllBytes(damaged);
        try (RandomAccessFile raf = new RandomAccessFile(damaged.toFile(), "rw")) {
            raf.seek(raf.length() / 2);
            int b = raf.read();
            raf.seek(raf.length() / 2);
            raf.write(b ^ 0x40);
        }
        Run verify = run(f, "verify", "--all");
        assertEquals(ErrorCode.VERIFY_FAILED.exitCode(), verify.exitCode(), verify.out());
        String name = damaged.getFileName().toString();
        for (JsonNode b : backups) {
            assertTrue(verify.out().contains("backup '" + b.get("id").asText() + "'") && verify.out().contains(name),
                    "verify names the damaged chunk with backup " + b.get("id") + ": " + verify.out());
        }
        Files.write(damaged, original);
        Run again = run(f, "verify", "--all");
        assertEquals(0, again.exitCode(), again.out());
        assertTrue(again.out().contains("each checked once: ok"), again.out());

        // each backup restored exactly, after every older one was expired (and the chunks only they named removed)
        for (int i = 0; i < count; i++) {
            if (i > 0) {
                Run expire = run(f, "expire", "--retain-full", Integer.toString(count - i), "--orphan-grace", "0h");
                assertEquals(0, expire.exitCode(), expire.out());
                assertEquals(count - i, backups(f).size(), expire.out());
                assertTrue(expire.out().contains("chunks no backup names"), expire.out());
            }
            String id = backups.get(i).get("id").asText();
            Path data = harness.scratchDirectory("restore-" + i).resolve("data");
            Path ts = harness.scratchDirectory("restore-ts-" + i);
            Result r = f.restore(data, "--backup", id, "--target", "immediate", "--target-action", "promote",
                    "--tablespace-map", f.tablespace + "=" + ts);
            assertEquals(0, r.exitCode(), r.out());
            PgCluster c = f.start("restored-" + i, data, ts);
            assertEquals(expected.get(i), checksum(c), "backup " + id + " (number " + (i + 1) + ") restored exactly");
            assertEquals(probe, c.queryString("SELECT pg_relation_filepath('d')"));
            c.stop();
        }
        long after = countFiles(chunks);
        assertTrue(after < before, "expire removed the chunks only expired backups named: " + before + " -> " + after);
    }

    /** A command's exit code and what it printed (both streams). */
    private record Run(int exitCode, String out) {
    }

    /** Runs a command in this JVM with the fixture's configuration (no JVM start per call: this test runs many). */
    private static Run run(RestoreIT.Fixture f, String command, String... args) {
        StringWriter out = new StringWriter();
        List<String> all = new ArrayList<>(List.of(command, "--config", f.conf.toString()));
        all.addAll(List.of(args));
        int rc = Main.run(all.toArray(String[]::new), new PrintWriter(out, true), new PrintWriter(out, true));
        return new Run(rc, out.toString());
    }

    /** A backup with nothing written meanwhile: what it adds is what the loop above changed. */
    private static String backup(RestoreIT.Fixture f) throws Exception {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int rc = Main.run(new String[] {"backup", "--config", f.conf.toString(), "--pg", "host=127.0.0.1 port=" + f.pg.port()
                + " user=wv_backup password='backup pw' sslmode=disable", "--checkpoint", "fast"}, new PrintWriter(out, true),
                new PrintWriter(err, true));
        assertEquals(0, rc, out + "\n" + err);
        assertTrue(out.toString().contains("added to the repository"), out.toString());
        ServerUser.get().adopt(f.scratch); // the server's archive_command must read what the backup stored
        return out.toString();
    }

    private static String checksum(PgCluster pg) {
        return pg.queryString("SELECT count(*) || ':' || md5(string_agg(v, ',' ORDER BY id)) FROM d");
    }

    private static List<JsonNode> backups(RestoreIT.Fixture f) throws Exception {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        assertEquals(0, Main.run(new String[] {"info", "--config", f.conf.toString(), "--json"}, new PrintWriter(out, true),
                new PrintWriter(err, true)), err.toString());
        List<JsonNode> backups = new ArrayList<>();
        JSON.readTree(out.toString()).get("clusters").get(0).get("backups").forEach(backups::add);
        return backups;
    }

    /** A chunk file of the repository that is the same in every backup: the one written first. */
    private static Path chunkOfEveryBackup(RestoreIT.Fixture f, Path chunks) throws Exception {
        try (Stream<Path> s = Files.walk(chunks)) {
            return s.filter(Files::isRegularFile).min((a, b) -> {
                try {
                    return Files.getLastModifiedTime(a).compareTo(Files.getLastModifiedTime(b));
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }).orElseThrow();
        }
    }

    private static long countFiles(Path dir) throws Exception {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).count();
        }
    }
}
