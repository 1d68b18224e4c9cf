package io.walvault.core.storage.posix;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.walvault.core.error.WalvaultException;
import io.walvault.core.pipeline.Sink;
import io.walvault.core.storage.AbandonedWrites;
import io.walvault.core.storage.AbstractStorageContractTest;
import io.walvault.core.storage.ObjectInfo;
import io.walvault.core.storage.Storage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PosixStorageContractTest extends AbstractStorageContractTest {

    @TempDir
    Path dir;

    private PosixStorage storage;

    @Override
    protected Storage storage() {
        storage = new PosixStorage(dir.resolve("repo"));
        return storage;
    }

    private static List<String> allFiles(Path root) throws IOException {
        try (Stream<Path> w = Files.walk(root)) {
            return w.filter(Files::isRegularFile).map(p -> root.relativize(p).toString()).sorted().toList();
        }
    }

    @Test
    void syncNameTakesAnObjectAnotherWriterStoredAndIgnoresAMissingOne() throws IOException {
        Storage s = storage();
        put(s, "clusters/1/wal/00000001/000000010000000000000001.lz4", new byte[] {1});
        s.syncName("clusters/1/wal/00000001/000000010000000000000001.lz4");
        s.syncName("clusters/1/wal/00000001/000000010000000000000002.lz4");
        s.syncName("clusters/9/wal/00000001/000000010000000000000001.lz4");
        assertThrows(WalvaultException.class, () -> s.syncName("../outside"), "a key outside the repository");
    }

    @Test
    void aDirectoryWithNoObjectIsNoChildAsItIsInNoListing() throws IOException {
        Storage s = storage();
        put(s, "clusters/1/cluster.json", new byte[] {1});
        Path root = dir.resolve("repo");
        Files.createDirectories(root.resolve("clusters/2/wal")); // empty, however deep
        Files.createDirectories(root.resolve("clusters/3"));
        Files.write(root.resolve("clusters/3/.cluster.json.1a2b.tmp"), new byte[] {1}); // a killed write's remains
        Files.write(root.resolve("clusters/.4.tmp"), new byte[] {1});
        try (Stream<String> c = s.listChildren("clusters/")) {
            assertEquals(List.of("1"), c.toList());
        }
        try (Stream<ObjectInfo> l = s.list("clusters/")) {
            assertEquals(List.of("clusters/1/cluster.json"), l.map(ObjectInfo::key).toList());
        }
    }

    @Test
    void filesAre0600AndDirectories0700() throws IOException {
        Storage s = storage();
        put(s, "a/b/c/object", new byte[] {1});
        Path root = dir.resolve("repo");
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(root.resolve("a/b/c/object"))));
        for (Path d : List.of(root, root.resolve("a"), root.resolve("a/b"), root.resolve("a/b/c"))) {
            assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(d)), d.toString());
        }
    }

    @Test
    void writesGoToAHiddenTemporaryFileUntilFinish() throws IOException {
        Storage s = storage();
        try (Sink w = s.newWrite("t/object")) {
            w.write(new byte[] {1, 2, 3}, 0, 3);
            List<String> files = allFiles(dir.resolve("repo"));
            assertEquals(1, files.size());
            String only = files.get(0);
            assertEquals(true, only.startsWith("t/.object.") && only.endsWith(".tmp"), only);
            assertEquals(List.of(), keys(s, "t/"), "temporary files are not listed");
            w.finish();
        }
        assertEquals(List.of("t/object"), allFiles(dir.resolve("repo")));
    }

    @Test
    void refusedCreateLeavesNoTemporaryFile() throws IOException {
        Storage s = storage();
        put(s, "x/object", new byte[] {1});
        assertThrows(WalvaultException.class, () -> put(s, "x/object", new byte[] {2}));
        assertEquals(List.of("x/object"), allFiles(dir.resolve("repo")));
    }

    @Test
    void readsDoNotFollowSymbolicLinks() throws IOException {
        Storage s = storage();
        put(s, "l/real", new byte[] {1});
        Path root = dir.resolve("repo");
        Files.createSymbolicLink(root.resolve("l/link"), root.resolve("l/real"));
        assertThrows(WalvaultException.class, () -> get(s, "l/link"));
        assertEquals(List.of("l/real"), keys(s, "l/"));
    }

    @Test
    void anIoErrorWhileReadingIsAStorageErrorNamingTheObject() throws IOException {
        Storage s = storage();
        // a directory where the object should be: open(2) succeeds, read(2) fails with EISDIR, as EIO would
        Files.createDirectories(dir.resolve("repo/e/object"));
        WalvaultException e = assertThrows(WalvaultException.class, () -> get(s, "e/object"));
        assertEquals(io.walvault.core.error.ErrorCode.STORAGE, e.code(), e.toString());
        assertEquals(true, e.getMessage().startsWith("cannot read object 'e/object' in '" + s.location() + "'"), e.getMessage());
    }

    /** A file as a killed process leaves it: {@code size} bytes, last modified {@code age} ago. */
    private static Path leftBehind(Path file, int size, Duration age) throws IOException {
        Files.createDirectories(file.getParent());
        Files.write(file, new byte[size]);
        Files.setLastModifiedTime(file, FileTime.from(Instant.now().minus(age)));
        return file;
    }

    /**
     * A backup killed while writing its manifest leaves only the hidden temporary file in its
     * directory. Listings never show it (so the catalog sees no backup there, not even an
     * orphan), but the abandoned-writes sweep finds it once it is older than the grace period,
     * and only then: a fresh temporary file (a write still going on), other hidden files and
     * objects stay, and the listing is the same before and after.
     */
    @Test
    void aKilledWritersTemporaryFileIsFoundPastTheGraceOnlyAndNeverListed() throws IOException {
        Storage s = storage();
        Path root = dir.resolve("repo");
        put(s, "clusters/42/backups/good/backup_manifest.lz4.enc", new byte[] {1, 2});
        Path killed = leftBehind(root.resolve("clusters/42/backups/killed/.backup_manifest.lz4.enc.c2a348264651f0d7.tmp"), 1000,
                Duration.ofHours(2));
        Path writing = leftBehind(root.resolve("clusters/42/backups/good/.bundle-0002.lz4.enc.5eed5eed.tmp"), 10, Duration.ZERO);
        Path foreign = leftBehind(root.resolve("clusters/42/backups/killed/.not-ours"), 5, Duration.ofDays(3));
        List<String> listed = List.of("clusters/42/backups/good/backup_manifest.lz4.enc");
        assertEquals(listed, keys(s, ""));
        assertEquals(List.of(), keys(s, "clusters/42/backups/killed/"), "temporary files are not listed");

        Instant graceStart = Instant.now().minus(Duration.ofHours(1));
        assertEquals(AbandonedWrites.NONE, s.removeAbandonedWrites(Instant.now().minus(Duration.ofHours(3)), false),
                "not older than a three-hour grace period");
        assertEquals(new AbandonedWrites(1, 1000), s.removeAbandonedWrites(graceStart, true));
        assertTrue(Files.exists(killed), "a dry run removes nothing");
        assertEquals(new AbandonedWrites(1, 1000), s.removeAbandonedWrites(graceStart, false));
        assertFalse(Files.exists(killed));
        assertTrue(Files.exists(writing), "a write touched within the grace period is left alone");
        assertTrue(Files.exists(foreign), "other hidden files are not temporary files");
        assertEquals(AbandonedWrites.NONE, s.removeAbandonedWrites(graceStart, false), "nothing is removed twice");
        assertEquals(listed, keys(s, ""));
        assertArrayEquals(new byte[] {1, 2}, get(s, "clusters/42/backups/good/backup_manifest.lz4.enc"));
    }
}
