package io.walvault.restore.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.walvault.core.compress.Compression;
import io.walvault.core.error.CorruptDataException;
import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;
import io.walvault.core.repo.BackupCatalog;
import io.walvault.core.repo.BackupInfo;
import io.walvault.core.repo.EncryptionMode;
import io.walvault.core.repo.ManifestFile;
import io.walvault.core.repo.ManifestWriter;
import io.walvault.core.repo.Repository;
import io.walvault.core.storage.memory.MemoryStorage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import io.walvault.core.wal.Lsn;
import io.walvault.core.wal.TimelineId;
import java.time.Instant;

/** The restore's directories and its last check, without a repository of real data. */
class TargetDirectoryTest {

    @TempDir
    Path dir;

    static ManifestSpool manifest(ManifestFile... entries) throws Exception {
        Repository repo = Repository.create(new MemoryStorage(), new Repository.InitOptions(Compression.LZ4, EncryptionMode.NONE,
                null, null, null));
        BackupCatalog catalog = repo.cluster(42).backups();
        try (ManifestWriter w = catalog.newManifest(BackupInfo.of("20261121T090000Z", 42, 180000, TimelineId.of(1), Lsn.parse("0/2000028"), Lsn.parse("0/3000000"), Instant.parse("2026-11-21T09:00:00Z"), Instant.parse("2026-11-21T09:01:00Z"), "x"))) {
            for (ManifestFile f : entries) {
                w.add(f);
            }
            w.finish();
        }
        return ManifestSpool.read(catalog, "20261121T090000Z");
    }

    @Test
    void aDirectoryWithAnythingInItIsRefusedAndNothingIsWritten() throws Exception {
        Path data = dir.resolve("data");
        TargetDirectory t = new TargetDirectory(data, TablespaceLayout.of(data, Map.of(), Map.of()));
        t.checkEmpty(); // does not exist: fine
        Files.createDirectories(data);
        t.checkEmpty(); // empty: fine
        Files.writeString(data.resolve("PG_VERSION"), "18\n");
        WalvaultException e = assertThrows(WalvaultException.class, t::checkEmpty);
        assertEquals(ErrorCode.RESTORE_TARGET_NOT_EMPTY, e.code());
        assertEquals("18\n", Files.readString(data.resolve("PG_VERSION")), "nothing touched");
    }

    @Test
    void theMarkerStaysUntilCompleteAndAFailureLeavesItWithTheReasonAndNothingStartable() throws Exception {
        Path data = dir.resolve("data");
        TargetDirectory t = new TargetDirectory(data, TablespaceLayout.of(data, Map.of(), Map.of()));
        t.create("20261121T090000Z", 7L);
        assertTrue(t.created());
        assertTrue(Files.exists(data.resolve(TargetDirectory.MARKER)));
        Files.writeString(data.resolve("recovery.signal"), "");
        t.markFailed(new CorruptDataException("bundle 'b' is corrupt"), 7L);
        assertFalse(Files.exists(data.resolve("recovery.signal")), "the server must not start on it");
        assertTrue(Files.readString(data.resolve(TargetDirectory.MARKER)).contains("bundle 'b' is corrupt"));
        Path ok = dir.resolve("ok");
        TargetDirectory done = new TargetDirectory(ok, TablespaceLayout.of(ok, Map.of(), Map.of()));
        done.create("20261121T090000Z", 7L);
        done.complete();
        assertFalse(Files.exists(ok.resolve(TargetDirectory.MARKER)));
    }

    @Test
    void clearTakesBackEverythingTheRestoreWroteAndNothingElse() throws Exception {
        Path data = dir.resolve("data");
        Path ts = dir.resolve("ts");
        Path outside = Files.writeString(dir.resolve("outside"), "not the restore's");
        TablespaceLayout layout = TablespaceLayout.of(data, Map.of("16384", ts.toString()), Map.of());
        TargetDirectory t = new TargetDirectory(data, layout);
        t.checkEmpty();
        t.create("20261121T090000Z", 7L);
        try (ManifestSpool m = manifest()) {
            t.makeDirectories(m);
        }
        Files.createDirectories(data.resolve("base/1"));
        Files.writeString(data.resolve("base/1/1259"), "relation");
        Files.createDirectories(data.resolve("pg_wal/.walvault/get"));
        Files.writeString(data.resolve("pg_wal/.walvault/get/000000010000000000000002"), "segment");
        Files.createSymbolicLink(data.resolve("pg_wal/link-out"), outside);
        Files.createDirectories(ts.resolve("PG_18_202406281"));
        Files.writeString(ts.resolve("PG_18_202406281/table"), "tablespace data");

        t.clear();
        try (var left = Files.list(data)) {
            assertEquals(List.of(), left.toList(), "the data directory is empty again");
        }
        try (var left = Files.list(ts)) {
            assertEquals(List.of(), left.toList(), "the tablespace directory is empty again");
        }
        assertEquals("not the restore's", Files.readString(outside), "a link is removed, never followed");
        t.checkEmpty(); // a second restore may begin
    }

    @Test
    void accountingRefusesAMissingFileAWrongSizeAndAFileTheBackupDoesNotHave() throws Exception {
        Path data = dir.resolve("data");
        TablespaceLayout layout = TablespaceLayout.of(data, Map.of(), Map.of());
        Files.createDirectories(data.resolve("base"));
        Files.write(data.resolve("base/1"), new byte[10]);
        Files.write(data.resolve("base/2"), new byte[20]);
        try (ManifestSpool m = manifest(ManifestFile.directory("base", 0700, 1),
                ManifestFile.file("base/1", 10, 0600, 1, "CRC32C:00000001", 0, 0),
                ManifestFile.file("base/2", 20, 0600, 1, "CRC32C:00000002", 0, 10))) {
            RestoreAccounting.check(m, layout, data); // exactly the manifest's files: fine
            Files.write(data.resolve("base/3"), new byte[1]);
            CorruptDataException extra = assertThrows(CorruptDataException.class, () -> RestoreAccounting.check(m, layout, data));
            assertTrue(extra.getMessage().contains("3 files are on disk, but the backup's manifest lists 2"), extra.getMessage());
            Files.delete(data.resolve("base/3"));
            Files.write(data.resolve("base/2"), new byte[19]);
            CorruptDataException size = assertThrows(CorruptDataException.class, () -> RestoreAccounting.check(m, layout, data));
            assertTrue(size.getMessage().contains("'base/2' is 19 bytes, not 20"), size.getMessage());
            Files.delete(data.resolve("base/2"));
            CorruptDataException missing = assertThrows(CorruptDataException.class, () -> RestoreAccounting.check(m, layout, data));
            assertTrue(missing.getMessage().contains("'base/2' is missing"), missing.getMessage());
        }
    }
}
