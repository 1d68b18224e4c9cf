package io.walvault.restore.extract;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.walvault.core.error.CorruptDataException;
import io.walvault.core.repo.ManifestFile;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BundleExtractSinkTest {

    private static String sha(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }

    private static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    /** A bundle: file a, 100 bytes of gap, an empty file, file b. */
    private record Bundle(byte[] bytes, List<ManifestFile> files, byte[] a, byte[] b) {
    }

    private static Bundle bundle() throws Exception {
        byte[] a = random(70_000, 1);
        byte[] b = random(5_000, 2);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(a);
        out.writeBytes(new byte[100]);
        out.writeBytes(b);
        List<ManifestFile> files = List.of(
                ManifestFile.file("base/5/16384", b.length, 1_700_000_000L, sha(b), 3, a.length + 100),
                ManifestFile.file("global/pg_control", a.length, 1_700_000_000L, sha(a), 3, 0),
                ManifestFile.file("base/5/empty", 0, 1_700_000_000L, sha(new byte[0]), 3, a.length + 100));
        return new Bundle(out.toByteArray(), files, a, b);
    }

    private static void feed(BundleExtractSink sink, byte[] bytes, int chunk) throws Exception {
        for (int off = 0; off < bytes.length; off += chunk) {
            sink.write(bytes, off, Math.min(chunk, bytes.length - off));
        }
    }

    @Test
    void filesLandAtTheirPlacesOwnerOnlyAndChecked(@TempDir Path dir) throws Exception {
        Bundle bundle = bundle();
        try (BundleExtractSink sink = new BundleExtractSink("bundle-3", bundle.files(), f -> dir.resolve(f.path()))) {
            feed(sink, bundle.bytes(), 7919);
            sink.finish();
            assertEquals(bundle.a().length + bundle.b().length, sink.bytesWritten());
        }
        assertArrayEquals(bundle.a(), Files.readAllBytes(dir.resolve("global/pg_control")));
        assertArrayEquals(bundle.b(), Files.readAllBytes(dir.resolve("base/5/16384")));
        assertEquals(0, Files.size(dir.resolve("base/5/empty")));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("base/5/16384"))));
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("base/5"))));
        assertEquals(1_700_000_000_000L, Files.getLastModifiedTime(dir.resolve("base/5/16384")).toMillis());
    }

    @Test
    void aFlippedByteNamesTheFile(@TempDir Path dir) throws Exception {
        Bundle bundle = bundle();
        byte[] bad = bundle.bytes().clone();
        bad[bad.length - 10] ^= 1;
        BundleExtractSink sink = new BundleExtractSink("bundle-3", bundle.files(), f -> dir.resolve(f.path()));
        CorruptDataException e = assertThrows(CorruptDataException.class, () -> feed(sink, bad, 4096));
        assertTrue(e.getMessage().contains("'base/5/16384'") && e.getMessage().contains("'bundle-3'"), e.getMessage());
        sink.close();
    }

    @Test
    void aShortBundleFailsAndLeavesNoHalfFile(@TempDir Path dir) throws Exception {
        Bundle bundle = bundle();
        BundleExtractSink sink = new BundleExtractSink("bundle-3", bundle.files(), f -> dir.resolve(f.path()));
        feed(sink, java.util.Arrays.copyOf(bundle.bytes(), bundle.bytes().length - 1000), 65536);
        CorruptDataException e = assertThrows(CorruptDataException.class, sink::finish);
        assertTrue(e.getMessage().contains("before file 'base/5/16384'"), e.getMessage());
        sink.close();
        assertFalse(Files.exists(dir.resolve("base/5/16384")), "the incomplete file is removed");
        assertTrue(Files.exists(dir.resolve("global/pg_control")), "complete files stay");
    }

    @Test
    void overlappingEntriesAreRefused(@TempDir Path dir) throws Exception {
        String s = sha(new byte[0]);
        CorruptDataException e = assertThrows(CorruptDataException.class, () -> new BundleExtractSink("b", List.of(
                ManifestFile.file("x", 10, 0, s, 0, 0), ManifestFile.file("y", 10, 0, s, 0, 5)), f -> dir.resolve(f.path())));
        assertTrue(e.getMessage().contains("over each other"), e.getMessage());
    }

    @Test
    void theServersCrc32cIsCheckedToo(@TempDir Path dir) throws Exception {
        byte[] content = random(10_000, 3);
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update(content);
        String le = HexFormat.of().formatHex(java.nio.ByteBuffer.allocate(4).order(java.nio.ByteOrder.LITTLE_ENDIAN)
                .putInt((int) crc.getValue()).array());
        ManifestFile good = ManifestFile.file("base/1/1", content.length, 0600, 1_700_000_000L, "CRC32C:" + le, 0, 0);
        try (BundleExtractSink sink = new BundleExtractSink("b", List.of(good), f -> dir.resolve(f.path()))) {
            feed(sink, content, 1000);
            sink.finish();
        }
        ManifestFile wrong = ManifestFile.file("base/1/2", content.length, 0600, 1_700_000_000L, "CRC32C:00000000", 0, 0);
        BundleExtractSink sink = new BundleExtractSink("b", List.of(wrong), f -> dir.resolve(f.path()));
        CorruptDataException e = assertThrows(CorruptDataException.class, () -> feed(sink, content, 1000));
        assertTrue(e.getMessage().contains("CRC32C " + le), e.getMessage());
        sink.close();
    }

    @Test
    void checkOnlyVerifiesEveryFileAndWritesNothing(@TempDir Path dir) throws Exception {
        Bundle bundle = bundle();
        try (BundleExtractSink sink = BundleExtractSink.checkOnly("bundle-3", bundle.files())) {
            feed(sink, bundle.bytes(), 4096);
            sink.finish();
            assertEquals(3, sink.filesDone());
            assertEquals(bundle.a().length + bundle.b().length, sink.bytesWritten());
        }
        byte[] bad = bundle.bytes().clone();
        bad[10] ^= 1;
        BundleExtractSink sink = BundleExtractSink.checkOnly("bundle-3", bundle.files());
        CorruptDataException e = assertThrows(CorruptDataException.class, () -> feed(sink, bad, 4096));
        assertTrue(e.getMessage().contains("'global/pg_control' from bundle 'bundle-3'"), e.getMessage());
        BundleExtractSink shortOne = BundleExtractSink.checkOnly("bundle-3", bundle.files());
        feed(shortOne, java.util.Arrays.copyOf(bundle.bytes(), 1000), 4096);
        assertThrows(CorruptDataException.class, shortOne::finish);
        try (java.util.stream.Stream<Path> s = Files.list(dir)) {
            assertEquals(0, s.count());
        }
    }

    @Test
    void bytesHandedOverAsInPlaceAreCheckedButNeitherComparedNorWritten(@TempDir Path dir) throws Exception {
        byte[] want = random(5 * 8192, 4);
        Path place = dir.resolve("base/5/16384");
        Files.createDirectories(place.getParent());
        byte[] older = want.clone();
        older[100] ^= 1; // page 0 differs: handed over as a write, so compared and written
        older[3 * 8192 + 7] ^= 1; // page 3 differs too, but its bytes come "in place": the file is trusted, not written
        Files.write(place, older);
        ManifestFile f = ManifestFile.file("base/5/16384", want.length, 1_700_000_000L, sha(want), 3, 0);
        try (BundleExtractSink sink = new BundleExtractSink("chunked file #0", List.of(f), x -> place, new Flusher(1),
                x -> true)) {
            sink.write(want, 0, 2 * 8192);
            sink.writeInPlace(want, 2 * 8192, 2 * 8192);
            sink.write(want, 4 * 8192, 8192);
            sink.finish();
            assertEquals(want.length, sink.bytesWritten());
            assertEquals(2 * 8192, sink.bytesInPlace());
            assertEquals(4 * 8192, sink.bytesUnchanged(), "pages 1 and 4 compared equal, pages 2 and 3 in place");
        }
        byte[] now = Files.readAllBytes(place);
        assertEquals(want[100], now[100], "a differing page written");
        assertEquals(older[3 * 8192 + 7], now[3 * 8192 + 7], "bytes in place are not written");

        // and what is handed over in place still counts for the file's checksum
        byte[] wrong = want.clone();
        wrong[2 * 8192] ^= 1;
        Files.write(place, want);
        try (BundleExtractSink sink = new BundleExtractSink("chunked file #0", List.of(f), x -> place, new Flusher(1),
                x -> true)) {
            sink.write(want, 0, 2 * 8192);
            // the last bytes complete the file, which is checked then
            CorruptDataException e = assertThrows(CorruptDataException.class, () -> sink.writeInPlace(wrong, 2 * 8192, 3 * 8192));
            assertTrue(e.getMessage().contains("file 'base/5/16384'"), e.getMessage());
        }
    }
}
