package io.walvault.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.walvault.core.config.RepositorySettings;
import io.walvault.core.config.Settings;
import io.walvault.core.pipeline.OutputStreamSink;
import io.walvault.core.repo.BackupCatalog;
import io.walvault.core.repo.BackupInfo;
import io.walvault.core.repo.ChunkStore;
import io.walvault.core.repo.ManifestFile;
import io.walvault.core.repo.Repositories;
import io.walvault.core.repo.Repository;
import io.walvault.core.wal.Lsn;
import io.walvault.core.wal.TimelineId;
import io.walvault.core.wal.WalFileName;
import io.walvault.core.wal.WalSegmentName;
import io.walvault.testkit.PgCluster;
import io.walvault.testkit.PgHarness;
import io.walvault.testkit.PgTest;
import io.walvault.testkit.WriteLoad;
import io.walvault.testkit.ServerUser;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;

/**
 * A backup taken with {@code walvault backup} under a write load is restorable on its own: its
 * files extracted from the bundles (tablespace relocated through tablespace_map) and its WAL put
 * in pg_wal make a data directory that PostgreSQL recovers and opens.
 */
class BackupRestoreIT {

    @TempDir
    Path dir;

    @PgTest
    void aBackupIsRestorableOnItsOwn(PgHarness harness) throws Exception {
        PgCluster pg = harness.cluster().start();
        Path ts = harness.scratchDirectory("tblspc");
        pg.execute("CREATE TABLESPACE wv_ts LOCATION '" + ts + "'",
                "CREATE TABLE t (id int PRIMARY KEY, v int NOT NULL)",
                "INSERT INTO t SELECT g, 0 FROM generate_series(1, 50000) g",
                "CREATE TABLE t2 (id int PRIMARY KEY, v text) TABLESPACE wv_ts",
                "INSERT INTO t2 SELECT g, md5(g::text) FROM generate_series(1, 20000) g",
                "CREATE ROLE wv_backup LOGIN REPLICATION PASSWORD 'backup pw'");
        Path pass = dir.resolve("pass");
        Files.writeString(pass, "a long enough passphrase\n");
        Files.setPosixFilePermissions(pass, PosixFilePermissions.fromString("rw-------")); // a secret: owner only
        Path conf = dir.resolve("walvault.conf");
        Files.writeString(conf, "repo = file://" + dir.resolve("repo") + "\nencryption = passphrase\npassphrase-file = " + pass + "\n");
        Files.setPosixFilePermissions(conf, PosixFilePermissions.fromString("rw-------"));
        assertEquals(0, Main.run(new String[] {"init", "--config", conf.toString()}, new PrintWriter(new StringWriter()),
                new PrintWriter(new StringWriter())));

        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int rc;
        try (WriteLoad load = new WriteLoad(pg, "t", 50000)) {
            rc = Main.run(new String[] {"backup", "--config", conf.toString(), "--pg", "host=127.0.0.1 port=" + pg.port()
                    + " user=wv_backup password='backup pw' sslmode=disable", "--checkpoint", "fast", "--label", "restorable",
                    "--progress", "lines"}, new PrintWriter(out, true), new PrintWriter(err, true));
        }
        assertEquals(0, rc, out + "\n" + err);
        assertTrue(out.toString().contains(" complete: "), out.toString());

        Path data = harness.scratchDirectory("restored");
        Path newTs = harness.scratchDirectory("tblspc-restored");
        try (Repository repo = Repositories.open(RepositorySettings.from(Settings.load(Map.of(), conf, Map.of())))) {
            long systemId = Long.parseUnsignedLong(pg.queryString("SELECT system_identifier FROM pg_control_system()"));
            BackupCatalog catalog = repo.cluster(systemId).backups();
            String id = catalog.list().get(0);
            List<ManifestFile> entries = new ArrayList<>();
            BackupInfo info = catalog.readManifest(id, entries::add);
            extract(catalog, repo.cluster(systemId).chunks(), id, entries, data, newTs);
            // the WAL from the backup's start to its end, from the archive into pg_wal
            Files.createDirectories(data.resolve("pg_wal"));
            TimelineId tli = info.timeline();
            long segmentSize = info.walSegmentSize().getAsLong();
            WalSegmentName last = WalSegmentName.of(tli, Lsn.of(info.stopLsn().value() - 1), segmentSize);
            for (WalSegmentName s = WalSegmentName.of(tli, info.startLsn(), segmentSize);
                 s.compareTo(last) <= 0; s = s.next()) {
                try (OutputStream o = Files.newOutputStream(data.resolve("pg_wal").resolve(s.fileName()))) {
                    repo.cluster(systemId).wal().get(WalFileName.parse(s.fileName()), new OutputStreamSink(o, false));
                }
            }
        }
        String expected = pg.queryString("SELECT count(*) || ' ' || (SELECT count(*) FROM t2) FROM t");
        pg.stop();
        Files.setPosixFilePermissions(data, PosixFilePermissions.fromString("rwx------"));
        ServerUser.get().adopt(data);
        ServerUser.get().adopt(newTs);
        PgCluster restored = harness.cluster().name("restored").dataDirectory(data).start();
        assertEquals(expected, restored.queryString("SELECT count(*) || ' ' || (SELECT count(*) FROM t2) FROM t"));
        assertEquals("f", restored.queryString("SELECT pg_is_in_recovery()"));
        assertEquals(newTs.toString(), restored.queryString("SELECT pg_tablespace_location(oid) FROM pg_tablespace WHERE spcname = 'wv_ts'"));
    }

    /** Writes the entries: directories, then files from their bundles; tablespace files under {@code newTs}. */
    static void extract(BackupCatalog catalog, ChunkStore chunks, String id, List<ManifestFile> entries, Path data, Path newTs)
            throws Exception {
        Map<Integer, List<ManifestFile>> byBundle = new HashMap<>();
        for (ManifestFile f : entries) {
            Path target = target(f.path(), data, newTs);
            if (f.type().equals(ManifestFile.DIRECTORY)) {
                Files.createDirectories(target);
            } else if (f.isChunked()) {
                // its chunks, in order (FORMAT.md "Chunks")
                Files.createDirectories(target.getParent());
                try (OutputStream o = Files.newOutputStream(target)) {
                    chunks.readFile(f, new OutputStreamSink(o, false));
                }
            } else if (f.isFile()) {
                byBundle.computeIfAbsent(f.bundle(), k -> new ArrayList<>()).add(f);
            }
        }
        for (var e : byBundle.entrySet()) {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            catalog.readBundle(id, e.getKey(), new OutputStreamSink(b, false));
            byte[] bytes = b.toByteArray();
            for (ManifestFile f : e.getValue()) {
                Path target = target(f.path(), data, newTs);
                Files.createDirectories(target.getParent());
                byte[] content = java.util.Arrays.copyOfRange(bytes, (int) f.offset(), (int) (f.offset() + f.size()));
                if (f.path().equals("tablespace_map")) {
                    // "<oid> <location>" lines: the new location
                    StringBuilder m = new StringBuilder();
                    for (String line : new String(content, StandardCharsets.UTF_8).split("\n")) {
                        m.append(line, 0, line.indexOf(' ')).append(' ').append(newTs).append('\n');
                    }
                    content = m.toString().getBytes(StandardCharsets.UTF_8);
                }
                Files.write(target, content);
            }
        }
    }

    static Path target(String path, Path data, Path newTs) {
        if (path.startsWith("pg_tblspc/") && path.indexOf('/', "pg_tblspc/".length()) > 0) {
            return newTs.resolve(path.substring(path.indexOf('/', "pg_tblspc/".length()) + 1));
        }
        return data.resolve(path);
    }
}
