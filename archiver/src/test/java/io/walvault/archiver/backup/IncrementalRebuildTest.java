package io.walvault.archiver.backup;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.walvault.core.compress.Compression;
import io.walvault.core.crypto.PassphraseKdf;
import io.walvault.core.error.CorruptDataException;
import io.walvault.core.error.WalvaultException;
import io.walvault.core.hook.WorkerThreads;
import io.walvault.core.manifest.ManifestParser;
import io.walvault.core.pipeline.OutputStreamSink;
import io.walvault.core.pipeline.Sink;
import io.walvault.core.repo.BackupInfo;
import io.walvault.core.repo.ChunkId;
import io.walvault.core.repo.ChunkStore;
import io.walvault.core.repo.EncryptionMode;
import io.walvault.core.repo.ManifestFile;
import io.walvault.core.repo.Repository;
import io.walvault.core.storage.Storage;
import io.walvault.core.storage.memory.MemoryStorage;
import io.walvault.core.wal.Lsn;
import io.walvault.core.wal.TimelineId;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;

/**
 * A relation file rebuilt from the server's incremental file and the earlier backup's chunks is
 * the file pg_combinebackup would write: changed blocks from the increment, the rest below the
 * truncation length from the earlier copy, zeros elsewhere; untouched whole chunks reused by
 * name; a damaged increment refused.
 */
class IncrementalRebuildTest {

    private static final int CHUNK = 64 * 1024;
    private static final int BLOCK = 8192;
    private static final String PATH = "base/5/16384";

    private final MemoryStorage storage = new MemoryStorage();
    private final Repository repo = Repository.create(storage, new Repository.InitOptions(Compression.LZ4,
            EncryptionMode.PASSPHRASE, "a passphrase for the test".toCharArray(), null,
            new PassphraseKdf(8 * 1024, 1, 1, new byte[16])));
    private final ChunkStore store = repo.cluster(7_400_000_000_000_000_001L).chunks();
    private final Random random = new Random(5);
    private final byte[] prior = bytes(35 * BLOCK);

    @Test
    void changedBlocksOverlayTheEarlierCopyAndUntouchedChunksAreReused() throws IOException {
        int[] changed = {3, 17, 35, 36, 37, 39};
        byte[][] blocks = new byte[changed.length][];
        byte[] expected = new byte[40 * BLOCK];
        System.arraycopy(prior, 0, expected, 0, prior.length); // blocks below the truncation length (38) not sent
        for (int i = 0; i < changed.length; i++) {
            blocks[i] = bytes(BLOCK);
            System.arraycopy(blocks[i], 0, expected, changed[i] * BLOCK, BLOCK);
        }
        // block 38: at or past the truncation length and not sent, so zeros
        Rebuilt r = rebuild(increment(38, changed, blocks));
        assertArrayEquals(expected, r.bytes);
        assertEquals(2L * CHUNK, r.use.sharedBytes(), "chunks 1 and 3, untouched and whole in the earlier copy, are reused");
        assertEquals(crc(expected), r.fileCrc, "the whole-file CRC-32C combined from the chunks' is the file's");
    }

    @Test
    void aChunkTheIncrementRewritesWholeIsNotRead() throws IOException {
        // every block of the second chunk (8 to 15) changed: its earlier copy is not needed, so a damaged one does not matter
        int[] changed = {8, 9, 10, 11, 12, 13, 14, 15};
        byte[][] blocks = new byte[changed.length][];
        byte[] expected = prior.clone();
        for (int i = 0; i < changed.length; i++) {
            blocks[i] = bytes(BLOCK);
            System.arraycopy(blocks[i], 0, expected, changed[i] * BLOCK, BLOCK);
        }
        try (Basis b = basis()) {
            damage(b.file.chunks().get(1));
            Rebuilt r = b.rebuild(increment(35, changed, blocks), -1);
            assertArrayEquals(expected, r.bytes);
            assertEquals(crc(expected), r.fileCrc);
        }
    }

    @Test
    void blocksTheIncrementDoesNotSendPastTheEarlierCopyAreZerosWhateverTheChunkBeforeHeld() throws IOException {
        // the file grew from 35 to 44 blocks: the fifth chunk (32 to 39) is rebuilt from the earlier copy and new blocks,
        // then the sixth (40 to 43), which the earlier copy does not reach, from blocks 40 and 42 alone: 41 and 43 are zeros
        int[] changed = {33, 36, 37, 38, 39, 40, 42};
        byte[][] blocks = new byte[changed.length][];
        byte[] expected = new byte[44 * BLOCK];
        System.arraycopy(prior, 0, expected, 0, prior.length);
        for (int i = 0; i < changed.length; i++) {
            blocks[i] = bytes(BLOCK);
            System.arraycopy(blocks[i], 0, expected, changed[i] * BLOCK, BLOCK);
        }
        Rebuilt r = rebuild(increment(44, changed, blocks));
        assertArrayEquals(expected, r.bytes);
        assertEquals(crc(expected), r.fileCrc);
    }

    @Test
    void aTruncatedFileKeepsTheEarlierBlocksBelowTheTruncationLength() throws IOException {
        Rebuilt r = rebuild(increment(12, new int[0], new byte[0][]));
        assertArrayEquals(Arrays.copyOf(prior, 12 * BLOCK), r.bytes);
        assertEquals(CHUNK, r.use.sharedBytes(), "the first chunk is reused; the second, shorter now, is rebuilt");
        assertEquals(crc(r.bytes), r.fileCrc);
    }

    @Test
    void aDamagedIncrementIsRefused() throws IOException {
        byte[] good = increment(38, new int[] {3}, new byte[][] {bytes(BLOCK)});
        byte[] badMagic = good.clone();
        badMagic[0] ^= 1;
        CorruptDataException magic = assertThrows(CorruptDataException.class, () -> rebuild(badMagic));
        assertTrue(magic.getMessage().contains("magic number") && magic.getMessage().contains(PATH), magic.getMessage());
        byte[] unordered = increment(38, new int[] {5, 4}, new byte[][] {bytes(BLOCK), bytes(BLOCK)});
        CorruptDataException order = assertThrows(CorruptDataException.class, () -> rebuild(unordered));
        assertTrue(order.getMessage().contains("not ascending"), order.getMessage());
        CorruptDataException size = assertThrows(CorruptDataException.class,
                () -> rebuild(good, good.length + BLOCK));
        assertTrue(size.getMessage().contains("bytes"), size.getMessage());
    }

    @Test
    void aDamagedEarlierChunkIsTheRepositorysFaultNotTheStreams() throws IOException {
        try (Basis b = basis()) {
            damage(b.file.chunks().get(0));
            WalvaultException e = assertThrows(WalvaultException.class,
                    () -> b.rebuild(increment(38, new int[] {3}, new byte[][] {bytes(BLOCK)}), -1));
            assertTrue(!(e instanceof CorruptDataException) && e.getMessage().contains("earlier backup")
                    && e.getMessage().contains("verify --all"), e.getMessage());
        }
    }

    /** Flips a bit in the middle of a stored chunk object. */
    private void damage(ChunkId chunk) throws IOException {
        String key = store.key(chunk);
        byte[] stored;
        try (InputStream in = storage.newRead(key)) {
            stored = in.readAllBytes();
        }
        stored[stored.length / 2] ^= 1;
        try (Sink w = storage.newWrite(key, Storage.WriteMode.OVERWRITE)) {
            w.write(stored);
            w.finish();
        }
    }

    private record Rebuilt(byte[] bytes, BackupInfo.ChunkUse use, int fileCrc) {
    }

    private Rebuilt rebuild(byte[] increment) throws IOException {
        return rebuild(increment, increment.length);
    }

    private Rebuilt rebuild(byte[] increment, long memberSize) throws IOException {
        try (Basis b = basis()) {
            return b.rebuild(increment, memberSize);
        }
    }

    /** The earlier backup: {@link #prior} stored as chunks, and the basis over it. */
    private final class Basis implements AutoCloseable {
        final ManifestFile file;
        final IncrementalBasis basis;

        Basis() throws IOException {
            ChunkedFiles.Layout layout;
            try (ChunkedFiles c = new ChunkedFiles(store, store.namer(), CHUNK, 2)) {
                c.begin();
                c.write(ByteBuffer.wrap(prior));
                layout = c.end();
                c.finish();
            }
            file = ManifestFile.chunked(PATH, prior.length, 0600, 1, "CRC32C:00000000", CHUNK, layout.ids(), layout.hashes(),
                    layout.crcs());
            BackupInfo info = BackupInfo.of("20261205T000000Z", 1, 170000, TimelineId.FIRST, Lsn.of(1 << 24), Lsn.of(2 << 24),
                    Instant.EPOCH, Instant.EPOCH, "walvault");
            basis = IncrementalBasis.of(info, each -> List.of(file).forEach(each), CHUNK);
        }

        Rebuilt rebuild(byte[] increment, long memberSize) throws IOException {
            try (ChunkedFiles c = new ChunkedFiles(store, store.namer(), CHUNK, 2);
                 WorkerThreads readers = new WorkerThreads("test-earlier-chunks", 2)) {
                c.begin();
                IncrementalRebuild r = new IncrementalRebuild(PATH, memberSize < 0 ? increment.length : memberSize, basis,
                        basis.file(PATH).orElseThrow(), c, store, readers);
                for (int off = 0; off < increment.length; off += 5000) {
                    r.write(ByteBuffer.wrap(increment, off, Math.min(5000, increment.length - off)));
                }
                r.end();
                ChunkedFiles.Layout layout = c.end();
                c.finish();
                ManifestFile rebuilt = ManifestFile.chunked(PATH, r.size(), 0600, 1, "CRC32C:00000000", CHUNK, layout.ids());
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                store.readFile(rebuilt, new OutputStreamSink(out, false));
                return new Rebuilt(out.toByteArray(), c.use(), layout.fileCrc(r.size(), CHUNK));
            }
        }

        @Override
        public void close() {
            basis.close();
        }
    }

    private Basis basis() throws IOException {
        return new Basis();
    }

    @Test
    void theUploadedManifestListsTheChunkedFilesWithAValidChecksum() throws IOException {
        try (Basis b = basis(); InputStream in = b.basis.upload()) {
            String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(text.contains("{ \"Path\": \"" + PATH + "\", \"Size\": " + prior.length), text);
            assertTrue(text.contains("\"Start-LSN\": \"0/1000000\", \"End-LSN\": \"0/2000000\""), text);
            ManifestParser summary = new ManifestParser(f -> { });
            summary.write(ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8)));
            assertEquals(1, summary.finish().walRanges().size(), "the server's parser checks the same checksum");
        }
    }

    /** An incremental file as the server writes it (little-endian, header padded to a block when it carries blocks). */
    private static byte[] increment(int truncation, int[] numbers, byte[][] blocks) {
        int header = 12 + 4 * numbers.length;
        if (numbers.length > 0 && header % BLOCK != 0) {
            header += BLOCK - header % BLOCK;
        }
        ByteBuffer b = ByteBuffer.allocate(header + BLOCK * numbers.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(IncrementalRebuild.MAGIC).putInt(numbers.length).putInt(truncation);
        for (int n : numbers) {
            b.putInt(n);
        }
        b.position(header);
        for (byte[] block : blocks) {
            b.put(block);
        }
        return b.array();
    }

    private byte[] bytes(int n) {
        byte[] b = new byte[n];
        random.nextBytes(b);
        return b;
    }

    private static int crc(byte[] b) {
        CRC32C c = new CRC32C();
        c.update(b);
        return (int) c.getValue();
    }
}
