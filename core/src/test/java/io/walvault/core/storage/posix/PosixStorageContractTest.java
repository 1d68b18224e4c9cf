package io.walvault.core.storage.posix;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.walvault.core.error.WalvaultException;
import io.walvault.core.pipeline.Sink;
import io.walvault.core.storage.AbstractStorageContractTest;
import io.walvault.core.storage.Storage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
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
}
