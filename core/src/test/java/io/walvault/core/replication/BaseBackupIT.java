package io.walvault.core.replication;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.walvault.core.error.ErrorCode;
import io.walvault.core.replication.conn.ConnectionSettings;
import io.walvault.core.tar.TarMember;
import io.walvault.testkit.PgCluster;
import io.walvault.testkit.PgHarness;
import io.walvault.testkit.PgTest;
import io.walvault.testkit.WriteLoad;
import java.io.ByteArrayOutputStream;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/** BASE_BACKUP against real servers, both protocol forms (14 and 15+). */
class BaseBackupIT {

    /** Records what the listener saw, checking the call order as it goes. */
    static final class Recorder implements BaseBackupListener {
        final List<String> archives = new ArrayList<>();
        final List<String> firstMembers = new ArrayList<>();
        final ByteArrayOutputStream manifest = new ByteArrayOutputStream();
        final ByteArrayOutputStream backupLabel = new ByteArrayOutputStream();
        long files;
        long rawBytes;
        long contentBytes;
        long progressCalls;
        TarMember member;
        long memberBytes;
        boolean inArchive;
        boolean started;

        @Override
        public void started(BackupStart start) {
            started = true;
        }

        @Override
        public void archiveStarted(TablespaceArchive archive) {
            assertTrue(started && !inArchive);
            assertEquals(0, manifest.size(), "archives come before the manifest");
            inArchive = true;
            archives.add(archive.name());
            firstMembers.add(null);
        }

        @Override
        public void archiveData(ByteBuffer data) {
            assertTrue(inArchive);
            rawBytes += data.remaining();
        }

        @Override
        public void memberStarted(TarMember m) {
            assertTrue(inArchive && member == null);
            if (firstMembers.get(firstMembers.size() - 1) == null) {
                firstMembers.set(firstMembers.size() - 1, m.path());
            }
            member = m;
            memberBytes = 0;
        }

        @Override
        public void memberData(ByteBuffer data) {
            assertNotNull(member);
            memberBytes += data.remaining();
            contentBytes += data.remaining();
            if (member.path().equals("backup_label")) {
                byte[] b = new byte[data.remaining()];
                data.get(b);
                backupLabel.writeBytes(b);
            }
        }

        @Override
        public void memberEnded(TarMember m) {
            assertEquals(member, m);
            assertEquals(m.size(), memberBytes, "content of '" + m.path() + "'");
            if (m.isFile()) {
                files++;
            }
            member = null;
        }

        @Override
        public void archiveEnded(TablespaceArchive archive) {
            assertTrue(inArchive && member == null);
            inArchive = false;
        }

        @Override
        public void manifestData(ByteBuffer data) {
            assertFalse(inArchive);
            byte[] b = new byte[data.remaining()];
            data.get(b);
            manifest.writeBytes(b);
        }

        @Override
        public void progress(long done, long total) {
            progressCalls++;
        }
    }

    @PgTest
    void backupUnderWriteLoadIsCompleteAndMatchesTheManifest(PgHarness harness) throws Exception {
        PgCluster pg = harness.cluster().start();
        Path tsDir = harness.scratchDirectory("tblspc");
        pg.execute("CREATE TABLESPACE wv_ts LOCATION '" + tsDir + "'",
                "CREATE TABLE t (id int PRIMARY KEY, v int NOT NULL)",
                "INSERT INTO t SELECT g, 0 FROM generate_series(1, 200000) g",
                "CREATE TABLE t2 (id int PRIMARY KEY, v int NOT NULL) TABLESPACE wv_ts",
                "INSERT INTO t2 SELECT g, 0 FROM generate_series(1, 50000) g");
        String tsOid = pg.queryString("SELECT oid FROM pg_tablespace WHERE spcname = 'wv_ts'");
        pg.execute("CREATE ROLE wv_backup LOGIN REPLICATION PASSWORD 'backup pw'");

        Recorder rec = new Recorder();
        BaseBackupResult result;
        long updates;
        ConnectionSettings s = ReplicationConnectionIT.settings(pg, "user=wv_backup password='backup pw' sslmode=disable");
        try (WriteLoad load = new WriteLoad(pg, "t", 200000); ReplicationConnection c = ReplicationConnection.open(s)) {
            while (load.updates() < 20) {
                Thread.sleep(20);
            }
            result = c.baseBackup(BaseBackupOptions.defaults().label("under load").fastCheckpoint(true), rec);
            updates = load.updates();
            assertTrue(updates > 20, "the table was written while the backup ran");
            // the connection is usable after a backup
            assertEquals(result.start().startTimeline(), c.identifySystem().timeline());
        }

        assertEquals(List.of(tsOid + ".tar", "base.tar"), rec.archives, "tablespaces first, the main directory last");
        assertEquals("backup_label", rec.firstMembers.get(1));
        assertEquals(result.files(), rec.files);
        assertEquals(result.manifest().files(), result.files(), "every file received is in the manifest and vice versa");
        assertEquals(result.bytes(), rec.rawBytes);
        assertTrue(result.files() > 500, "a whole cluster: " + result.files());
        assertTrue(rec.progressCalls > 0, "progress is reported (by the server from 15, by the client on 14)");
        assertTrue(result.endLsn().isAfter(result.start().startLsn()));
        assertEquals(1, result.manifest().walRanges().size());
        assertEquals(result.start().startLsn(), result.manifest().walRanges().get(0).start());
        assertEquals(result.endLsn(), result.manifest().walRanges().get(0).end());
        if (harness.version().major() >= 17) {
            assertEquals(pg.queryString("SELECT system_identifier FROM pg_control_system()"),
                    result.manifest().systemIdentifier().orElseThrow());
        }
        String label = rec.backupLabel.toString(StandardCharsets.UTF_8);
        assertTrue(label.contains("LABEL: under load"), label);
        assertTrue(label.contains("START WAL LOCATION: " + result.start().startLsn().toString().split("/")[0] + "/"), label);
        String manifest = rec.manifest.toString(StandardCharsets.UTF_8);
        assertTrue(manifest.contains("\"Path\": \"pg_tblspc/" + tsOid + "/"), "tablespace files are listed under pg_tblspc/<oid>/");
        assertTrue(manifest.contains("\"Path\": \"global/pg_control\""));
        assertTrue(result.checksumFailure().isEmpty());

        // without a tablespace map the tablespace is a symbolic link in base.tar; SHA-256 file checksums;
        // the list of received files kept on disk after the first 10
        List<TarMember> links = new ArrayList<>();
        try (ReplicationConnection c = ReplicationConnection.open(s)) {
            BaseBackupResult r = c.baseBackup(BaseBackupOptions.defaults().fastCheckpoint(true).tablespaceMap(false)
                    .manifestChecksums("SHA256").progress(false), new BaseBackupListener() {
                        @Override
                        public void memberStarted(TarMember m) {
                            if (m.type() == TarMember.Type.SYMLINK) {
                                links.add(m);
                            }
                        }
                    }, 10);
            assertEquals(result.manifest().files() - 1, r.manifest().files(), "the same files, less tablespace_map");
        }
        assertEquals(1, links.size(), links.toString());
        assertEquals("pg_tblspc/" + tsOid, links.get(0).path());
        assertEquals(tsDir.toString(), links.get(0).linkTarget());
    }

    @PgTest(min = 15)
    void aServerCompressedBackupDecodesIntoTheSameFilesAndALackingBuildIsRefusedBeforeTheBackup(PgHarness harness)
            throws Exception {
        PgCluster pg = harness.cluster().start();
        pg.execute("CREATE TABLE t (id int PRIMARY KEY, v text NOT NULL)",
                "INSERT INTO t SELECT g, repeat('x', 200) FROM generate_series(1, 100000) g");
        ConnectionSettings s = ReplicationConnectionIT.settings(pg, "user=" + PgCluster.SUPERUSER + " sslmode=disable");
        try (ReplicationConnection c = ReplicationConnection.open(s)) {
            Recorder plain = new Recorder();
            BaseBackupResult p = c.baseBackup(BaseBackupOptions.defaults().fastCheckpoint(true), plain);
            Recorder gzip = new Recorder();
            BaseBackupResult z = c.baseBackup(BaseBackupOptions.defaults().fastCheckpoint(true)
                    .compression(ServerCompression.parse("gzip:1")), gzip);
            assertEquals(List.of("base.tar"), gzip.archives, "archives keep their tar names for the listener");
            assertEquals(p.manifest().files(), z.manifest().files(), "every file arrived and matched the manifest");
            assertEquals(z.bytes(), gzip.rawBytes, "the listener sees the decoded tar");
            assertTrue(z.wireBytes() < z.bytes() / 3, "the socket carried the compressed archive: " + z.wireBytes()
                    + " of " + z.bytes());
            assertEquals(p.bytes(), p.wireBytes());
            // the build under test may lack lz4 (then the server refuses before it starts the backup,
            // and the connection stays usable) or have it (then it decodes like gzip)
            Recorder lz4 = new Recorder();
            try {
                BaseBackupResult l = c.baseBackup(BaseBackupOptions.defaults().fastCheckpoint(true)
                        .compression(ServerCompression.parse("lz4")), lz4);
                assertEquals(p.manifest().files(), l.manifest().files());
                assertTrue(l.wireBytes() < l.bytes(), l.wireBytes() + " of " + l.bytes());
            } catch (ServerErrorException e) {
                // 42601 while the options are read (18), 0A000 from the compressing sink (15)
                assertTrue(e.sqlState().equals("42601") || e.sqlState().equals("0A000"), e.getMessage());
                assertTrue(e.getMessage().toLowerCase().contains("lz4") && e.getMessage().contains("this build"), e.getMessage());
                assertFalse(lz4.started, "refused before the backup started");
                assertEquals(p.start().startTimeline(), c.identifySystem().timeline());
            }
        }
    }

    @PgTest
    void dataChecksumFailureFailsTheBackupUnlessAllowed(PgHarness harness) throws Exception {
        PgCluster pg = harness.cluster().start();
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
        ConnectionSettings s = ReplicationConnectionIT.settings(pg, "user=postgres sslmode=disable");

        try (ReplicationConnection c = ReplicationConnection.open(s)) {
            Recorder rec = new Recorder();
            ServerErrorException e = assertThrows(ServerErrorException.class,
                    () -> c.baseBackup(BaseBackupOptions.defaults().fastCheckpoint(true), rec));
            assertEquals(ErrorCode.DATA_CHECKSUM_FAILURE, e.code());
            assertEquals("XX001", e.sqlState());
            assertTrue(e.getMessage().startsWith("the server found data-checksum failures"), e.getMessage());
            assertTrue(rec.manifest.size() > 0, "the failure comes after all the data, the manifest included");

            BaseBackupResult allowed = c.baseBackup(BaseBackupOptions.defaults().fastCheckpoint(true)
                    .allowChecksumFailures(true), new BaseBackupListener() { });
            assertTrue(allowed.checksumFailure().isPresent());
            assertEquals("XX001", allowed.checksumFailure().get().sqlState());
        }
    }

    @PgTest
    void slowConsumerKeepsMemoryBoundedAndAConsumerCanCancel(PgHarness harness) throws Exception {
        PgCluster pg = harness.cluster().start();
        // one file much larger than the client's buffers
        pg.execute("CREATE TABLE big (id int, v text)",
                "INSERT INTO big SELECT g, repeat(md5(g::text), 8) FROM generate_series(1, 150000) g");
        ConnectionSettings s = ReplicationConnectionIT.settings(pg, "user=postgres sslmode=disable");

        try (ReplicationConnection c = ReplicationConnection.open(s)) {
            AtomicLong largest = new AtomicLong();
            BaseBackupResult r = c.baseBackup(BaseBackupOptions.defaults().fastCheckpoint(true), new BaseBackupListener() {
                long calls;

                @Override
                public void memberStarted(TarMember m) {
                    largest.accumulateAndGet(m.size(), Math::max);
                }

                @Override
                public void archiveData(ByteBuffer data) {
                    if (++calls % 64 == 0) {
                        try {
                            Thread.sleep(2); // a consumer slower than the network
                        } catch (InterruptedException e) {
                            throw new IllegalStateException(e);
                        }
                    }
                }
            });
            assertTrue(largest.get() > 30L << 20, "a file larger than 30 MB was received: " + largest.get());
            assertTrue(r.bytes() > largest.get());
            long max = c.transport().maxQueuedBytes();
            assertTrue(max < io.walvault.core.replication.wire.Transport.HIGH_WATER_BYTES + (1 << 20),
                    "the client held at most " + max + " bytes of unconsumed messages");
        }

        // a consumer that gives up: the connection closes and the server aborts the backup
        try (ReplicationConnection c = ReplicationConnection.open(s)) {
            IllegalStateException stop = new IllegalStateException("consumer gave up");
            IllegalStateException thrown = assertThrows(IllegalStateException.class, () -> c.baseBackup(
                    BaseBackupOptions.defaults().fastCheckpoint(true), new BaseBackupListener() {
                        int files;

                        @Override
                        public void memberEnded(TarMember m) {
                            if (++files == 100) {
                                throw stop;
                            }
                        }
                    }));
            assertEquals(stop, thrown);
            assertTrue(c.isClosed());
        }
        WalStreamIT.awaitEquals("0", () -> pg.queryString("SELECT count(*) FROM pg_stat_replication"));

        // another thread closes the connection: the backup stops and says it was cancelled
        try (ReplicationConnection c = ReplicationConnection.open(s)) {
            io.walvault.core.error.WalvaultException cancelled = assertThrows(io.walvault.core.error.WalvaultException.class,
                    () -> c.baseBackup(BaseBackupOptions.defaults().fastCheckpoint(true), new BaseBackupListener() {
                        @Override
                        public void archiveStarted(TablespaceArchive a) {
                            Thread closer = new Thread(c::close);
                            closer.start();
                            try {
                                closer.join();
                            } catch (InterruptedException e) {
                                throw new IllegalStateException(e);
                            }
                        }
                    }));
            assertEquals(ErrorCode.INTERRUPTED, cancelled.code());
            assertTrue(cancelled.getMessage().contains("was cancelled"), cancelled.getMessage());
        }
        WalStreamIT.awaitEquals("0", () -> pg.queryString("SELECT count(*) FROM pg_stat_replication"));

        // the connection breaks in the middle of a backup: the caller learns it as such
        try (ReplicationConnection c = ReplicationConnection.open(s)) {
            assertThrows(ConnectionLostException.class, () -> c.baseBackup(BaseBackupOptions.defaults().fastCheckpoint(true),
                    new BaseBackupListener() {
                        boolean done;

                        @Override
                        public void archiveData(ByteBuffer data) {
                            if (!done) {
                                done = true;
                                pg.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_replication");
                            }
                        }
                    }));
        }
    }

    @PgTest
    void aByteChangedInTransitIsCaughtByTheManifestCheck(PgHarness harness) throws Exception {
        PgCluster pg = harness.cluster().start();
        pg.execute("CREATE TABLE marked (id int, v text)",
                "INSERT INTO marked SELECT g, 'walvault-transit-marker-' || g FROM generate_series(1, 1000) g",
                "CHECKPOINT");
        String path = pg.queryString("SELECT pg_relation_filepath('marked')");
        try (CorruptingProxy proxy = new CorruptingProxy(pg.host(), pg.port(), "walvault-transit-marker-");
             ReplicationConnection c = ReplicationConnection.open(ConnectionSettings.parse("host=127.0.0.1 port=" + proxy.port()
                     + " user=postgres sslmode=disable", java.util.Map.of(), Path.of("/nonexistent-home"), "nobody"))) {
            io.walvault.core.error.WalvaultException e = assertThrows(io.walvault.core.error.WalvaultException.class,
                    () -> c.baseBackup(BaseBackupOptions.defaults().fastCheckpoint(true), new BaseBackupListener() { }));
            assertTrue(proxy.flipped());
            assertEquals(ErrorCode.BACKUP_MANIFEST_MISMATCH, e.code());
            assertTrue(e.getMessage().contains("1 problem(s): '" + path + "' has CRC32C "), e.getMessage());
        }
    }
}
