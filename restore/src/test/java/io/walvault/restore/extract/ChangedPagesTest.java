package io.walvault.restore.extract;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.walvault.core.manifest.FileChecksum;
import io.walvault.core.repo.ManifestFile;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** restore --delta's rewrite of a changed file: the result is the new content, and only differing pages were written. */
class ChangedPagesTest {

    @TempDir
    Path dir;

    private static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    @Test
    void onlyThePagesThatDifferAreWrittenWhateverTheChunksAndTheNewTailIsWritten() throws Exception {
        byte[] old = random(3 * ChangedPages.PAGE, 1);
        byte[] now = new byte[4 * ChangedPages.PAGE];
        System.arraycopy(old, 0, now, 0, old.length);
        now[ChangedPages.PAGE + 17] ^= 1; // page 1 changed
        System.arraycopy(random(ChangedPages.PAGE, 2), 0, now, 3 * ChangedPages.PAGE, ChangedPages.PAGE); // page 3 new
        Path f = dir.resolve("16384");
        Files.write(f, old);
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ChangedPages w = new ChangedPages(ch);
            for (int at = 0; at < now.length; at += 5000) { // chunks that straddle page boundaries
                w.write(now, at, Math.min(5000, now.length - at), at);
            }
            assertEquals(now.length, w.compared());
            // the part of page 1 in the chunk with the change (8192 to 10000), and the new page: nothing else
            assertEquals((10000 - ChangedPages.PAGE) + ChangedPages.PAGE, w.written());
        }
        assertArrayEquals(now, Files.readAllBytes(f));
    }

    @Test
    void aSinkRewritesInPlaceCutsAShorterFileAndChecksTheRestoredContent() throws Exception {
        byte[] old = random(5 * ChangedPages.PAGE, 3);
        byte[] now = Arrays.copyOf(old, 2 * ChangedPages.PAGE + 100); // the file shrank
        now[10] ^= 1;
        Path f = dir.resolve("base/5/16390");
        Files.createDirectories(f.getParent());
        Files.write(f, old);
        FileChecksum sum = FileChecksum.of("CRC32C");
        sum.update(ByteBuffer.wrap(now));
        ManifestFile entry = ManifestFile.file("base/5/16390", now.length, 0600, 1, "CRC32C:" + sum.hex(), 0, 0);
        try (Flusher flusher = new Flusher(1);
             BundleExtractSink sink = new BundleExtractSink("b", List.of(entry), e -> dir.resolve(e.path()), flusher,
                     e -> Set.of("base/5/16390").contains(e.path()))) {
            sink.write(now, 0, now.length);
            sink.finish();
            flusher.await();
            assertEquals(now.length - ChangedPages.PAGE, sink.bytesUnchanged(), "page 0 changed; page 1 and the tail did not");
        }
        assertArrayEquals(now, Files.readAllBytes(f));
    }
}
