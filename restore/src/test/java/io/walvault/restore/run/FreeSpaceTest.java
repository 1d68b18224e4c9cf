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

    @Test
    void aDeltaRestoreNeedsRoomOnlyForWhatGrowsLessWhatItRemovesFirst() throws Exception {
        Path data = dir.resolve("data");
        Path ts = dir.resolve("ts");
        TablespaceLayout layout = TablespaceLayout.of(data, Map.of("16390", "/old/ts"), Map.of("/old/ts", ts.toString()));
        Files.createDirectories(data.resolve("base/5"));
        Files.createDirectories(data.resolve("base/16400"));
        Files.createDirectories(ts.resolve("PG_15_202209061/5"));
        // the copy in place: sparse files of the sizes an older copy had (their size is what counts)
        try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(data.resolve("base/5/16384").toFile(), "rw")) {
            f.setLength(60 * MB); // grows by 40 MB
        }
        try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(data.resolve("base/16400/16500").toFile(), "rw")) {
            f.setLength(500 * MB); // the same size
        }
        try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(
                ts.resolve("PG_15_202209061/5/16391").toFile(), "rw")) {
            f.setLength(2_100 * MB); // shrinks by 100 MB
        }
        long grows = blocks(100 * MB) - blocks(60 * MB) + 4096; // and the absent _vm's block
        try (ManifestSpool m = manifest()) {
            Map<Object, FreeSpace.Need> needs = FreeSpace.deltaNeeds(m, layout, SkippedDatabases.none(), Map.of(),
                    twoFileSystems(data, 0));
            assertEquals(grows, needs.get("data-fs").bytes());
            assertEquals(0, needs.get("ts-fs").bytes(), "a file that shrinks gives its room back only while the restore writes");

            // what the restore removes first counts for its file system; what it then writes there is the growth
            Map<Path, Long> removed = Map.of(data, 30 * MB);
            Map<Object, FreeSpace.Need> after = FreeSpace.deltaNeeds(m, layout, SkippedDatabases.none(), removed,
                    twoFileSystems(data, 0));
            assertEquals(grows - 30 * MB, after.get("data-fs").bytes());
            assertEquals(grows, FreeSpace.writtenOn(after, data.resolve("pg_wal"), twoFileSystems(data, 0)));
            FreeSpace.checkDelta(m, layout, SkippedDatabases.none(), removed, twoFileSystems(data, grows - 30 * MB));
            WalvaultException full = assertThrows(WalvaultException.class, () -> FreeSpace.checkDelta(m, layout,
                    SkippedDatabases.none(), removed, twoFileSystems(data, grows - 31 * MB)));
            assertEquals(ErrorCode.RESTORE_WRITE_FAILED, full.code());
            assertTrue(full.getMessage().contains("the file system of '" + data + "' has ") && full.getMessage().contains(
                    "and the delta restore needs 10.0 MB more there than the copy in place takes"), full.getMessage());

            // a skipped database's files become sparse while the restore writes: they add nothing, and free nothing first
            SkippedDatabases skipped = SkippedDatabases.choose(DatabaseChoice.of(List.of(), List.of("main")),
                    Map.of("main", 16400L, "postgres", 5L), Map.of(16400L, 500 * MB, 5L, 100 * MB), "b");
            Files.delete(data.resolve("base/16400/16500"));
            assertEquals(grows, FreeSpace.deltaNeeds(m, layout, skipped, Map.of(), twoFileSystems(data, 0))
                    .get("data-fs").bytes());
        }
    }

    private static long blocks(long size) {
        return (size + 4095) / 4096 * 4096;
    }
}
