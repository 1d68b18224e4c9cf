package io.walvault.core.repo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.walvault.core.compress.Compression;
import io.walvault.core.crypto.PassphraseKdf;
import io.walvault.core.crypto.X25519Keys;
import io.walvault.core.pipeline.DiscardSink;
import io.walvault.core.storage.Storage;
import io.walvault.core.storage.memory.MemoryStorage;
import io.walvault.core.wal.Lsn;
import io.walvault.core.wal.SegmentIndex;
import io.walvault.core.wal.SegmentIndexStage;
import io.walvault.core.wal.TimelineId;
import io.walvault.core.wal.WalFileName;
import io.walvault.core.wal.WalSegmentName;
import io.walvault.testkit.PgCluster;
import io.walvault.testkit.PgHarness;
import io.walvault.testkit.PgTest;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * Archiving a segment stores its index beside it (written by a host that cannot decrypt, read
 * by one that can), removing the segment removes the index, and an index that cannot be read
 * counts as none.
 */
class WalIndexIT {

    private static final long MB = 1 << 20;

    @PgTest(min = 18)
    void archivingStoresEachSegmentsIndexAndRemovingTakesItAway(PgHarness pg) throws Exception {
        PgCluster server = pg.cluster().initdbOption("--wal-segsize=1").setting("wal_keep_size", "1GB").start();
        long sysid = Long.parseUnsignedLong(server.queryString("SELECT system_identifier FROM pg_control_system()"));
        Lsn start = Lsn.parse(server.queryString("SELECT pg_current_wal_lsn()"));
        try (Connection c = server.connect(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE t (id int)");
            for (int i = 0; i < 3; i++) {
                s.execute("INSERT INTO t VALUES (" + i + ")");
                s.execute("SELECT pg_create_restore_point('point " + i + "')");
                s.execute("SELECT pg_switch_wal()");
            }
        }
        Lsn end = Lsn.parse(server.queryString("SELECT pg_current_wal_lsn()"));
        Path walDir = server.dataDirectory().resolve("pg_wal");

        MemoryStorage storage = new MemoryStorage();
        byte[] privateKey = X25519Keys.generatePrivateKey();
        Repository.create(storage, new Repository.InitOptions(Compression.LZ4, EncryptionMode.PUBLIC_KEY, null,
                X25519Keys.publicKeyOf(privateKey), new PassphraseKdf(8 * 1024, 1, 1, new byte[16])));
        WalArchive archiver = Repository.open(storage, KeyMaterial.none()).cluster(sysid).wal();
        WalArchive reader = Repository.open(storage, KeyMaterial.privateKeys(List.of(privateKey.clone()))).cluster(sysid).wal();
        List<WalFileName> names = new ArrayList<>();
        for (long n = start.segmentNumber(MB); n <= end.plus(-1).segmentNumber(MB); n++) {
            WalFileName name = WalFileName.parse(new WalSegmentName(TimelineId.FIRST, n, MB).fileName());
            byte[] bytes = Files.readAllBytes(walDir.resolve(name.name()));
            assertFalse(archiver.put(name, () -> new ByteArrayInputStream(bytes)).alreadyPresent());
            SegmentIndexStage stage = new SegmentIndexStage(new DiscardSink(), name);
            stage.write(bytes, 0, bytes.length);
            stage.finish();
            SegmentIndex expected = stage.index().orElseThrow();
            assertEquals(expected, reader.index(name).orElseThrow(() -> new AssertionError(name + ": no index stored")));
            names.add(name);
        }
        assertTrue(names.size() >= 3, names.toString());
        assertTrue(names.stream().anyMatch(n -> reader.index(n).orElseThrow().restorePoints().contains("point 1")));
        String key = reader.indexKey(names.get(1));
        assertTrue(key.startsWith("clusters/" + Long.toUnsignedString(sysid) + "/wal-index/00000001/0000000100000000/")
                && key.endsWith(".json.lz4.enc"), key);
        assertTrue(storage.info(key).isPresent());

        // removed with its segment
        reader.remove(names.get(0));
        assertFalse(storage.info(reader.indexKey(names.get(0))).isPresent());
        assertTrue(reader.index(names.get(0)).isEmpty());
        // expire removes keys(name) in order: stopped after the first, what is left is still listed, so its rerun
        // removes the rest (an index alone would be listed by nothing and stay forever)
        List<String> keys = reader.keys(names.get(2));
        assertEquals(2, keys.size(), keys.toString());
        storage.remove(keys.get(0));
        try (var listed = reader.listObjects()) {
            assertTrue(listed.anyMatch(f -> f.name().equals(names.get(2))), "the segment is still listed");
        }
        assertTrue(reader.index(names.get(2)).isEmpty(), "read by decoding from now on");

        // damaged, or moved under another segment's name: as if there were none
        try (var w = storage.newWrite(key, Storage.WriteMode.OVERWRITE)) {
            byte[] junk = "not an index".getBytes(StandardCharsets.UTF_8);
            w.write(junk, 0, junk.length);
            w.finish();
        }
        assertTrue(reader.index(names.get(1)).isEmpty());
        assertTrue(reader.index(WalFileName.parse(names.get(1).name() + ".partial")).isEmpty(), "partial segments have none");
    }
}
