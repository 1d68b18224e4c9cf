package io.walvault.archiver.backup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.walvault.core.config.RepositorySettings;
import io.walvault.core.config.Settings;
import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;
import io.walvault.core.manifest.FileChecksum;
import io.walvault.core.pipeline.OutputStreamSink;
import io.walvault.core.pipeline.Sink;
import io.walvault.core.replication.conn.ConnectionSettings;
import io.walvault.core.repo.BackupCatalog;
import io.walvault.core.repo.BackupInfo;
import io.walvault.core.repo.ManifestFile;
import io.walvault.core.repo.Repositories;
import io.walvault.core.repo.Repository;
import io.walvault.core.repo.WalArchive;
import io.walvault.core.storage.ObjectInfo;
import io.walvault.core.wal.Lsn;
import io.walvault.core.wal.TimelineId;
import io.walvault.core.wal.WalFileName;
import io.walvault.core.wal.WalSegmentName;
import io.walvault.core.wal.WalSegmentValidator;
import io.walvault.testkit.PgCluster;
import io.walvault.testkit.PgHarness;
import io.walvault.testkit.PgTest;
import io.walvault.testkit.WriteLoad;
import io.walvault.testkit.S3Bucket;
import io.walvault.testkit.S3Extension;
import io.walvault.testkit.S3Server;
import java.io.ByteArrayOutputStream;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** {@link Backup} against real servers, into a local directory and into S3 (S3Proxy). */
@ExtendWith(S3Extension.class)
class BackupIT {

    @TempDir
    Path dir;

    static ConnectionSettings settings(PgCluster pg) {
        return ConnectionSettings.parse("host=127.0.0.1 port=" + pg.port() + " user=wv_backup password='backup pw' sslmode=disable",
                Map.of(), Path.of("/nonexistent-home"), "nobody");
    }

    RepositorySettings repository(String lines) throws Exception {
        lines = lines.replace("s3-region", "s3-max-attempts = 2\ns3-region");
        Path pass = dir.resolve("pass");
        Files.writeString(pass, "a long enough passphrase\n");
        Files.setPosixFilePermissions(pass, PosixFilePermissions.fromString("rw-------")); // a secret: owner only
        Path conf = dir.resolve("walvault.conf");
        Files.writeString(conf, lines + "encryption = passphrase\npassphrase-file = " + pass + "\n");
        Files.setPosixFilePermissions(conf, PosixFilePermissions.fromString("rw-------"));
        return RepositorySettings.from(Settings.load(Map.of(), conf, Map.of()));
    }

    RepositorySettings localRepository() throws Exception {
        return localRepository("repo");
    }

    /** A local repository in directory {@code name} of the test's directory. */
    RepositorySettings localRepository(String name) throws Exception {
        return repository("repo = file://" + dir.resolve(name) + "\n");
    }

    static RepositorySettings s3Repository(BackupIT t, S3Bucket bucket) throws Exception {
        S3Server s = bucket.server();
        return t.repository("repo = s3://" + bucket.name() + "/pg/main\n" + "s3-endpoint = " + s.endpoint()
                + "\ns3-path-style = true\ns3-region = " + s.region() + "\n" + "s3-access-key-id = " + s.accessKey()
                + "\ns3-secret-access-key = " + s.secretKey() + "\n");
    }

    /** A server with a role that has only LOGIN REPLICATION, a table {@code t} and one in a tablespace. */
    static PgCluster server(PgHarness harness, int rows) {
        PgCluster pg = harness.cluster().start();
        Path tsDir = harness.scratchDirectory("tblspc");
        pg.execute("CREATE TABLESPACE wv_ts LOCATION '" + tsDir + "'",
                "CREATE TABLE t (id int PRIMARY KEY, v int NOT NULL)",
                "INSERT INTO t SELECT g, 0 FROM generate_series(1, " + rows + ") g",
                "CREATE TABLE t2 (id int PRIMARY KEY, v int NOT NULL) TABLESPACE wv_ts",
                "INSERT INTO t2 SELECT g, 0 FROM generate_series(1, 50000) g",
                "CREATE ROLE wv_backup LOGIN REPLICATION PASSWORD 'backup pw'");
        return pg;
    }

    @PgTest
    void backupUnderWriteLoadIntoALocalDirectoryIsCompleteAndRestorableOnItsOwn(PgHarness harness) throws Exception {
        PgCluster pg = server(harness, 200_000);
        String tsOid = pg.queryString("SELECT oid FROM pg_tablespace WHERE spcname = 'wv_ts'");
        RepositorySettings rs = localRepository();
        Repositories.create(rs).close();
        BackupResult r;
        try (WriteLoad load = new WriteLoad(pg, "t", 200_000); Repository repo = Repositories.open(rs)) {
            while (load.updates() < 20) {
                Thread.sleep(20);
            }
            long before = load.updates();
            r = new Backup(settings(pg), repo, BackupOptions.defaults().label("under load").fastCheckpoint(true)
                    .bundleSize(2L * 1024 * 1024)).run();
            assertTrue(load.updates() > before, "the table was written while the backup ran");
        }
        BackupInfo info = r.info();
        assertEquals("under load", info.label());
        assertTrue(info.bundles() > 1, "bundles are bounded: " + info.bundles());
        assertTrue(info.chunks().chunkedBytes() > 10L * 1024 * 1024, "the large files are stored as chunks: " + info.chunks());
        try (Repository repo = Repositories.open(rs)) {
            List<ManifestFile> files = verify(pg, repo, info);
            assertTrue(files.stream().anyMatch(f -> f.isFile() && f.path().startsWith("pg_tblspc/" + tsOid + "/")),
                    "the tablespace is backed up");
            assertTrue(files.stream().anyMatch(f -> f.path().equals("tablespace_map")));
            assertTrue(files.stream().anyMatch(f -> f.path().equals("pg_notify") && f.type().equals(ManifestFile.DIRECTORY)),
                    "empty directories are recorded");
        }
    }

    @PgTest(min = 15)
    void theServerCompressesWhenItsBuildCanAndAnExplicitMethodItLacksFailsBeforeTheCheckpoint(PgHarness harness)
            throws Exception {
        PgCluster pg = server(harness, 20_000);
        // gzip: every build has zlib; the backup is stored and verified like an uncompressed one
        BackupInfo gzip = backupInto(pg, localRepository("gzip"), ServerCompressionChoice.parse("gzip:1"));
        // auto: lz4 when the server has it, else the stream uncompressed; the backup succeeds either way
        BackupInfo auto = backupInto(pg, localRepository("auto"), ServerCompressionChoice.auto());
        assertEquals(gzip.files(), auto.files());
        // lz4 asked for explicitly: done, or refused at once as a configuration error naming the setting
        RepositorySettings rs = localRepository("lz4");
        try {
            backupInto(pg, rs, ServerCompressionChoice.parse("lz4"));
        } catch (WalvaultException e) {
            assertEquals(ErrorCode.CONFIG, e.code(), e.getMessage());
            assertTrue(e.getMessage().contains("lz4") && e.getMessage().contains("backup-server-compression"), e.getMessage());
            long systemId = Long.parseUnsignedLong(pg.queryString("SELECT system_identifier FROM pg_control_system()"));
            try (Repository repo = Repositories.open(rs)) {
                assertEquals(List.of(), repo.cluster(systemId).backups().list(), "nothing left behind");
            }
        }
    }

    /** A backup of {@code pg} into a new repository at {@code rs}, verified. */
    private BackupInfo backupInto(PgCluster pg, RepositorySettings rs, ServerCompressionChoice compression) throws Exception {
        Repositories.create(rs).close();
        try (Repository repo = Repositories.open(rs)) {
            BackupInfo info = new Backup(settings(pg), repo, BackupOptions.defaults().fastCheckpoint(true)
                    .serverCompression(compression)).run().info();
            verify(pg, repo, info);
            return info;
        }
    }

    @PgTest(min = 18)
    void backupIntoS3(PgHarness harness, S3Bucket bucket) throws Exception {
        PgCluster pg = server(harness, 50_000);
        RepositorySettings rs = s3Repository(this, bucket);
        Repositories.create(rs).close();
        BackupInfo info;
        try (WriteLoad load = new WriteLoad(pg, "t", 50_000); Repository repo = Repositories.open(rs)) {
            info = new Backup(settings(pg), repo, BackupOptions.defaults().fastCheckpoint(true).bundleSize(4L * 1024 * 1024)
                    .uploads(3)).run().info();
        }
        try (Repository repo = Repositories.open(rs)) {
            verify(pg, repo, info);
        }
    }

    @PgTest(min = 18)
    void aFailedUploadFailsTheBackupAndLeavesNoManifest(PgHarness harness, S3Bucket bucket) throws Exception {
        PgCluster pg = server(harness, 1000);
        RepositorySettings rs = s3Repository(this, bucket);
        Repositories.create(rs).close();
        long systemId = Long.parseUnsignedLong(pg.queryString("SELECT system_identifier FROM pg_control_system()"));
        try (Repository repo = Repositories.open(rs)) {
            // after the lock and a few objects, every PUT fails (each after the SDK's retries)
            bucket.server().failCalls("putBlob", 3, 1_000_000);
            WalvaultException e = assertThrows(WalvaultException.class,
                    () -> new Backup(settings(pg), repo, BackupOptions.defaults().fastCheckpoint(true).bundleSize(1024 * 1024)).run());
            assertTrue(e.code() == ErrorCode.STORAGE || e.code() == ErrorCode.BACKUP_WAL_INCOMPLETE, e.code() + ": " + e.getMessage());
            assertTrue(bucket.server().failedCalls("putBlob") > 0);
            bucket.server().clearFaults();
            assertEquals(List.of(), repo.cluster(systemId).backups().list(), "no manifest: the backup does not exist");
            try (Stream<ObjectInfo> left = repo.storage().list("clusters/" + Long.toUnsignedString(systemId) + "/backups/")) {
                assertEquals(List.of(), left.map(ObjectInfo::key).toList(), "its bundles were removed");
            }
            // the lock was released and the next backup works
            BackupInfo info = new Backup(settings(pg), repo, BackupOptions.defaults().fastCheckpoint(true)).run().info();
            assertEquals(List.of(info.id()), repo.cluster(systemId).backups().list());
        }
    }

    /**
     * Checks a stored backup against the server's backup_manifest (kept with the backup), the
     * bundles' bytes against the entries' checksums, and the backup's WAL range in the archive.
     */
    static List<ManifestFile> verify(PgCluster pg, Repository repo, BackupInfo info) throws Exception {
        long systemId = Long.parseUnsignedLong(pg.queryString("SELECT system_identifier FROM pg_control_system()"));
        assertEquals(systemId, info.systemId());
        BackupCatalog catalog = repo.cluster(systemId).backups();
        assertEquals(List.of(info.id()), catalog.list());
        List<ManifestFile> files = new ArrayList<>();
        assertEquals(info, catalog.readManifest(info.id(), files::add));

        // every file of the server's manifest is in ours with the same size and checksum, and nothing else
        ByteArrayOutputStream serverManifest = new ByteArrayOutputStream();
        catalog.readServerManifest(info.id(), new OutputStreamSink(serverManifest, false));
        Matcher m = Pattern.compile("\"Path\": \"([^\"]+)\", \"Size\": (\\d+), \"Last-Modified\": \"[^\"]+\","
                + " \"Checksum-Algorithm\": \"CRC32C\", \"Checksum\": \"([0-9a-f]+)\"").matcher(serverManifest.toString(StandardCharsets.UTF_8));
        Map<String, ManifestFile> ours = new HashMap<>();
        files.stream().filter(ManifestFile::isFile).forEach(f -> ours.put(f.path(), f));
        int listed = 0;
        while (m.find()) {
            listed++;
            ManifestFile f = ours.get(m.group(1));
            assertNotNull(f, "'" + m.group(1) + "' of the server's manifest is in the backup");
            assertEquals(Long.parseLong(m.group(2)), f.size(), f.path());
            assertEquals("CRC32C:" + m.group(3), f.checksum(), f.path());
        }
        assertTrue(listed > 500, "a whole cluster: " + listed);
        assertEquals(listed, ours.size(), "the backup has no file the server did not list");
        assertEquals(info.files(), ours.size());
        assertEquals(info.bytes(), ours.values().stream().mapToLong(ManifestFile::size).sum());

        // the bundles decode to bytes whose checksums match the entries, and so do the chunks of the large files
        Map<Integer, List<ManifestFile>> byBundle = new HashMap<>();
        ours.values().stream().filter(f -> !f.isChunked())
                .forEach(f -> byBundle.computeIfAbsent(f.bundle(), k -> new ArrayList<>()).add(f));
        assertEquals(info.bundles(), byBundle.size());
        long chunked = 0;
        for (ManifestFile f : ours.values()) {
            if (!f.isChunked()) {
                continue;
            }
            assertTrue(f.size() >= BackupOptions.DEFAULT_CHUNK_SIZE, "only large files are chunked: " + f.path());
            FileChecksum c = FileChecksum.of("CRC32C");
            repo.cluster(systemId).chunks().readFile(f, new Sink() {
                @Override
                public void write(byte[] b, int off, int len) {
                    c.update(ByteBuffer.wrap(b, off, len));
                }

                @Override
                public void finish() {
                }

                @Override
                public void close() {
                }
            });
            assertEquals(f.checksum(), "CRC32C:" + c.hex(), f.path() + " from its chunks");
            chunked += f.size();
        }
        assertEquals(info.chunks().chunkedBytes(), chunked);
        for (var e : byBundle.entrySet()) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            catalog.readBundle(info.id(), e.getKey(), new OutputStreamSink(out, false));
            byte[] b = out.toByteArray();
            assertEquals(e.getValue().stream().mapToLong(ManifestFile::size).sum(), b.length, "bundle " + e.getKey());
            for (ManifestFile f : e.getValue()) {
                FileChecksum c = FileChecksum.of("CRC32C");
                c.update(ByteBuffer.wrap(b, (int) f.offset(), (int) f.size()));
                assertEquals(f.checksum(), "CRC32C:" + c.hex(), f.path() + " in bundle " + e.getKey());
            }
        }
        String label = new String(bundleSlice(catalog, info, ours.get("backup_label")), StandardCharsets.UTF_8);
        assertTrue(label.contains("START WAL LOCATION: " + info.startLsn()), label);
        assertTrue(label.contains("LABEL: " + info.label()), label);

        // the WAL from the start to the end LSN is archived, and every segment validates
        long seg = info.walSegmentSize().getAsLong();
        TimelineId tli = info.timeline();
        WalSegmentName first = WalSegmentName.of(tli, info.startLsn(), seg);
        WalSegmentName last = WalSegmentName.of(tli, Lsn.of(info.stopLsn().value() - 1), seg);
        assertEquals(first, info.firstWal().orElseThrow());
        assertEquals(last, info.lastWal().orElseThrow());
        WalArchive wal = repo.cluster(systemId).wal();
        for (WalSegmentName s = first; s.compareTo(last) <= 0; s = s.next()) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            WalFileName name = WalFileName.parse(s.fileName());
            wal.get(name, new OutputStreamSink(out, false));
            byte[] b = out.toByteArray();
            assertEquals(seg, b.length, s.fileName());
            WalSegmentValidator v = new WalSegmentValidator(name, seg, OptionalLong.of(systemId));
            v.update(b, 0, b.length);
            v.finish();
        }
        return files;
    }

    static byte[] bundleSlice(BackupCatalog catalog, BackupInfo info, ManifestFile f) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        catalog.readBundle(info.id(), f.bundle(), new OutputStreamSink(out, false));
        byte[] b = out.toByteArray();
        return java.util.Arrays.copyOfRange(b, (int) f.offset(), (int) (f.offset() + f.size()));
    }

    @PgTest
    void dataChecksumFailureFailsTheBackupAndLeavesNoManifest(PgHarness harness) throws Exception {
        PgCluster pg = server(harness, 1000);
        pg.execute("CREATE TABLE victim (id int, v text)",
                "INSERT INTO victim SELECT g, repeat('x', 100) FROM generate_series(1, 1000) g",
                "CHECKPOINT");
        Path file = pg.dataDirectory().resolve(pg.queryString("SELECT pg_relation_filepath('victim')"));
        pg.stop();
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.seek(4000);
            int b = f.read();
            f.seek(4000);
            f.write(b ^ 0x5A);
        }
        pg.start();
        RepositorySettings rs = localRepository();
        Repositories.create(rs).close();
        try (Repository repo = Repositories.open(rs)) {
            WalvaultException e = assertThrows(WalvaultException.class,
                    () -> new Backup(settings(pg), repo, BackupOptions.defaults().fastCheckpoint(true)).run());
            assertEquals(ErrorCode.DATA_CHECKSUM_FAILURE, e.code(), e.getMessage());
            long systemId = Long.parseUnsignedLong(pg.queryString("SELECT system_identifier FROM pg_control_system()"));
            assertEquals(List.of(), repo.cluster(systemId).backups().list(), "no manifest: the backup does not exist");
            try (Stream<ObjectInfo> left = repo.storage().list("clusters/" + Long.toUnsignedString(systemId) + "/backups/")) {
                assertEquals(List.of(), left.map(ObjectInfo::key).toList(), "its bundles were removed");
            }

            BackupResult allowed = new Backup(settings(pg), repo, BackupOptions.defaults().fastCheckpoint(true)
                    .allowChecksumFailures(true)).run();
            assertTrue(allowed.checksumFailure().isPresent(), "kept when allowed (so the failed one released its lock), and reported");
        }
    }

    @PgTest(min = 18)
    void maxRateSlowsTheBackupDown(PgHarness harness) throws Exception {
        PgCluster pg = server(harness, 1000);
        RepositorySettings rs = localRepository();
        Repositories.create(rs).close();
        int kbps = 8192;
        try (Repository repo = Repositories.open(rs)) {
            BackupResult r = new Backup(settings(pg), repo, BackupOptions.defaults().fastCheckpoint(true).maxRateKbps(kbps)).run();
            double rate = r.info().bytes() / (r.elapsed().toMillis() / 1000.0);
            assertTrue(r.info().bytes() > 20_000_000L, "enough data to measure: " + r.info().bytes());
            assertTrue(rate < kbps * 1024 * 1.5, "throttled to about " + kbps + " kB/s: " + (long) rate + " B/s");
        }
    }

}
