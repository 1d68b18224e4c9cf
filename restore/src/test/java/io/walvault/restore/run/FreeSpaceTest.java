package io.walvault.restore.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;
import io.walvault.core.repo.ManifestFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The room a restore needs, by file system, checked before anything is written. */
class FreeSpaceTest {

    @TempDir
    Path dir;

    private static final long MB = 1_000_000;

    /** The data directory and a tablespace on two file systems, {@code dataFree} and 10 GB free. */
    private FreeSpace.Probe twoFileSystems(Path data, long dataFree) {
        return d -> d.startsWith(data) ? new FreeSpace.Space("data-fs", dataFree) : new FreeSpace.Space("ts-fs", 10_000 * MB);
    }

    private static ManifestSpool manifest() throws Exception {
        return TargetDirectoryTest.manifest(ManifestFile.directory("base", 0700, 1),
                ManifestFile.file("base/5/16384", 100 * MB, 0600, 1, "CRC32C:00000001", 0, 0),
                ManifestFile.file("base/5/16384_vm", 1, 0600, 1, "CRC32C:00000002", 0, 0), // a block, whatever its size
                ManifestFile.file("base/16400/16500", 500 * MB, 0600, 1, "CRC32C:00000003", 0, 0),
                ManifestFile.file("pg_tblspc/16390/PG_15_202209061/5/16391", 2_000 * MB, 0600, 1, "CRC32C:00000004", 0, 0));
    }

    @Test
    void eachFileSystemMustHoldWhatTheRestoreWritesThere() throws Exception {
        Path data = dir.resolve("data");
        TablespaceLayout layout = TablespaceLayout.of(data, Map.of("16390", "/old/ts"),
                Map.of("/old/ts", dir.resolve("ts").toString()));
        try (ManifestSpool m = manifest()) {
            Map<Object, FreeSpace.Need> needs = FreeSpace.needs(m, layout, SkippedDatabases.none(), twoFileSystems(data, 0));
            assertEquals(600 * MB + 4096 + (100 * MB % 4096 == 0 ? 0 : 4096 - 100 * MB % 4096)
                    + (500 * MB % 4096 == 0 ? 0 : 4096 - 500 * MB % 4096), needs.get("data-fs").bytes());
            assertEquals(data, needs.get("data-fs").directory());
            assertEquals(dir.resolve("ts"), needs.get("ts-fs").directory());
            assertTrue(needs.get("ts-fs").bytes() >= 2_000 * MB);

            FreeSpace.check(m, layout, SkippedDatabases.none(), twoFileSystems(data, 601 * MB)); // room enough
            WalvaultException full = assertThrows(WalvaultException.class,
                    () -> FreeSpace.check(m, layout, SkippedDatabases.none(), twoFileSystems(data, 599 * MB)));
            assertEquals(ErrorCode.RESTORE_WRITE_FAILED, full.code());
            assertTrue(full.getMessage().contains("the file system of '" + data + "' has 599.0 MB free, and the restore writes"
                    + " 600.0 MB there; nothing was written"), full.getMessage());

            // a skipped database's relation files are sparse: they take no room
            SkippedDatabases skipped = SkippedDatabases.choose(DatabaseChoice.of(List.of(), List.of("main")),
                    Map.of("main", 16400L, "postgres", 5L), Map.of(16400L, 500 * MB, 5L, 100 * MB), "b");
            FreeSpace.check(m, layout, skipped, twoFileSystems(data, 101 * MB));
        }
        assertTrue(Files.notExists(data), "nothing written");
    }

    @Test
    void aTablespaceTheBackupGivesNoLocationForIsRefusedAsTheRestoreWouldRefuseIt() throws Exception {
        Path data = dir.resolve("data");
        TablespaceLayout layout = TablespaceLayout.of(data, Map.of(), Map.of());
        try (ManifestSpool m = manifest()) {
            WalvaultException e = assertThrows(WalvaultException.class,
                    () -> FreeSpace.check(m, layout, SkippedDatabases.none(), twoFileSystems(data, 10_000 * MB)));
            assertEquals(ErrorCode.CORRUPT_DATA, e.code());
            assertTrue(e.getMessage().contains("neither its tablespace_map nor a pg_tblspc link says where tablespace 16390 lives"),
                    e.getMessage());
        }
    }
}
