package io.walvault.restore.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;
import io.walvault.core.manifest.FileChecksum;
import io.walvault.core.repo.ManifestFile;
import io.walvault.restore.extract.Flusher;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** restore --delta's checks, its removal of what the backup lacks, and which files it keeps, without a server. */
class DeltaTargetTest {

    @TempDir
    Path dir;

    private static void control(Path data, long systemId) throws Exception {
        Files.createDirectories(data.resolve("global"));
        Files.write(data.resolve("global/pg_control"), ByteBuffer.allocate(8192).order(ByteOrder.nativeOrder())
                .putLong(0, systemId).array());
    }

    private static String crc(byte[] content) {
        FileChecksum c = FileChecksum.of("CRC32C");
        c.update(ByteBuffer.wrap(content));
        return "CRC32C:" + c.hex();
    }

    @Test
    void anotherClusterOrAnUnknownDirectoryIsRefusedAndTheSameClusterOrItsUnfinishedRestorePasses() throws Exception {
        Path data = dir.resolve("data");
        DeltaTarget t = new DeltaTarget(data, TablespaceLayout.of(data, Map.of(), Map.of()));
        t.check(7); // does not exist: a plain restore
        Files.createDirectories(data);
        t.check(7); // empty
        Files.writeString(data.resolve("PG_VERSION"), "18\n");
        WalvaultException unknown = assertThrows(WalvaultException.class, () -> t.check(7));
        assertEquals(ErrorCode.RESTORE_TARGET_OTHER_CLUSTER, unknown.code());
        assertTrue(unknown.getMessage().contains("holds neither global/pg_control nor an unfinished walvault restore"),
                unknown.getMessage());
        control(data, 8);
        WalvaultException other = assertThrows(WalvaultException.class, () -> t.check(7));
        assertEquals(ErrorCode.RESTORE_TARGET_OTHER_CLUSTER, other.code());
        assertTrue(other.getMessage().contains("holds cluster 8 (its global/pg_control), not cluster 7"), other.getMessage());
        control(data, 7);
        t.check(7);
        // an interrupted delta restore: no pg_control, the marker names the cluster
        new TargetDirectory(data, TablespaceLayout.of(data, Map.of(), Map.of())).create("b", 7);
        t.disableStart();
        assertFalse(Files.exists(data.resolve("global/pg_control")));
        t.check(7);
        WalvaultException markerOther = assertThrows(WalvaultException.class, () -> t.check(9));
        assertTrue(markerOther.getMessage().contains("unfinished restore's walvault-restore.incomplete"), markerOther.getMessage());
        assertEquals("18\n", Files.readString(data.resolve("PG_VERSION")), "checks write nothing");
    }

    @Test
    void whatTheBackupLacksIsRemovedButLinksAreNeverFollowedAndOtherVersionsStay() throws Exception {
        Path data = dir.resolve("data");
        Path ts = dir.resolve("ts");
        Path outside = dir.resolve("outside");
        Files.createDirectories(outside);
        Files.writeString(outside.resolve("precious"), "not the cluster's");
        Files.createDirectories(data.resolve("base/1"));
        Files.createDirectories(data.resolve("base/16999")); // a database created after the backup
        Files.writeString(data.resolve("base/16999/1259"), "x");
        Files.writeString(data.resolve("base/1/1259"), "kept");
        Files.writeString(data.resolve("base/1/99999"), "a relation created after the backup");
        Files.writeString(data.resolve("postmaster.pid"), "123\n");
        Files.createDirectories(data.resolve("pg_wal/archive_status"));
        Files.writeString(data.resolve("pg_wal/000000020000000000000003"), "the copy's WAL");
        Files.writeString(data.resolve("pg_wal/archive_status/000000020000000000000003.ready"), "");
        Files.createSymbolicLink(data.resolve("base/1/link-out"), outside);
        Files.createDirectories(data.resolve("pg_tblspc"));
        Files.createSymbolicLink(data.resolve("pg_tblspc/16400"), ts);
        Files.createDirectories(ts.resolve("PG_18_202406281/1"));
        Files.writeString(ts.resolve("PG_18_202406281/1/16401"), "kept");
        Files.writeString(ts.resolve("PG_18_202406281/1/16402"), "gone");
        Files.createDirectories(ts.resolve("PG_14_202107181"));
        Files.writeString(ts.resolve("PG_14_202107181/other-server"), "another server version's");
        TablespaceLayout layout = TablespaceLayout.of(data, Map.of("16400", ts.toString()), Map.of());
        try (ManifestSpool m = TargetDirectoryTest.manifest(ManifestFile.directory("base", 0700, 1),
                ManifestFile.directory("base/1", 0700, 1), ManifestFile.directory("pg_wal", 0700, 1),
                ManifestFile.directory("pg_wal/archive_status", 0700, 1),
                ManifestFile.directory("pg_tblspc/16400/PG_18_202406281", 0700, 1),
                ManifestFile.file("base/1/1259", 4, 0600, 1, crc("kept".getBytes()), 0, 0),
                ManifestFile.file("pg_tblspc/16400/PG_18_202406281/1/16401", 4, 0600, 1, crc("kept".getBytes()), 0, 4))) {
            // counted first, removing nothing: each file in whole 4 KiB blocks, by the directory it is under
            assertEquals(Map.of(data, 4 * 4096L, ts, 4096L), new DeltaTarget(data, layout).unlistedBytes(m));
            assertTrue(Files.exists(data.resolve("base/1/99999")) && Files.exists(ts.resolve("PG_18_202406281/1/16402")));

            DeltaTarget.Removed r = new DeltaTarget(data, layout).removeUnlisted(m);
            assertEquals("not the cluster's", Files.readString(outside.resolve("precious")), "a link is removed, never followed");
            assertFalse(Files.exists(data.resolve("base/1/link-out"), LinkOption.NOFOLLOW_LINKS));
            assertFalse(Files.exists(data.resolve("pg_tblspc/16400"), LinkOption.NOFOLLOW_LINKS),
                    "the tablespace's link is made again");
            assertFalse(Files.exists(data.resolve("base/16999")));
            assertFalse(Files.exists(data.resolve("base/1/99999")));
            assertFalse(Files.exists(data.resolve("postmaster.pid")));
            assertFalse(Files.exists(data.resolve("pg_wal/000000020000000000000003")));
            assertFalse(Files.exists(data.resolve("pg_wal/archive_status/000000020000000000000003.ready")));
            assertTrue(Files.isDirectory(data.resolve("pg_wal/archive_status")));
            assertEquals("kept", Files.readString(data.resolve("base/1/1259")));
            assertEquals("kept", Files.readString(ts.resolve("PG_18_202406281/1/16401")));
            assertFalse(Files.exists(ts.resolve("PG_18_202406281/1/16402")));
            assertEquals("another server version's", Files.readString(ts.resolve("PG_14_202107181/other-server")));
            assertEquals(new DeltaTarget.Removed(6, 1, 2), r);

            // what is left is accounted for, the other version's directory aside
            new TargetDirectory(data, layout).makeDirectories(m);
            RestoreAccounting.check(m, layout, data, true);
        }
    }

    @Test
    void theWalOfAPgWalLinkCountsOnTheDiskItIsOn() throws Exception {
        Path data = dir.resolve("data");
        Path walDisk = dir.resolve("wal-disk");
        Files.createDirectories(walDisk);
        Files.write(walDisk.resolve("000000010000000000000007"), new byte[5000]);
        Files.createDirectories(data.resolve("base/1"));
        Files.createSymbolicLink(data.resolve("pg_wal"), walDisk);
        Files.write(data.resolve("base/1/99999"), new byte[10]);
        TablespaceLayout layout = TablespaceLayout.of(data, Map.of(), Map.of());
        try (ManifestSpool m = TargetDirectoryTest.manifest(ManifestFile.directory("base", 0700, 1),
                ManifestFile.directory("base/1", 0700, 1), ManifestFile.directory("pg_wal", 0700, 1))) {
            assertEquals(Map.of(data, 4096L, walDisk.toRealPath(), 8192L), new DeltaTarget(data, layout).unlistedBytes(m));
            assertEquals(Map.of(), new DeltaTarget(dir.resolve("new"), layout).unlistedBytes(m), "a new directory frees nothing");
        }
    }

    @Test
    void aFileIsKeptOnlyWithTheBackupsSizeAndChecksumAndASkippedDatabasesFilesBecomeSparseZeroes() throws Exception {
        Path data = dir.resolve("data");
        Files.createDirectories(data.resolve("base/5"));
        Files.createDirectories(data.resolve("base/16384"));
        Files.writeString(data.resolve("base/5/1259"), "same");
        Files.writeString(data.resolve("base/5/2600"), "diff");
        Files.writeString(data.resolve("base/5/2601"), "short");
        Files.writeString(data.resolve("base/16384/16390"), "old data of a skipped database");
        TablespaceLayout layout = TablespaceLayout.of(data, Map.of(), Map.of());
        ManifestFile same = ManifestFile.file("base/5/1259", 4, 0600, 1, crc("same".getBytes()), 0, 0);
        ManifestFile differs = ManifestFile.file("base/5/2600", 4, 0600, 1, crc("more".getBytes()), 0, 4);
        ManifestFile size = ManifestFile.file("base/5/2601", 6, 0600, 1, crc("longer".getBytes()), 0, 8);
        ManifestFile missing = ManifestFile.file("base/5/2602", 4, 0600, 1, crc("gone".getBytes()), 0, 14);
        ManifestFile skippedRelation = ManifestFile.file("base/16384/16390", 1 << 20, 0600, 1, "CRC32C:00000000", 0, 18);
        ManifestFile skippedVersion = ManifestFile.file("base/16384/PG_VERSION", 3, 0600, 1, crc("18\n".getBytes()), 0, 18);
        SkippedDatabases skipped = SkippedDatabases.choose(DatabaseChoice.of(List.of(), List.of("sales")),
                Map.of("postgres", 5L, "sales", 16384L), Map.of(5L, 100L, 16384L, 1L << 20), "b");
        try (Flusher flusher = new Flusher(1)) {
            FileSelection.Outcome o = new FileSelection(layout, skipped, true).select(List.of(same, differs, size, missing,
                    skippedRelation, skippedVersion), flusher);
            flusher.await();
            assertEquals(List.of(differs, size, missing, skippedVersion), o.extract(),
                    "PG_VERSION of a skipped database is restored: the directory must stay a database's");
            assertEquals(1, o.keptFiles());
            assertEquals(1, o.zeroedFiles());
            Path zeroed = data.resolve("base/16384/16390");
            assertEquals(1 << 20, Files.size(zeroed));
            assertTrue(Arrays.equals(new byte[1 << 20], Files.readAllBytes(zeroed)), "zeroes, whatever was there");
            Process stat = new ProcessBuilder("stat", "-c", "%b", zeroed.toString()).start(); // 512-byte blocks allocated
            long blocks = Long.parseLong(new String(stat.getInputStream().readAllBytes()).strip());
            assertTrue(blocks * 512 < (1 << 20), "sparse: " + blocks + " blocks");
            // without --delta, everything but the skipped database's relation files is extracted
            FileSelection.Outcome plain = new FileSelection(layout, skipped, false).select(List.of(same, skippedRelation),
                    flusher);
            assertEquals(List.of(same), plain.extract());
        }
    }

    @Test
    void aSelectiveChoiceKeepsTheSystemDatabasesAndRefusesNamesTheBackupLacks() {
        Map<String, Long> names = Map.of("template0", 4L, "template1", 1L, "postgres", 5L, "sales", 16384L, "hr", 16385L);
        Map<Long, Long> bytes = Map.of(1L, 10L, 4L, 10L, 5L, 10L, 16384L, 1000L, 16385L, 2000L);
        SkippedDatabases include = SkippedDatabases.choose(DatabaseChoice.of(List.of("sales"), List.of()), names, bytes, "b");
        assertEquals(List.of("hr"), include.names());
        assertEquals(List.of("postgres", "sales", "template0", "template1"),
                include.restored().stream().map(SkippedDatabases.Database::name).toList());
        SkippedDatabases exclude = SkippedDatabases.choose(DatabaseChoice.of(List.of(), List.of("postgres", "hr")), names,
                bytes, "b");
        assertEquals(List.of("hr", "postgres"), exclude.names());
        WalvaultException unknown = assertThrows(WalvaultException.class, () -> SkippedDatabases.choose(
                DatabaseChoice.of(List.of("slaes"), List.of()), names, bytes, "b"));
        assertEquals(ErrorCode.DATABASE_UNKNOWN, unknown.code());
        assertTrue(unknown.getMessage().contains("hr, postgres, sales, template0, template1"), unknown.getMessage());
        WalvaultException system = assertThrows(WalvaultException.class, () -> DatabaseChoice.of(List.of(),
                List.of("template1")));
        assertEquals(ErrorCode.USAGE, system.code());
        WalvaultException both = assertThrows(WalvaultException.class, () -> DatabaseChoice.of(List.of("a"), List.of("b")));
        assertEquals(ErrorCode.USAGE, both.code());
    }
}
