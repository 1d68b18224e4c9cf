package io.walvault.core.repo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.walvault.core.compress.Compression;
import io.walvault.core.crypto.X25519Keys;
import io.walvault.core.error.CorruptDataException;
import io.walvault.core.pipeline.OutputStreamSink;
import io.walvault.core.pipeline.Sink;
import io.walvault.core.storage.memory.MemoryStorage;
import io.walvault.core.storage.posix.PosixStorage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Chunks: named by a keyed hash of their content (equal content, equal name, within a
 * repository; another repository's secret names it differently), stored once, read back in
 * file order with their sizes checked, and listed in the manifest as format 4 lines.
 */
class ChunkStoreTest {

    private static final long SYSID = RepositoryTest.SYSID;

    private static Repository passphrase(MemoryStorage storage) {
        return Repository.create(storage, new Repository.InitOptions(Compression.LZ4, EncryptionMode.PASSPHRASE,
                RepositoryTest.PASS.clone(), null, RepositoryTest.FAST_KDF));
    }

    private static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    @Test
    void namesDependOnContentAndOnTheRepositorysSecret() {
        Repository a = passphrase(new MemoryStorage("a"));
        Repository b = passphrase(new MemoryStorage("b"));
        Repository plain = Repository.create(new MemoryStorage("plain"), new Repository.InitOptions(Compression.LZ4,
                EncryptionMode.NONE, null, null, null));
        byte[] data = random(65536, 1);
        ChunkNamer na = a.cluster(SYSID).chunks().namer().orElseThrow();
        assertEquals(na.name(data, 0, data.length), na.name(data.clone(), 0, data.length));
        assertNotEquals(na.name(data, 0, data.length), na.name(data, 0, data.length - 1));
        assertNotEquals(na.name(data, 0, data.length), b.cluster(SYSID).chunks().namer().orElseThrow().name(data, 0, data.length),
                "another repository's secret gives another name");
        assertNotEquals(na.name(data, 0, data.length), plain.cluster(SYSID).chunks().namer().orElseThrow().name(data, 0, data.length));
    }

    @Test
    void aPublicKeyRepositoryHasNoNamerForItsWriters() {
        Repository pk = Repository.create(new MemoryStorage("pk"), new Repository.InitOptions(Compression.LZ4,
                EncryptionMode.PUBLIC_KEY, null, X25519Keys.publicKeyOf(X25519Keys.generatePrivateKey()), null));
        assertTrue(pk.cluster(SYSID).chunks().namer().isEmpty());
    }

    @Test
    void anEncodedChunkIsNeitherSeenNorLeftBehindUntilItIsPublished(@TempDir Path dir) throws IOException {
        PosixStorage storage = new PosixStorage(dir.resolve("repo"));
        Repository repo = Repository.create(storage, new Repository.InitOptions(Compression.LZ4, EncryptionMode.PASSPHRASE,
                RepositoryTest.PASS.clone(), null, RepositoryTest.FAST_KDF));
        ChunkStore store = repo.cluster(SYSID).chunks();
        ChunkNamer namer = store.namer().orElseThrow();
        byte[] data = random(20000, 5);
        ChunkId id = namer.name(data, 0, data.length);

        ChunkStore.Unpublished u = store.encode(id, data, data.length);
        Arrays.fill(data, (byte) 0); // the caller's buffer is free again once encode returns
        assertTrue(store.stored(id).isEmpty(), "an encoded chunk is not visible before it is published");
        assertTrue(u.publish());
        u.close();
        assertEquals(u.result().storedSize(), store.stored(id).orElseThrow().size());
        byte[] back = new byte[20000];
        store.readInto(id, back, "the test");
        assertArrayEquals(random(20000, 5), back);

        try (ChunkStore.Unpublished again = store.encode(id, back, back.length)) {
            assertFalse(again.publish(), "a chunk the repository holds is not stored twice");
        }
        byte[] other = random(20000, 6);
        ChunkId otherId = namer.name(other, 0, other.length);
        store.encode(otherId, other, other.length).close(); // abandoned
        assertTrue(store.stored(otherId).isEmpty());
        try (Stream<Path> files = Files.walk(dir.resolve("repo"))) {
            assertEquals(List.of(), files.filter(f -> f.getFileName().toString().endsWith(".tmp")).toList(),
                    "neither the refused nor the abandoned chunk leaves a temporary file");
        }
    }

    @Test
    void storesEachChunkOnceAndReadsAFileBackInOrder() throws IOException {
        MemoryStorage storage = new MemoryStorage();
        Repository repo = passphrase(storage);
        ChunkStore store = repo.cluster(SYSID).chunks();
        ChunkNamer namer = store.namer().orElseThrow();
        int chunkSize = 16384;
        byte[] file = random(chunkSize * 3 + 100, 2);
        List<ChunkId> ids = new ArrayList<>();
        for (int off = 0; off < file.length; off += chunkSize) {
            int len = Math.min(chunkSize, file.length - off);
            byte[] piece = Arrays.copyOfRange(file, off, off + len);
            ChunkId id = namer.name(piece, 0, len);
            ids.add(id);
            assertTrue(store.stored(id).isEmpty());
            assertTrue(store.put(id, piece, len).isPresent());
            assertTrue(store.stored(id).isPresent());
            assertTrue(store.put(id, piece, len).isEmpty(), "a chunk the repository holds is not stored again");
        }
        ManifestFile f = ManifestFile.chunked("base/5/16384", file.length, 0600, 1700000000, "CRC32C:00000000", chunkSize, ids);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        store.readFile(f, new OutputStreamSink(out, false));
        assertArrayEquals(file, out.toByteArray());
        List<ChunkId> listed = new ArrayList<>();
        store.forEach(c -> listed.add(c.id()));
        assertEquals(ids.stream().sorted().toList(), listed.stream().sorted().toList());

        // read ahead on a pool, two chunks at a time: the same bytes in the same order
        ExecutorService readers = Executors.newFixedThreadPool(2);
        try {
            ByteArrayOutputStream ahead = new ByteArrayOutputStream();
            store.readFile(f, new OutputStreamSink(ahead, false), readers, 2);
            assertArrayEquals(file, ahead.toByteArray());

            // over an older copy: what it holds is taken from it (chunk 0, gone from the store, comes back from the
            // copy), and a range that differs (chunk 2) is fetched
            Path copy = Files.createTempFile("walvault-chunk-copy", ".bin");
            try {
                byte[] older = file.clone();
                older[chunkSize * 2 + 5] ^= 1;
                Files.write(copy, older);
                byte[] chunk0 = Arrays.copyOf(file, chunkSize);
                store.remove(ids.get(0));
                ByteArrayOutputStream delta = new ByteArrayOutputStream();
                store.readFile(f, new OutputStreamSink(delta, false), readers, 2, Optional.of(copy));
                assertArrayEquals(file, delta.toByteArray());
                // the same by the chunks' XXH64 recorded in the manifest (no names computed)
                long[] hashes = new long[ids.size()];
                for (int i = 0; i < hashes.length; i++) {
                    hashes[i] = ChunkNamer.hash(file, i * chunkSize, Math.min(chunkSize, file.length - i * chunkSize));
                }
                ManifestFile hashed = ManifestFile.chunked(f.path(), f.size(), 0600, 1, f.checksum(), chunkSize, ids, hashes);
                assertEquals(OptionalLong.of(hashes[2]), hashed.chunkHash(2));
                assertEquals(hashed, Json.read(Json.write(hashed), ManifestFile.class, "k"));
                ByteArrayOutputStream byHash = new ByteArrayOutputStream();
                long[] inPlace = {0};
                OutputStreamSink bytes = new OutputStreamSink(byHash, false);
                Sink marking = new Sink() { // what came from the copy is handed over as in place
                    @Override
                    public void write(byte[] b, int off, int len) throws IOException {
                        bytes.write(b, off, len);
                    }

                    @Override
                    public void writeInPlace(byte[] b, int off, int len) throws IOException {
                        inPlace[0] += len;
                        bytes.write(b, off, len);
                    }

                    @Override
                    public void finish() throws IOException {
                        bytes.finish();
                    }

                    @Override
                    public void close() throws IOException {
                        bytes.close();
                    }
                };
                store.readFile(hashed, marking, readers, 2, Optional.of(copy));
                assertArrayEquals(file, byHash.toByteArray());
                assertEquals(file.length - chunkSize, inPlace[0], "every chunk but the changed one came from the copy");
                store.put(ids.get(0), chunk0, chunkSize);
            } finally {
                Files.deleteIfExists(copy);
            }

            // a chunk of another size than the layout says: corrupt data naming it
            ManifestFile shorter = ManifestFile.chunked("base/5/16385", chunkSize * 2, 0600, 1, "CRC32C:00000000", chunkSize,
                    List.of(ids.get(0), ids.get(3)));
            CorruptDataException size = assertThrows(CorruptDataException.class, () -> store.readFile(shorter,
                    new OutputStreamSink(new ByteArrayOutputStream(), false), readers, 2));
            assertTrue(size.getMessage().contains(store.key(ids.get(3))) && size.getMessage().contains("holds 100 bytes"),
                    size.getMessage());

            // a chunk gone: corrupt data naming the chunk and the file, both ways of reading
            store.remove(ids.get(1));
            CorruptDataException e = assertThrows(CorruptDataException.class, () -> store.readFile(f, new OutputStreamSink(
                    new ByteArrayOutputStream(), false)));
            assertTrue(e.getMessage().contains(store.key(ids.get(1))) && e.getMessage().contains("base/5/16384"), e.getMessage());
            CorruptDataException e2 = assertThrows(CorruptDataException.class, () -> store.readFile(f, new OutputStreamSink(
                    new ByteArrayOutputStream(), false), readers, 2));
            assertTrue(e2.getMessage().contains(store.key(ids.get(1))), e2.getMessage());
        } finally {
            readers.shutdownNow();
        }

        // check: a chunk is named again from its plaintext
        assertEquals(chunkSize, store.check(ids.get(0)));
        store.put(ids.get(1), Arrays.copyOf(file, chunkSize), chunkSize); // another content under chunk 1's name
        CorruptDataException renamed = assertThrows(CorruptDataException.class, () -> store.check(ids.get(1)));
        assertTrue(renamed.getMessage().contains("not the content it was named for"), renamed.getMessage());
    }

    @Test
    void manifestLinesCarryTheChunksAndTheirCountMustFitTheSize() {
        ChunkId a = new ChunkId("a".repeat(64));
        ChunkId b = new ChunkId("b".repeat(64));
        ManifestFile f = ManifestFile.chunked("base/5/1", 1024 * 1024 + 1, 0600, 1, "CRC32C:01020304", 1024 * 1024, List.of(a, b));
        String line = new String(Json.write(f), StandardCharsets.UTF_8);
        assertTrue(line.contains("\"chunks\":[\"" + a.hex() + "\",\"" + b.hex() + "\"]") && line.contains("\"chunkSize\":1048576"),
                line);
        assertEquals(f, Json.read(Json.write(f), ManifestFile.class, "k"));
        ManifestFile bundled = ManifestFile.file("base/5/2", 10, 0600, 1, "CRC32C:01020304", 3, 40);
        assertTrue(!new String(Json.write(bundled), StandardCharsets.UTF_8).contains("chunk"));
        assertEquals(bundled, Json.read(Json.write(bundled), ManifestFile.class, "k"));
        assertThrows(IllegalArgumentException.class, () -> ManifestFile.chunked("base/5/1", 3 * 1024 * 1024, 0600, 1,
                "CRC32C:01020304", 1024 * 1024, List.of(a, b)));
        assertThrows(IllegalArgumentException.class, () -> new ChunkId("A".repeat(64)));
    }
}
