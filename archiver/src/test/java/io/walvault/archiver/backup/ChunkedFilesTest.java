package io.walvault.archiver.backup;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.walvault.core.compress.Compression;
import io.walvault.core.crypto.PassphraseKdf;
import io.walvault.core.pipeline.OutputStreamSink;
import io.walvault.core.repo.BackupInfo;
import io.walvault.core.repo.ChunkId;
import io.walvault.core.repo.ChunkNamer;
import io.walvault.core.repo.ChunkStore;
import io.walvault.core.repo.EncryptionMode;
import io.walvault.core.repo.ManifestFile;
import io.walvault.core.repo.Repository;
import io.walvault.core.pipeline.Sink;
import io.walvault.core.storage.ForwardingStorage;
import io.walvault.core.storage.Storage;
import io.walvault.core.storage.memory.MemoryStorage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * A large file cut into chunks as the stream delivers it, in pieces that do not follow chunk
 * boundaries; written a second time with one page changed, only the chunk holding that page is
 * stored, and both versions read back whole.
 */
class ChunkedFilesTest {

    private static final int CHUNK = 64 * 1024;

    /** A store that counts the chunk objects written to it (attempts included: a refused create was still packed and sent). */
    private static class CountingStorage extends ForwardingStorage {
        final AtomicInteger chunkWrites = new AtomicInteger();

        CountingStorage() {
            super(new MemoryStorage());
        }

        @Override
        public Sink newWrite(String key, WriteMode mode) {
            if (key.contains("/chunks/")) {
                chunkWrites.incrementAndGet();
            }
            return super.newWrite(key, mode);
        }
    }

    /** The chunks of a cluster in a new passphrase repository on {@code storage}. */
    private static ChunkStore passphraseStore(Storage storage) {
        Repository repo = Repository.create(storage, new Repository.InitOptions(Compression.LZ4,
                EncryptionMode.PASSPHRASE, "a passphrase for the test".toCharArray(), null,
                new PassphraseKdf(8 * 1024, 1, 1, new byte[16])));
        return repo.cluster(7_400_000_000_000_000_001L).chunks();
    }

    @Test
    void storesOnlyTheChunksTheRepositoryLacks() throws IOException {
        CountingStorage storage = new CountingStorage();
        ChunkStore store = passphraseStore(storage);
        byte[] file = new byte[CHUNK * 5 + 8192];
        new Random(3).nextBytes(file);

        List<ChunkId> first;
        BackupInfo.ChunkUse firstUse;
        try (ChunkedFiles c = new ChunkedFiles(store, store.namer(), CHUNK, 2)) {
            assertFalse(c.takes(CHUNK - 1));
            assertTrue(c.takes(CHUNK));
            first = write(c, file);
            c.finish();
            firstUse = c.use();
        }
        assertEquals(6, first.size());
        assertEquals(new BackupInfo.ChunkUse(file.length, file.length, firstUse.newStoredBytes(), 0), firstUse);

        byte[] changed = file.clone();
        changed[CHUNK * 2 + 100] ^= 1; // one page of the third chunk
        List<ChunkId> second;
        BackupInfo.ChunkUse secondUse;
        try (ChunkedFiles c = new ChunkedFiles(store, store.namer(), CHUNK, 2)) {
            second = write(c, changed);
            c.finish();
            secondUse = c.use();
        }
        assertEquals(CHUNK, secondUse.newBytes(), "only the changed chunk is stored");
        assertEquals(7, storage.chunkWrites.get(), "a chunk the repository holds is not packed and sent again");
        assertEquals(file.length - CHUNK, secondUse.sharedBytes());
        for (int i = 0; i < first.size(); i++) {
            assertEquals(i == 2, !first.get(i).equals(second.get(i)), "chunk " + i);
        }
        assertArrayEquals(file, read(store, file.length, first));
        assertArrayEquals(changed, read(store, changed.length, second));
    }

    @Test
    void aChunkThatCannotBePublishedFailsTheBackupAndIsNotSeen() throws IOException {
        AtomicInteger publications = new AtomicInteger();
        CountingStorage storage = new CountingStorage() {
            @Override
            public Sink newWrite(String key, WriteMode mode) {
                Sink s = super.newWrite(key, mode);
                if (!key.contains("/chunks/")) {
                    return s;
                }
                return new Sink() {
                    @Override
                    public void write(byte[] b, int off, int len) throws IOException {
                        s.write(b, off, len);
                    }

                    @Override
                    public void finish() throws IOException {
                        if (publications.incrementAndGet() == 3) {
                            throw new IOException("the disk is full (injected)");
                        }
                        s.finish();
                    }

                    @Override
                    public void close() throws IOException {
                        s.close();
                    }
                };
            }
        };
        ChunkStore store = passphraseStore(storage);
        byte[] file = new byte[CHUNK * 6];
        new Random(4).nextBytes(file);
        List<ChunkId> ids;
        try (ChunkedFiles c = new ChunkedFiles(store, store.namer(), CHUNK, 2)) {
            ids = write(c, file);
            IOException e = assertThrows(IOException.class, c::finish);
            assertTrue(e.getMessage().contains("the disk is full (injected)"), e.getMessage());
        }
        long seen = ids.stream().filter(id -> store.stored(id).isPresent()).count();
        assertTrue(seen < ids.size(), "the chunk that failed is not in the store");
        assertTrue(publications.get() >= 3);
    }

    @Test
    void theSameContentTwiceInOneBackupIsStoredOnceAndCountedOnce() throws IOException {
        CountingStorage storage = new CountingStorage();
        ChunkStore store = passphraseStore(storage);
        byte[] file = new byte[CHUNK * 8]; // eight chunks of zeros: one content
        BackupInfo.ChunkUse use;
        List<ChunkId> ids;
        try (ChunkedFiles c = new ChunkedFiles(store, store.namer(), CHUNK, 2)) {
            ids = write(c, file);
            c.finish();
            use = c.use();
        }
        assertEquals(1, ids.stream().distinct().count());
        assertEquals(CHUNK, use.newBytes(), "stored once, however many threads raced to store it");
        assertEquals(file.length - CHUNK, use.sharedBytes());
        assertTrue(store.stored(ids.get(0)).isPresent());
        assertArrayEquals(file, read(store, file.length, ids));
    }

    @Test
    void aRepositoryWithoutANamerTakesNoFile() {
        Repository repo = Repository.create(new MemoryStorage(), new Repository.InitOptions(Compression.LZ4,
                EncryptionMode.NONE, null, null, null));
        try (ChunkedFiles c = new ChunkedFiles(repo.cluster(1).chunks(), Optional.empty(), CHUNK, 2)) {
            assertFalse(c.takes(1L << 30));
        }
    }

    /** Hands {@code file} over in pieces of 5000 bytes (not aligned to chunks). */
    private static List<ChunkId> write(ChunkedFiles c, byte[] file) throws IOException {
        c.begin();
        for (int off = 0; off < file.length; off += 5000) {
            c.write(ByteBuffer.wrap(file, off, Math.min(5000, file.length - off)));
        }
        ChunkedFiles.Layout layout = c.end();
        for (int i = 0; i < layout.ids().size(); i++) {
            int off = i * CHUNK;
            assertEquals(ChunkNamer.hash(file, off, Math.min(CHUNK, file.length - off)), layout.hashes()[i], "hash of chunk " + i);
        }
        return layout.ids();
    }

    private static byte[] read(ChunkStore store, long size, List<ChunkId> ids) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        store.readFile(ManifestFile.chunked("base/1/1", size, 0600, 1, "CRC32C:00000000", CHUNK, ids),
                new OutputStreamSink(out, false));
        return out.toByteArray();
    }
}
