package io.walvault.restore.run;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.walvault.core.compress.Compression;
import io.walvault.core.repo.BackupCatalog;
import io.walvault.core.repo.BackupInfo;
import io.walvault.core.repo.ChunkId;
import io.walvault.core.repo.EncryptionMode;
import io.walvault.core.repo.ManifestFile;
import io.walvault.core.repo.ManifestWriter;
import io.walvault.core.repo.Repository;
import io.walvault.core.storage.memory.MemoryStorage;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import io.walvault.core.wal.Lsn;
import io.walvault.core.wal.TimelineId;
import java.time.Instant;

class ManifestSpoolTest {

    @Test
    void givesEachBundleItsFilesWhateverTheManifestOrder() throws Exception {
        Repository repo = Repository.create(new MemoryStorage(), new Repository.InitOptions(Compression.LZ4, EncryptionMode.NONE,
                null, null, null));
        BackupCatalog catalog = repo.cluster(42).backups();
        List<ManifestFile> entries = new ArrayList<>();
        entries.add(ManifestFile.directory("base", 0700, 1));
        entries.add(ManifestFile.file("backup_label", 10, 0600, 1, "CRC32C:00000001", 0, 0));
        for (int i = 0; i < 3000; i++) {
            // bundles interleaved, paths of varying length
            entries.add(ManifestFile.file("base/5/" + i + "x".repeat(i % 7), i, 0600, 1, "CRC32C:0000abcd", i % 3, i * 10L));
        }
        entries.add(ManifestFile.link("pg_tblspc/16384", "/srv/ts", 1));
        try (ManifestWriter w = catalog.newManifest(BackupInfo.of("20261121T090000Z", 42, 180000, TimelineId.of(1), Lsn.parse("0/2000028"), Lsn.parse("0/3000000"), Instant.parse("2026-11-21T09:00:00Z"), Instant.parse("2026-11-21T09:01:00Z"), "x"))) {
            for (ManifestFile f : entries) {
                w.add(f);
            }
            w.finish();
        }
        try (ManifestSpool s = ManifestSpool.read(catalog, "20261121T090000Z")) {
            assertEquals(List.of(0, 1, 2), s.bundles());
            assertEquals(3001, s.files());
            assertEquals(1, s.directories().size());
            assertEquals("/srv/ts", s.links().get(0).linkTarget());
            assertEquals(entries.get(1), s.topLevelFile("backup_label").orElseThrow());
            for (int b = 0; b < 3; b++) {
                int bundle = b;
                List<ManifestFile> want = entries.stream().filter(ManifestFile::isFile).filter(f -> f.bundle() == bundle).toList();
                assertEquals(want, s.filesOf(bundle));
            }
            List<ManifestFile> all = new ArrayList<>();
            s.forEachFile(all::add);
            assertEquals(entries.stream().filter(ManifestFile::isFile).toList(), all);
        }
    }

    @Test
    void theFilesHeadsSkipTheChunksAndStayInStep() throws Exception {
        List<ChunkId> ids = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            ids.add(ChunkId.fromBytes(new byte[32]));
        }
        try (ManifestSpool s = TargetDirectoryTest.manifest(
                ManifestFile.file("backup_label", 10, 0600, 1, "CRC32C:00000001", 0, 0),
                ManifestFile.chunked("base/5/16384", 5 * 8192, 0600, 1, "CRC32C:00000002", 8192, ids,
                        new long[] {1, 2, 3, 4, 5}),
                ManifestFile.file("base/5/16385", 7, 0600, 1, "CRC32C:00000003", 0, 10),
                ManifestFile.chunked("base/5/16386", 5 * 8192, 0600, 1, "CRC32C:00000004", 8192, ids),
                ManifestFile.file("global/pg_control", 8192, 0600, 1, "CRC32C:00000005", 0, 17))) {
            List<ManifestSpool.FileHead> heads = new ArrayList<>();
            s.forEachHead(heads::add);
            List<ManifestSpool.FileHead> want = new ArrayList<>();
            s.forEachFile(f -> want.add(new ManifestSpool.FileHead(f.path(), f.size())));
            assertEquals(5, want.size());
            assertEquals(want, heads);
        }
    }
}
