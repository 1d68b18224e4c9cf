package io.walvault.core.storage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.walvault.core.error.WalvaultException;
import io.walvault.core.pipeline.Sink;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The contract every {@link Storage} driver keeps; one subclass per driver supplies the storage
 * and states what it cannot do through the hooks.
 */
public abstract class AbstractStorageContractTest {

    /** A fresh, empty storage for the current test. */
    protected abstract Storage storage();

    /** Whether multi-GiB streams can be written (not the memory driver). */
    protected boolean supportsLargeObjects() {
        return true;
    }

    /**
     * Size of the stream in {@link #multiGibStreamIsNeverHeldInMemory}: past 2^31 so int offsets
     * would break (by 128 MiB: several multipart parts and buffers beyond it).
     */
    protected long largeObjectSize() {
        return 2176L * 1024 * 1024;
    }

    protected static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    protected static void put(Storage s, String key, byte[] data) throws IOException {
        try (Sink w = s.newWrite(key)) {
            w.write(data, 0, data.length);
            w.finish();
        }
    }

    protected static byte[] get(Storage s, String key) throws IOException {
        try (InputStream in = s.newRead(key)) {
            return in.readAllBytes();
        }
    }

    protected static List<String> keys(Storage s, String prefix) {
        try (Stream<ObjectInfo> l = s.list(prefix)) {
            return l.map(ObjectInfo::key).toList();
        }
    }

    @Test
    void writesAndReadsBack() throws IOException {
        Storage s = storage();
        for (int size : new int[] {0, 1, 1000, 1_500_000}) {
            byte[] data = random(size, size);
            put(s, "objects/o" + size, data);
            assertArrayEquals(data, get(s, "objects/o" + size));
            assertEquals(size, s.info("objects/o" + size).orElseThrow().size());
        }
    }

    @Test
    void readsRanges() throws IOException {
        Storage s = storage();
        byte[] data = random(100_000, 1);
        put(s, "r/object", data);
        try (InputStream in = s.newRead("r/object", 10, 20)) {
            assertArrayEquals(java.util.Arrays.copyOfRange(data, 10, 30), in.readAllBytes());
        }
        try (InputStream in = s.newRead("r/object", 99_990, -1)) {
            assertArrayEquals(java.util.Arrays.copyOfRange(data, 99_990, 100_000), in.readAllBytes());
        }
        try (InputStream in = s.newRead("r/object", 99_990, 1000)) {
            assertEquals(10, in.readAllBytes().length, "a range past the end gives what there is");
        }
        try (InputStream in = s.newRead("r/object", 100_000, 10)) {
            assertEquals(0, in.readAllBytes().length);
        }
        try (InputStream in = s.newRead("r/object", 5, 0)) {
            assertEquals(0, in.readAllBytes().length);
        }
    }

    @Test
    void missingObjectIsNotFound() {
        Storage s = storage();
        assertThrows(ObjectNotFoundException.class, () -> s.newRead("no/such/object", 0, 0).close(), "even for an empty range");
        ObjectNotFoundException e = assertThrows(ObjectNotFoundException.class, () -> get(s, "no/such/object"));
        assertTrue(e.getMessage().contains("'no/such/object'"), e.getMessage());
        assertTrue(s.info("no/such/object").isEmpty());
    }

    @Test
    void createRefusesToOverwrite() throws IOException {
        Storage s = storage();
        put(s, "c/one", new byte[] {1});
        assertThrows(ObjectExistsException.class, () -> put(s, "c/one", new byte[] {2, 2}));
        assertArrayEquals(new byte[] {1}, get(s, "c/one"));
        assertEquals(List.of("c/one"), keys(s, "c/"), "the refused write left nothing behind");
    }

    @Test
    void aCreateWhoseNameIsSyncedLaterIsACreate() throws IOException {
        Storage s = storage();
        try (Sink w = s.newWrite("later/aa/one", Storage.WriteMode.CREATE_NAME_SYNCED_LATER)) {
            w.write(new byte[] {1, 2}, 0, 2);
            w.finish();
        }
        assertArrayEquals(new byte[] {1, 2}, get(s, "later/aa/one"), "visible whole at once");
        assertThrows(ObjectExistsException.class, () -> {
            try (Sink w = s.newWrite("later/aa/one", Storage.WriteMode.CREATE_NAME_SYNCED_LATER)) {
                w.write(new byte[] {9}, 0, 1);
                w.finish();
            }
        }, "create-if-absent, as CREATE");
        put(s, "later/bb/two", new byte[] {3});
        s.syncNames("later/");
        s.syncNames("nothing/here/");
        assertEquals(List.of("later/aa/one", "later/bb/two"), keys(s, "later/"));
        assertArrayEquals(new byte[] {1, 2}, get(s, "later/aa/one"));
    }

    @Test
    void overwriteReplaces() throws IOException {
        Storage s = storage();
        put(s, "o/one", new byte[] {1});
        try (Sink w = s.newWrite("o/one", Storage.WriteMode.OVERWRITE)) {
            w.write(new byte[] {3, 3, 3}, 0, 3);
            w.finish();
        }
        assertArrayEquals(new byte[] {3, 3, 3}, get(s, "o/one"));
    }

    @Test
    void nothingIsVisibleBeforeFinishAndAbandonedWritesLeaveNothing() throws IOException {
        Storage s = storage();
        byte[] data = random(3_000_000, 2);
        try (Sink w = s.newWrite("a/abandoned")) {
            w.write(data, 0, data.length);
            assertTrue(s.info("a/abandoned").isEmpty(), "not visible before finish");
            assertEquals(List.of(), keys(s, "a/"));
        }
        assertTrue(s.info("a/abandoned").isEmpty(), "closed without finish: discarded");
        assertEquals(List.of(), keys(s, "a/"));
        put(s, "a/abandoned", new byte[] {7});
        assertArrayEquals(new byte[] {7}, get(s, "a/abandoned"), "the key is free after an abandoned write");
    }

    @Test
    void listsByPrefixInKeyOrder() throws IOException {
        Storage s = storage();
        for (String k : List.of("wal/00000001/000000010000000000000002", "wal/00000001/000000010000000000000001",
                "wal/00000002/000000020000000000000003", "wal/00000002.history", "backup/x/manifest", "walrus")) {
            put(s, k, k.getBytes());
        }
        assertEquals(List.of("wal/00000001/000000010000000000000001", "wal/00000001/000000010000000000000002",
                "wal/00000002.history", "wal/00000002/000000020000000000000003"), keys(s, "wal/"));
        assertEquals(List.of("wal/00000002.history", "wal/00000002/000000020000000000000003"), keys(s, "wal/00000002"));
        assertEquals(List.of("wal/00000001/000000010000000000000001", "wal/00000001/000000010000000000000002",
                "wal/00000002.history", "wal/00000002/000000020000000000000003", "walrus"), keys(s, "wal"));
        assertEquals(6, keys(s, "").size());
        assertEquals(List.of(), keys(s, "nothing/"));
        try (Stream<ObjectInfo> l = s.list("backup/")) {
            ObjectInfo i = l.findFirst().orElseThrow();
            assertEquals("backup/x/manifest".length(), i.size());
        }
    }

    @Test
    void listsTheNamesOneLevelBelowAPrefixAsTheFullListingWouldCutThem() throws IOException {
        Storage s = storage();
        for (String k : List.of("clusters/7/wal/00000001/000000010000000000000001", "clusters/7/cluster.json",
                "clusters/42/chunks/ab/abcd", "clusters/4-2/x", "clusters/4/y", "clusters/readme", "clustersx/1/z",
                "other/9/w")) {
            put(s, k, k.getBytes());
        }
        List<String> children;
        try (Stream<String> c = s.listChildren("clusters/")) {
            children = c.toList();
        }
        List<String> cut;
        try (Stream<ObjectInfo> l = s.list("clusters/")) {
            cut = l.map(i -> i.key().substring("clusters/".length()))
                    .map(k -> k.contains("/") ? k.substring(0, k.indexOf('/')) : k).distinct().toList();
        }
        // in key order: "4-2/x" before "4/y" ('-' before '/'), "42/..." before "7/...", a file ("readme") a name too
        assertEquals(List.of("4-2", "4", "42", "7", "readme"), children);
        assertEquals(cut, children, "the same names as cutting the full listing, in the same order");
        try (Stream<String> c = s.listChildren("clusters/42/chunks/")) {
            assertEquals(List.of("ab"), c.toList());
        }
        try (Stream<String> c = s.listChildren("nothing/")) {
            assertEquals(List.of(), c.toList());
        }
        s.remove("clusters/4/y"); // its name goes with its last object
        try (Stream<String> c = s.listChildren("clusters/")) {
            assertEquals(List.of("4-2", "42", "7", "readme"), c.toList());
        }
        assertThrows(IllegalArgumentException.class, () -> s.listChildren("clusters"));
    }

    @Test
    void removes() throws IOException {
        Storage s = storage();
        put(s, "d/one", new byte[] {1});
        s.remove("d/one");
        assertTrue(s.info("d/one").isEmpty());
        s.remove("d/one"); // idempotent
        put(s, "d/one", new byte[] {2});
        assertArrayEquals(new byte[] {2}, get(s, "d/one"));
    }

    /** How many keys {@link #removesManyAtOnce} removes: more than one request holds, where the driver batches. */
    protected int manyKeys() {
        return 25;
    }

    @Test
    void removesManyAtOnce() throws IOException {
        Storage s = storage();
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < manyKeys(); i++) {
            keys.add(String.format("many/%05d", i));
        }
        for (String k : keys.subList(0, keys.size() - 2)) {
            put(s, k, new byte[] {1});
        }
        put(s, "many0", new byte[] {2});
        put(s, "many/kept", new byte[] {3});
        s.removeAll(keys); // the last two were never written: ignored
        assertEquals(List.of("many/kept"), keys(s, "many/"));
        assertArrayEquals(new byte[] {2}, get(s, "many0"));
        s.removeAll(List.of());
        assertThrows(WalvaultException.class, () -> s.removeAll(List.of("many/kept", "../up")));
    }

    /** Whether a write that is never finished nor closed (its process killed) leaves something in the store. */
    protected boolean unfinishedWritesLeaveRemains() {
        return true;
    }

    /** Bytes an abandoned write writes: enough that it has left something in the store (S3: a part). */
    protected int abandonedWriteSize() {
        return 100_000;
    }

    /** The bytes an abandoned write has left once it is all in the store (S3: its first part). */
    protected long minimumAbandonedBytes() {
        return abandonedWriteSize();
    }

    @Test
    void removesWhatAbandonedWritesLeftAndNothingElse() throws Exception {
        Storage s = storage();
        put(s, "ab/kept", new byte[] {1});
        byte[] data = random(abandonedWriteSize(), 9);
        // never finished nor closed, as when the writing process is killed
        Sink abandoned = s.newWrite("ab/abandoned");
        abandoned.write(data, 0, data.length);
        Instant later = Instant.now().plusSeconds(60);
        while (unfinishedWritesLeaveRemains() && s.removeAbandonedWrites(later, true).bytes() < minimumAbandonedBytes()
                && Instant.now().isBefore(later)) {
            Thread.sleep(100); // (S3: the part is uploaded in the background)
        }

        assertEquals(AbandonedWrites.NONE, s.removeAbandonedWrites(Instant.now().minus(Duration.ofHours(1)), false),
                "a write touched within the grace period is left alone");
        AbandonedWrites dry = s.removeAbandonedWrites(later, true);
        AbandonedWrites removed = s.removeAbandonedWrites(later, false);
        assertEquals(dry, removed, "a dry run reports what the run removes");
        if (unfinishedWritesLeaveRemains()) {
            assertEquals(1, removed.count(), removed.toString());
            assertTrue(removed.bytes() >= minimumAbandonedBytes() && removed.bytes() <= data.length, removed.toString());
        } else {
            assertEquals(AbandonedWrites.NONE, removed);
        }
        assertEquals(AbandonedWrites.NONE, s.removeAbandonedWrites(later, false), "nothing is removed, nor reported, twice");
        assertArrayEquals(new byte[] {1}, get(s, "ab/kept"), "objects are never touched");
        assertEquals(List.of("ab/kept"), keys(s, "ab/"));
        try {
            abandoned.close();
        } catch (IOException | RuntimeException gone) {
            // its remains were removed under it: whether discarding them again complains does not matter
        }

        // a write in progress is not disturbed by a sweep with a grace period
        try (Sink w = s.newWrite("ab/in-progress")) {
            w.write(data, 0, data.length);
            assertEquals(AbandonedWrites.NONE, s.removeAbandonedWrites(Instant.now().minus(Duration.ofMinutes(5)), false));
            w.finish();
        }
        assertArrayEquals(data, get(s, "ab/in-progress"));
    }

    @Test
    void refusesInvalidKeys() {
        Storage s = storage();
        for (String bad : List.of("", "/abs", "a//b", "../up", "a/../b", ".hidden", "a/.tmp", "sp ace", "a/")) {
            assertThrows(WalvaultException.class, () -> s.newWrite(bad), bad);
        }
    }

    @Test
    void concurrentCreatesHaveOneWinnerWhenAtomic() throws Exception {
        Storage s = storage();
        assumeTrue(s.features().contains(StorageFeature.ATOMIC_CREATE), "create-if-absent is not atomic here");
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            for (int round = 0; round < 5; round++) {
                String key = "race/r" + round;
                List<Callable<Boolean>> writers = new ArrayList<>();
                for (int i = 0; i < 8; i++) {
                    byte[] data = {(byte) i};
                    writers.add(() -> {
                        try {
                            put(s, key, data);
                            return true;
                        } catch (ObjectExistsException e) {
                            return false;
                        }
                    });
                }
                int winners = 0;
                for (Future<Boolean> f : pool.invokeAll(writers)) {
                    winners += f.get() ? 1 : 0;
                }
                assertEquals(1, winners, "exactly one create wins");
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void streamsOfManyPartsRoundTrip() throws Exception {
        Storage s = storage();
        long size = 45L * 1024 * 1024 + 12345;
        byte[] written = writeGenerated(s, "big/many-parts", size, 3);
        assertEquals(size, s.info("big/many-parts").orElseThrow().size());
        assertArrayEquals(written, digestOf(s, "big/many-parts"));
    }

    @Test
    void multiGibStreamIsNeverHeldInMemory() throws Exception {
        assumeTrue(supportsLargeObjects(), "this storage holds objects in memory");
        Storage s = storage();
        long size = largeObjectSize();
        byte[] written = writeGenerated(s, "big/huge", size, 4);
        assertEquals(size, s.info("big/huge").orElseThrow().size());
        assertArrayEquals(written, digestOf(s, "big/huge"));
        // and a range beyond 2^31
        long off = size - 1000;
        try (InputStream in = s.newRead("big/huge", off, 100)) {
            byte[] got = in.readAllBytes();
            assertArrayEquals(generatedRange(off, 100, 4), got);
        }
        s.remove("big/huge");
        assertFalse(s.info("big/huge").isPresent());
    }

    /** Writes {@code size} generated bytes (never all in memory) and returns their SHA-256. */
    protected static byte[] writeGenerated(Storage s, String key, long size, long seed) throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        byte[] block = random(1 << 20, seed);
        try (Sink w = s.newWrite(key)) {
            for (long pos = 0; pos < size; ) {
                int n = (int) Math.min(block.length, size - pos);
                stamp(block, pos);
                md.update(block, 0, n);
                w.write(block, 0, n);
                pos += n;
            }
            w.finish();
        }
        return md.digest();
    }

    /** Each 1 MiB block carries its offset in its first 8 bytes, so blocks differ. */
    private static void stamp(byte[] block, long pos) {
        for (int i = 0; i < 8; i++) {
            block[i] = (byte) (pos >>> (8 * i));
        }
    }

    protected static byte[] generatedRange(long off, int len, long seed) {
        byte[] block = random(1 << 20, seed);
        byte[] out = new byte[len];
        for (int i = 0; i < len; i++) {
            long p = off + i;
            long blockStart = p & ~((1L << 20) - 1);
            int within = (int) (p - blockStart);
            out[i] = within < 8 ? (byte) (blockStart >>> (8 * within)) : block[within];
        }
        return out;
    }

    protected static byte[] digestOf(Storage s, String key) throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        byte[] buf = new byte[1 << 20];
        try (InputStream in = s.newRead(key)) {
            for (int n; (n = in.read(buf)) != -1; ) {
                md.update(buf, 0, n);
            }
        }
        return md.digest();
    }
}
