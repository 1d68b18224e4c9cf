package io.walvault.archiver.backup;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.walvault.core.compress.Compression;
import io.walvault.core.crypto.PassphraseKdf;
import io.walvault.core.pipeline.OutputStreamSink;
import io.walvault.core.repo.BackupCatalog;
import io.walvault.core.repo.EncryptionMode;
import io.walvault.core.repo.Repository;
import io.walvault.core.storage.memory.MemoryStorage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Bundles reuse their chunk arrays between the stream thread and the bundle threads: every
 * bundle must still decode to exactly the bytes of its files, in order, at the offsets
 * {@link Bundles#place} gave, whatever the file sizes around the chunk size.
 */
class BundlesTest {

    private static final int C = Bundles.CHUNK;

    @Test
    void bundlesHoldExactlyTheirFilesAcrossChunkBoundaries() throws IOException {
        Repository repo = Repository.create(new MemoryStorage(), new Repository.InitOptions(Compression.LZ4,
                EncryptionMode.PASSPHRASE, "correct horse battery staple".toCharArray(), null,
                new PassphraseKdf(8 * 1024, 1, 1, new byte[16])));
        BackupCatalog catalog = repo.cluster(7_400_000_000_000_000_001L).backups();
        String id = "20261121T090000Z";
        int[] sizes = {0, 1, C - 1, C, C + 1, 3 * C + 5, 7, 0, 2 * C, 12_345, C / 2, 5 * C - 3};
        Random random = new Random(42);
        // a bundle size of 2.5 chunks: small files share bundles, large ones get their own
        List<ByteArrayOutputStream> expected = new ArrayList<>();
        int bundles;
        try (Bundles b = new Bundles(catalog, id, 5L * C / 2, 2)) {
            for (int i = 0; i < sizes.length; i++) {
                byte[] file = new byte[sizes[i]];
                if (i % 2 == 0) {
                    random.nextBytes(file);
                } else {
                    Arrays.fill(file, (byte) i); // compressible
                }
                Bundles.Placement p = b.place(file.length);
                while (expected.size() <= p.bundle()) {
                    expected.add(new ByteArrayOutputStream());
                }
                assertEquals(expected.get(p.bundle()).size(), p.offset(), "offset of file " + i);
                expected.get(p.bundle()).write(file);
                // in pieces of varying size, as the stream delivers them
                for (int off = 0; off < file.length; ) {
                    int n = Math.min(file.length - off, 1 + random.nextInt(300_000));
                    b.write(ByteBuffer.wrap(file, off, n));
                    off += n;
                }
            }
            bundles = b.finish();
        }
        assertEquals(expected.size(), bundles);
        for (int n = 0; n < bundles; n++) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            catalog.readBundle(id, n, new OutputStreamSink(out, false));
            assertArrayEquals(expected.get(n).toByteArray(), out.toByteArray(), "bundle " + n);
        }
    }
}
