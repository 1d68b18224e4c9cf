package io.walvault.archiver.expire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.walvault.archiver.backup.Backup;
import io.walvault.archiver.backup.BackupOptions;
import io.walvault.core.config.RepositorySettings;
import io.walvault.core.config.Settings;
import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;
import io.walvault.core.replication.conn.ConnectionSettings;
import io.walvault.core.repo.BackupCatalog;
import io.walvault.core.repo.BackupInfo;
import io.walvault.core.repo.ChunkId;
import io.walvault.core.repo.ManifestFile;
import io.walvault.core.repo.ObjectWriter;
import io.walvault.core.repo.Repositories;
import io.walvault.core.repo.Repository;
import io.walvault.core.repo.RepositoryLock;
import io.walvault.core.repo.WalArchive;
import io.walvault.core.pipeline.Sink;
import io.walvault.core.storage.ForwardingStorage;
import io.walvault.core.storage.ObjectInfo;
import io.walvault.core.storage.Storage;
import io.walvault.core.wal.WalFileName;
import io.walvault.core.wal.WalSegmentName;
import io.walvault.testkit.PgCluster;
import io.walvault.testkit.PgHarness;
import io.walvault.testkit.PgTest;
import io.walvault.testkit.S3Bucket;
import io.walvault.testkit.S3Extension;
import io.walvault.testkit.S3Server;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link Expire} on backups taken from a real server with {@link Backup}, and the WAL that server
 * archived, in a local directory and in S3 (S3Proxy).
 */
@ExtendWith(S3Extension.class)
class ExpireIT {

    private static final long SEGMENT = 16L * 1024 * 1024;

    @TempDir
    Path dir;

    @PgTest
    void retainFullOneRemovesTheOlderBackupAndTheWalBeforeTheKeptOne(PgHarness harness) throws Exception {
        RepositorySettings rs = RepositorySettings.from(Settings.load(
                Map.of("repo", dir.resolve("repo").toUri().toString(), "encryption", "none"), null, Map.of()));
        scenario(harness, rs);
    }

    @PgTest(min = 18)
    void retainFullOneInS3(PgHarness harness, S3Bucket bucket) throws Exception {
        S3Server s = bucket.server();
        RepositorySettings rs = RepositorySettings.from(Settings.load(Map.of("repo", "s3://" + bucket.name() + "/pg",
                "encryption", "none", "s3-endpoint", s.endpoint().toString(), "s3-path-style", "true", "s3-region", s.region(),
                "s3-access-key-id", s.accessKey(), "s3-max-attempts", "2"), null,
                Map.of("WALVAULT_S3_SECRET_ACCESS_KEY", s.secretKey())));
        scenario(harness, rs);
    }

    private void scenario(PgHarness harness, RepositorySettings rs) throws Exception {
        PgCluster pg = harness.cluster().setting("wal_keep_size", "1GB").start();
        pg.execute("CREATE TABLE t (id int, pad text)", "CREATE ROLE wv_backup LOGIN REPLICATION PASSWORD 'backup pw'");
        long systemId = Long.parseUnsignedLong(pg.queryString("SELECT system_identifier FROM pg_control_system()"));
        Repositories.create(rs).close();
        try (Repository repo = Repositories.open(rs)) {
            BackupCatalog backups = repo.cluster(systemId).backups();
            WalArchive wal = repo.cluster(systemId).wal();
            BackupInfo older = backup(pg, repo);
            for (int i = 0; i < 2; i++) {
                pg.execute("INSERT INTO t SELECT g, repeat('x', 200) FROM generate_series(1, 2000) g", "SELECT pg_switch_wal()");
            }
            BackupInfo newer = backup(pg, repo);
            pg.execute("INSERT INTO t SELECT g, repeat('y', 200) FROM generate_series(1, 2000) g", "SELECT pg_switch_wal()");
            archiveAsArchiveCommandWould(pg, wal);
            // what a promotion and a streaming agent would have left: a history file and a partial segment
            put(wal, "00000002.history", "1\t0/9000000\tno recovery target specified\n".getBytes(StandardCharsets.UTF_8));
            put(wal, older.firstWal().orElseThrow().fileName() + ".partial", io.walvault.testkit.WalSegments.partial(older.firstWal().orElseThrow().fileName(),
                    older.walSegmentSize().getAsLong(), systemId, 1, 8192));
            // what a killed backup leaves: a bundle without a manifest
            try (ObjectWriter w = backups.newBundle("20200101T000000Z", 0)) {
                w.write(new byte[100], 0, 100);
                w.finish();
            }
            assertTrue(position(older.firstWal().orElseThrow().fileName()).compareTo(position(newer.firstWal().orElseThrow().fileName())) < 0, older + " / " + newer);
            Set<String> walBefore = walNames(wal);
            assertTrue(walBefore.contains(older.firstWal().orElseThrow().fileName()) && walBefore.contains(newer.lastWal().orElseThrow().fileName()), walBefore.toString());
            RetentionPolicy keepOne = RetentionPolicy.full(1).withOrphanGrace(Duration.ZERO);

            // a dry run lists what would go and removes nothing
            Set<String> everything = keys(repo);
            ExpireReport dry = new Expire(repo, systemId, keepOne).run(true);
            assertEquals(everything, keys(repo), "a dry run removes nothing");
            assertEquals(List.of(older.id()), dry.removedBackups().stream().map(BackupInfo::id).toList());
            assertEquals(List.of(newer.id()), dry.keptBackups().stream().map(BackupInfo::id).toList());
            String dryText = String.join("\n", dry.lines());
            assertTrue(dryText.contains("would remove: backup " + older.id() + " (ended " + older.stopTime()), dryText);
            assertTrue(dryText.contains("kept: backup " + newer.id()) && dryText.contains("newest 1 full backup"), dryText);
            assertTrue(dryText.contains("would remove: orphan 20200101T000000Z (1 objects"), dryText);
            assertTrue(dryText.contains("would remove: WAL of timeline 1, " + walBefore.iterator().next()), dryText);
            long expectedWalRemoved = walBefore.stream().filter(n -> !n.endsWith(".history"))
                    .filter(n -> position(n).compareTo(position(newer.firstWal().orElseThrow().fileName())) < 0).count();
            assertEquals(expectedWalRemoved, dry.walFilesRemoved());

            // a held expire lock (another expire) refuses, naming the holder
            try (RepositoryLock held = repo.cluster(systemId).lock("expire", Duration.ofMinutes(10))) {
                WalvaultException e = assertThrows(WalvaultException.class, () -> new Expire(repo, systemId, keepOne).run(false));
                assertEquals(ErrorCode.EXPIRE_LOCKED, e.code());
                assertEquals(64, e.code().exitCode());
                assertTrue(e.getMessage().contains("another expire runs") && e.getMessage().contains("held by process "
                        + ProcessHandle.current().pid()), e.getMessage());
            }
            assertEquals(everything, keys(repo), "a refused expire removes nothing");

            ExpireReport r = new Expire(repo, systemId, keepOne).run(false);
            assertEquals(dry.removedBackups(), r.removedBackups());
            assertEquals(dry.walRemoved(), r.walRemoved(), "the dry run listed exactly what was removed");
            assertEquals(List.of(newer.id()), backups.list());
            assertEquals(List.of(newer.id()), backups.stored().stream().map(BackupCatalog.StoredBackup::id).toList(),
                    "nothing left of the older backup or the orphan");
            assertEquals(newer, backups.readManifest(newer.id(), f -> { }));

            Set<String> walAfter = walNames(wal);
            assertTrue(walAfter.contains("00000002.history"), "history files stay");
            for (String n : walAfter) {
                assertTrue(n.endsWith(".history") || position(n).compareTo(position(newer.firstWal().orElseThrow().fileName())) >= 0,
                        n + " is before the kept backup's start " + newer.firstWal().orElseThrow().fileName());
            }
            assertFalse(walAfter.contains(older.firstWal().orElseThrow().fileName()));
            assertFalse(walAfter.contains(older.firstWal().orElseThrow().fileName() + ".partial"));
            // the kept backup has all its WAL, and the WAL archived after it is untouched
            for (WalSegmentName s = WalSegmentName.parse(newer.firstWal().orElseThrow().fileName(), SEGMENT); ; s = s.next()) {
                assertTrue(walAfter.contains(s.fileName()), "segment " + s.fileName() + " of the kept backup");
                if (s.fileName().equals(newer.lastWal().orElseThrow().fileName())) {
                    break;
                }
            }
            Set<String> kept = new TreeSet<>(walBefore);
            kept.removeIf(n -> !n.endsWith(".history") && position(n).compareTo(position(newer.firstWal().orElseThrow().fileName())) < 0);
            assertEquals(kept, walAfter);
            // the kept segments keep their indexes; the removed ones' went with them
            Set<String> segmentsBefore = walBefore.stream().filter(n -> n.matches("[0-9A-F]{24}")).collect(Collectors.toCollection(TreeSet::new));
            assertEquals(segmentsBefore, indexed(everything), "each archived segment was indexed");
            assertEquals(walAfter.stream().filter(n -> n.matches("[0-9A-F]{24}")).collect(Collectors.toCollection(TreeSet::new)),
                    indexed(keys(repo)));

            // a second run finds nothing more to do
            ExpireReport again = new Expire(repo, systemId, keepOne).run(false);
            assertEquals(List.of(), again.removedBackups());
            assertEquals(0, again.walFilesRemoved());
            assertEquals(walAfter, walNames(wal));
        }
    }

    /**
     * {@code expire --remove ID}: three backups of a table that grows and changes between them;
     * the middle one named goes with the chunks only it used, the others stay whole and no WAL
     * goes; names expire may not remove are refused before anything is removed; the oldest
     * named takes the WAL before the next kept backup with it.
     */
    @PgTest
    void aNamedBackupGoesWithWhatOnlyItUsedAndEveryOtherOneStays(PgHarness harness) throws Exception {
        PgCluster pg = tableOf(harness.cluster().setting("wal_keep_size", "1GB").start(), 20000);
        long systemId = Long.parseUnsignedLong(pg.queryString("SELECT system_identifier FROM pg_control_system()"));
        RepositorySettings rs = localRepository();
        try (Repository repo = Repositories.open(rs)) {
            BackupCatalog backups = repo.cluster(systemId).backups();
            WalArchive wal = repo.cluster(systemId).wal();
            BackupInfo first = backup(pg, repo);
            pg.execute("UPDATE t SET pad = md5(pad) || repeat('y', 200) WHERE id % 3 = 0", "SELECT pg_switch_wal()");
            BackupInfo second = backup(pg, repo);
            pg.execute("UPDATE t SET pad = md5(pad) || repeat('z', 200) WHERE id % 5 = 0", "SELECT pg_switch_wal()");
            BackupInfo third = backup(pg, repo);
            archiveAsArchiveCommandWould(pg, wal);
            Set<String> chunksOfFirstAndThird = new TreeSet<>(chunkKeys(repo, systemId, first.id()));
            chunksOfFirstAndThird.addAll(chunkKeys(repo, systemId, third.id()));
            Set<String> onlySecond = new TreeSet<>(chunkKeys(repo, systemId, second.id()));
            onlySecond.removeAll(chunksOfFirstAndThird);
            assertFalse(onlySecond.isEmpty(), "the update between the first and the second backup left chunks only the second uses");

            // refused, removing nothing: the newest restorable backup, an id the cluster lacks
            Set<String> everything = keys(repo);
            for (List<String> names : List.of(List.of(second.id(), third.id()), List.of("20200101T000000Z"))) {
                WalvaultException e = assertThrows(WalvaultException.class,
                        () -> new Expire(repo, systemId, RetentionPolicy.named(names, Duration.ZERO)).run(false));
                assertEquals(ErrorCode.EXPIRE_BACKUP_REFUSED, e.code(), e.getMessage());
                assertEquals(everything, keys(repo), "a refused expire removes nothing: " + names);
            }

            RetentionPolicy middle = RetentionPolicy.named(List.of(second.id()), Duration.ZERO);
            ExpireReport dry = new Expire(repo, systemId, middle).run(true);
            assertEquals(everything, keys(repo), "a dry run removes nothing");
            String dryText = String.join("\n", dry.lines());
            assertTrue(dryText.contains("retention: only the backup " + second.id() + " named by --remove"), dryText);
            assertTrue(dryText.contains("would remove: backup " + second.id()), dryText);
            assertTrue(dryText.contains("kept: backup " + first.id()) && dryText.contains("not named by --remove"), dryText);

            Set<String> walBefore = walNames(wal);
            ExpireReport r = new Expire(repo, systemId, middle).run(false);
            assertEquals(List.of(second.id()), r.removedBackups().stream().map(BackupInfo::id).toList());
            assertEquals(List.of(first.id(), third.id()), backups.list());
            Set<String> walFromFirst = walBefore.stream().filter(n -> n.endsWith(".history")
                    || position(n).compareTo(position(first.firstWal().orElseThrow().fileName())) >= 0)
                    .collect(Collectors.toCollection(TreeSet::new));
            assertTrue(walFromFirst.contains(second.firstWal().orElseThrow().fileName()), walFromFirst.toString());
            assertEquals(walFromFirst, walNames(wal), "the oldest backup is kept: no WAL from its start on goes");
            Set<String> chunksLeft = keys(repo).stream().filter(k -> k.contains("/chunks/")).collect(Collectors.toCollection(TreeSet::new));
            assertEquals(chunksOfFirstAndThird, chunksLeft, "exactly the chunks the kept backups use are left");
            assertEquals(onlySecond.size(), r.chunksRemoved());
            byte[] buffer = new byte[4 * 1024 * 1024];
            for (BackupInfo kept : List.of(first, third)) {
                assertEquals(kept, backups.readManifest(kept.id(), f -> {
                    if (f.chunks() != null) {
                        for (ChunkId c : f.chunks()) {
                            try {
                                repo.cluster(systemId).chunks().readInto(c, buffer, f.path());
                            } catch (java.io.IOException e) {
                                throw new java.io.UncheckedIOException(e);
                            }
                        }
                    }
                }));
            }

            // the oldest named: the WAL before the kept backup's start goes with it
            ExpireReport oldest = new Expire(repo, systemId, RetentionPolicy.named(List.of(first.id()), Duration.ZERO)).run(false);
            assertEquals(List.of(first.id()), oldest.removedBackups().stream().map(BackupInfo::id).toList());
            assertEquals(List.of(third.id()), backups.list());
            assertTrue(oldest.walFilesRemoved() > 0, String.join("\n", oldest.lines()));
            for (String n : walNames(wal)) {
                assertTrue(n.endsWith(".history") || position(n).compareTo(position(third.firstWal().orElseThrow().fileName())) >= 0,
                        n + " is before the kept backup's start " + third.firstWal().orElseThrow().fileName());
            }
            assertTrue(walNames(wal).contains(third.lastWal().orElseThrow().fileName()));
        }
    }

    /** {@code pg} with the backup role and a table {@code t} of {@code rows} rows of ~230 bytes. */
    private static PgCluster tableOf(PgCluster pg, int rows) throws Exception {
        pg.execute("CREATE TABLE t (id int, pad text)", "CREATE ROLE wv_backup LOGIN REPLICATION PASSWORD 'backup pw'",
                "INSERT INTO t SELECT g, md5(g::text) || repeat('x', 200) FROM generate_series(1, " + rows + ") g");
        return pg;
    }

    /** A new unencrypted repository in the test's directory. */
    private RepositorySettings localRepository() throws Exception {
        RepositorySettings rs = RepositorySettings.from(Settings.load(
                Map.of("repo", dir.resolve("repo").toUri().toString(), "encryption", "none"), null, Map.of()));
        Repositories.create(rs).close();
        return rs;
    }

    private static Set<String> chunkKeys(Repository repo, long systemId, String backupId) throws Exception {
        Set<String> out = new TreeSet<>();
        repo.cluster(systemId).backups().readManifest(backupId, f -> {
            if (f.chunks() != null) {
                f.chunks().forEach(c -> out.add(repo.cluster(systemId).chunks().key(c)));
            }
        });
        return out;
    }

    /**
     * Expire beside a running backup (PostgreSQL 18 with WAL summaries, so the running backup
     * reads incrementally and reuses the earlier backup's chunks): the backup is held just before
     * it writes its manifest, when the chunks it wrote and reuses are named by no stored
     * manifest and its directory looks like an orphan. Expire removes the older backup by the
     * policy and keeps the rest; the held backup then commits, and every chunk it names is there.
     * The next expire, alone, sweeps what no backup names.
     */
    @PgTest(min = 18)
    void expireBesideARunningBackupRemovesNothingTheBackupNeeds(PgHarness harness) throws Exception {
        PgCluster pg = tableOf(harness.cluster().setting("wal_keep_size", "1GB").setting("summarize_wal", "on").start(), 40000);
        long systemId = Long.parseUnsignedLong(pg.queryString("SELECT system_identifier FROM pg_control_system()"));
        RepositorySettings rs = localRepository();
        HoldingStorage held = new HoldingStorage(Repositories.storage(rs));
        RetentionPolicy keepOne = RetentionPolicy.full(1).withOrphanGrace(Duration.ZERO);
        try (Repository repo = Repositories.open(rs); Repository holdingRepo = Repository.open(held, Repositories.keys(rs))) {
            BackupCatalog backups = repo.cluster(systemId).backups();
            BackupInfo first = backup(pg, repo);
            pg.execute("UPDATE t SET pad = md5(pad) || repeat('y', 200) WHERE id % 3 = 0");
            BackupInfo second = backup(pg, repo);
            pg.execute("UPDATE t SET pad = md5(pad) || repeat('z', 200) WHERE id % 5 = 0");

            CompletableFuture<BackupInfo> running = CompletableFuture.supplyAsync(() -> backup(pg, holdingRepo));
            assertTrue(held.reached.await(120, TimeUnit.SECONDS), "the third backup reached its manifest");
            ExpireReport beside;
            try {
                beside = new Expire(repo, systemId, keepOne).run(false);
            } finally {
                held.release.countDown();
            }
            BackupInfo third = running.get(120, TimeUnit.SECONDS);

            // every chunk the backup that ran beside expire names is stored and reads
            byte[] buffer = new byte[4 * 1024 * 1024];
            List<ManifestFile> chunked = new ArrayList<>();
            backups.readManifest(third.id(), f -> {
                if (f.chunks() != null && !f.chunks().isEmpty()) {
                    chunked.add(f);
                }
            });
            assertFalse(chunked.isEmpty(), "the table's files are stored as chunks");
            for (ManifestFile f : chunked) {
                for (ChunkId c : f.chunks()) {
                    repo.cluster(systemId).chunks().readInto(c, buffer, f.path());
                }
            }

            assertEquals(List.of(first.id()), beside.removedBackups().stream().map(BackupInfo::id).toList());
            assertEquals(List.of(second.id()), beside.keptBackups().stream().map(BackupInfo::id).toList());
            String text = String.join("\n", beside.lines());
            assertTrue(text.contains("kept: every chunk: a backup of the cluster is running"), text);
            assertTrue(text.contains("kept: orphan " + third.id()), text);
            assertEquals(0, beside.chunksRemoved());
            assertEquals(List.of(second.id(), third.id()), backups.list());

            // alone, expire sweeps the chunks only the removed backup named, and none the kept ones name
            ExpireReport alone = new Expire(repo, systemId, keepOne).run(false);
            assertEquals(List.of(second.id()), alone.removedBackups().stream().map(BackupInfo::id).toList());
            assertTrue(alone.chunksRemoved() > 0, String.join("\n", alone.lines()));
            for (ManifestFile f : chunked) {
                for (ChunkId c : f.chunks()) {
                    repo.cluster(systemId).chunks().readInto(c, buffer, f.path());
                }
            }
        }
    }

    /** A store that holds the first write of a backup's manifest until released. */
    private static final class HoldingStorage extends ForwardingStorage {
        final CountDownLatch reached = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);

        HoldingStorage(Storage inner) {
            super(inner);
        }

        @Override
        public Sink newWrite(String key, WriteMode mode) {
            if (key.matches(".*/backups/[^/]+/manifest[^/]*") && reached.getCount() > 0) {
                reached.countDown();
                try {
                    if (!release.await(120, TimeUnit.SECONDS)) {
                        throw new IllegalStateException("never released");
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException(e);
                }
            }
            return super.newWrite(key, mode);
        }

        @Override
        public void close() {
            // the repository over the inner store closes it
        }
    }

    private static BackupInfo backup(PgCluster pg, Repository repo) {
        ConnectionSettings c = ConnectionSettings.parse("host=127.0.0.1 port=" + pg.port()
                + " user=wv_backup password='backup pw' sslmode=disable", Map.of(), Path.of("/nonexistent-home"), "nobody");
        return new Backup(c, repo, BackupOptions.defaults().fastCheckpoint(true)).run().info();
    }

    /** Every complete segment and backup history file of pg_wal not yet archived, as archive_command would push them. */
    private static void archiveAsArchiveCommandWould(PgCluster pg, WalArchive wal) throws Exception {
        String current = pg.queryString("SELECT pg_walfile_name(pg_current_wal_lsn())");
        try (Stream<Path> files = Files.list(pg.dataDirectory().resolve("pg_wal"))) {
            for (Path p : files.sorted().toList()) {
                WalFileName n = WalFileName.tryParse(p.getFileName().toString()).orElse(null);
                if (n == null || n.kind() == WalFileName.Kind.PARTIAL || n.kind() == WalFileName.Kind.HISTORY
                        || n.segment().compareTo(current) >= 0 || wal.info(n).isPresent()) {
                    continue;
                }
                wal.put(n, () -> Files.newInputStream(p));
            }
        }
    }

    private static void put(WalArchive wal, String name, byte[] content) throws Exception {
        wal.put(WalFileName.parse(name), () -> new java.io.ByteArrayInputStream(content));
    }

    private static String position(String walFileName) {
        return walFileName.substring(8, 24);
    }

    private static Set<String> walNames(WalArchive wal) {
        try (Stream<WalFileName> l = wal.list()) {
            return l.map(WalFileName::name).collect(Collectors.toCollection(TreeSet::new));
        }
    }

    /** The segments whose index is among {@code keys}. */
    private static Set<String> indexed(Set<String> keys) {
        return keys.stream().filter(k -> k.contains("/wal-index/"))
                .map(k -> k.substring(k.lastIndexOf('/') + 1, k.indexOf(".json"))).collect(Collectors.toCollection(TreeSet::new));
    }

    private static Set<String> keys(Repository repo) {
        try (Stream<ObjectInfo> l = repo.storage().list("")) {
            return l.map(ObjectInfo::key).collect(Collectors.toCollection(TreeSet::new));
        }
    }
}
