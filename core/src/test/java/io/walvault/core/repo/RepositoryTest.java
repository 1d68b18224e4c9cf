package io.walvault.core.repo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.walvault.core.compress.Compression;
import io.walvault.core.crypto.PassphraseKdf;
import io.walvault.core.crypto.X25519Keys;
import io.walvault.core.error.CorruptDataException;
import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;
import io.walvault.core.error.WrongKeyException;
import io.walvault.core.pipeline.OutputStreamSink;
import io.walvault.core.storage.ForwardingStorage;
import io.walvault.core.storage.ObjectInfo;
import io.walvault.core.storage.ObjectNotFoundException;
import io.walvault.core.storage.Storage;
import io.walvault.core.storage.memory.MemoryStorage;
import io.walvault.core.wal.WalFileName;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import io.walvault.core.wal.Lsn;
import io.walvault.core.wal.TimelineId;
import java.time.Instant;
import java.util.Optional;
import java.util.OptionalLong;
import io.walvault.core.wal.WalSegmentName;

class RepositoryTest {

    static final long SYSID = 7_400_000_000_000_000_001L;
    static final char[] PASS = "correct horse battery staple".toCharArray();
    /** Cheap Argon2 parameters for tests; the default is measured in docs/PERFORMANCE.md. */
    static final PassphraseKdf FAST_KDF = new PassphraseKdf(8 * 1024, 1, 1, new byte[16]);
    static final WalFileName SEG1 = WalFileName.parse("000000010000000000000001");
    static final WalFileName SEG2 = WalFileName.parse("000000010000000000000002");

    final MemoryStorage storage = new MemoryStorage();

    /** A 1 MiB segment of this cluster named {@link #SEG1}: the archive checks page headers against the name. */
    static byte[] segment(long seed) {
        return segment(SEG1, seed);
    }

    /** A 1 MiB segment of this cluster named {@code name} (part of it compresses, as WAL does). */
    static byte[] segment(WalFileName name, long seed) {
        return io.walvault.testkit.WalSegments.segment(name.segment(), 1 << 20, SYSID, seed);
    }

    Repository create(EncryptionMode mode, byte[] publicKey) {
        return Repository.create(storage, new Repository.InitOptions(Compression.LZ4, mode,
                mode == EncryptionMode.PASSPHRASE ? PASS.clone() : null, publicKey, FAST_KDF));
    }

    static byte[] get(Repository repo, WalFileName name) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        repo.cluster(SYSID).wal().get(name, new OutputStreamSink(out, false));
        return out.toByteArray();
    }

    static WalArchive.PutResult put(Repository repo, WalFileName name, byte[] data) throws IOException {
        return repo.cluster(SYSID).wal().put(name, () -> new ByteArrayInputStream(data));
    }

    @Test
    void aSecondClusterJoinsOnlyWhenNamed() throws IOException {
        Repository repo = create(EncryptionMode.NONE, null);
        repo.cluster(SYSID).admitWriter(false); // the first cluster of an empty repository
        put(repo, SEG1, segment(1));
        assertTrue(storage.info(RepositoryLayout.clusterRecord(SYSID)).isPresent());
        WalvaultException e = assertThrows(WalvaultException.class, () -> repo.cluster(SYSID + 1).admitWriter(false));
        assertEquals(ErrorCode.CLUSTER_UNEXPECTED, e.code());
        assertTrue(e.getMessage().contains("set system-identifier = " + Long.toUnsignedString(SYSID + 1)), e.getMessage());
        assertFalse(storage.info(RepositoryLayout.clusterRecord(SYSID + 1)).isPresent(), "nothing written for the refused one");
        repo.cluster(SYSID + 1).admitWriter(true);
        assertTrue(storage.info(RepositoryLayout.clusterRecord(SYSID + 1)).isPresent());
        // a cluster written before these records existed (objects, no record) is one the repository knows
        storage.remove(RepositoryLayout.clusterRecord(SYSID));
        Repository.open(storage, KeyMaterial.none()).cluster(SYSID).admitWriter(false);
    }

    @Test
    void theClustersAreFoundWithoutListingTheirObjects() throws IOException {
        Repository repo = create(EncryptionMode.NONE, null);
        put(repo, SEG1, segment(1));
        put(repo, SEG2, segment(SEG2, 2));
        long second = SYSID + 1;
        repo.cluster(second).admitWriter(true);
        storage.newWrite("clusters/notes.txt").finish(); // not a cluster
        List<String> listed = new ArrayList<>();
        Storage counting = new ForwardingStorage(storage) {
            @Override
            public Stream<ObjectInfo> list(String prefix) {
                return super.list(prefix).peek(i -> listed.add(i.key()));
            }
        };
        Repository again = Repository.open(counting, KeyMaterial.none());
        try (Stream<Long> c = again.clusters()) {
            assertEquals(List.of(SYSID, second), c.sorted().toList());
        }
        assertEquals(List.of(), listed.stream().filter(k -> k.startsWith("clusters/")).toList(),
                "no WAL file, chunk or backup object of a cluster is read to find the clusters");
    }

    @Test
    void walOfATimelineLeftBehindIsRecognised() throws IOException {
        Repository repo = create(EncryptionMode.NONE, null);
        put(repo, WalFileName.parse("00000002.history"), "1\t0/5000000\tno recovery target specified\n".getBytes());
        WalArchive wal = repo.cluster(SYSID).wal();
        long seg = 16L * 1024 * 1024;
        assertTrue(wal.abandonedBy(io.walvault.core.wal.WalSegmentName.parse("000000010000000000000006", seg)).isPresent());
        assertTrue(wal.abandonedBy(io.walvault.core.wal.WalSegmentName.parse("000000010000000000000005", seg)).isEmpty(),
                "the old primary's segment holding the branch point is expected");
        assertTrue(wal.abandonedBy(io.walvault.core.wal.WalSegmentName.parse("000000010000000000000004", seg)).isEmpty());
        assertTrue(wal.abandonedBy(io.walvault.core.wal.WalSegmentName.parse("000000020000000000000006", seg)).isEmpty());
    }

    @Test
    void unencryptedRepositoryRoundTripsWalAndItsObjectsAreLz4Frames() throws IOException {
        Repository repo = create(EncryptionMode.NONE, null);
        byte[] seg = segment(1);
        WalArchive.PutResult r = put(repo, SEG1, seg);
        assertFalse(r.alreadyPresent());
        assertEquals("clusters/7400000000000000001/wal/00000001/0000000100000000/000000010000000000000001.lz4",
                r.object().key());
        assertTrue(r.object().storedSize() < seg.length);
        try (InputStream in = storage.newRead(r.object().key())) {
            byte[] head = in.readNBytes(5);
            assertArrayEquals(new byte[] {0x04, 0x22, 0x4D, 0x18}, Arrays.copyOf(head, 4), "a standard LZ4 frame");
            assertEquals(0x04, head[4] & 0x04, "with a content checksum: nothing else checks an unencrypted object");
        }
        try (InputStream in = storage.newRead(r.object().key())) {
            assertEquals(in.readAllBytes().length, r.object().storedSize());
        }
        try (ObjectWriter w = repo.cluster(SYSID).backups().newBundle("20261121T063000Z", 0)) {
            w.write(seg, 0, 1000);
            ObjectResult bundle = w.finishWithResult();
            assertEquals(null, bundle.sha256(), "bundles skip the plaintext digest: files are hashed for the manifest");
            assertEquals(1000, bundle.size());
            assertTrue(bundle.storedSize() > 0);
        }
        Repository reopened = Repository.open(storage, KeyMaterial.none());
        assertArrayEquals(seg, get(reopened, SEG1));
    }

    @Test
    void zstdRepositoriesRoundTrip() throws IOException {
        Repository repo = Repository.create(storage, new Repository.InitOptions(Compression.ZSTD, EncryptionMode.PASSPHRASE,
                PASS.clone(), null, FAST_KDF));
        byte[] seg = segment(15);
        WalArchive.PutResult r = put(repo, SEG1, seg);
        assertTrue(r.object().key().endsWith("000000010000000000000001.zst.enc"), r.object().key());
        assertTrue(put(repo, SEG1, seg).alreadyPresent());
        assertArrayEquals(seg, get(Repository.open(storage, KeyMaterial.passphrase(PASS.clone())), SEG1));
        MemoryStorage plain = new MemoryStorage("plain");
        Repository unencrypted = Repository.create(plain, new Repository.InitOptions(Compression.ZSTD, EncryptionMode.NONE,
                null, null, null));
        String key = unencrypted.cluster(SYSID).wal().put(SEG1, () -> new ByteArrayInputStream(seg)).object().key();
        try (InputStream in = plain.newRead(key)) {
            assertArrayEquals(new byte[] {0x28, (byte) 0xB5, 0x2F, (byte) 0xFD}, in.readNBytes(4), "a standard zstd frame");
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        unencrypted.cluster(SYSID).wal().get(SEG1, new OutputStreamSink(out, false));
        assertArrayEquals(seg, out.toByteArray());
    }

    @Test
    void aPushThatFindsItsFileStoredMakesTheNameDurableBeforeItSucceeds() throws IOException {
        Repository.create(storage, new Repository.InitOptions(Compression.LZ4, EncryptionMode.NONE, null, null, null));
        byte[] seg = segment(2);
        List<String> synced = new ArrayList<>();
        Storage recording = new ForwardingStorage(storage) {
            @Override
            public void syncName(String key) throws IOException {
                synced.add(key);
                super.syncName(key);
            }
        };
        Repository repo = Repository.open(recording, KeyMaterial.none());
        WalArchive.PutResult first = put(repo, SEG1, seg);
        assertEquals(List.of(), synced, "a write makes its own name durable");
        // a writer stopped between its link and its directory's fsync leaves a name a power loss may take
        assertTrue(put(repo, SEG1, seg).alreadyPresent());
        assertEquals(List.of(first.object().key()), synced);
    }

    @Test
    void duplicatePushOfIdenticalContentSucceedsAndDifferentContentFails() throws IOException {
        Repository repo = create(EncryptionMode.PASSPHRASE, null);
        byte[] seg = segment(2);
        String sha = sha256(seg);
        assertEquals(null, put(repo, SEG1, seg).object().sha256(), "a push where every writer can read does not hash");
        WalArchive.PutResult again = put(repo, SEG1, seg);
        assertTrue(again.alreadyPresent());
        assertEquals(sha, again.object().sha256());
        assertEquals(sha, repo.cluster(SYSID).wal().storedSha256(SEG1));
        byte[] other = segment(3);
        ContentMismatchException e = assertThrows(ContentMismatchException.class, () -> put(repo, SEG1, other));
        assertEquals(ErrorCode.CONTENT_MISMATCH, e.code());
        assertTrue(e.getMessage().contains("'000000010000000000000001'"), e.getMessage());
        assertArrayEquals(seg, get(repo, SEG1), "the archived copy is untouched");
    }

    @Test
    void partialSegmentsAreReplacedHistoryAndBackupFilesHaveTheirPlace() throws IOException {
        Repository repo = create(EncryptionMode.NONE, null);
        WalFileName partial = WalFileName.parse("000000010000000000000003.partial");
        byte[] shorter = io.walvault.testkit.WalSegments.partial(partial.segment(), 1 << 20, SYSID, 3, 8192);
        byte[] longer = io.walvault.testkit.WalSegments.partial(partial.segment(), 1 << 20, SYSID, 3, 16384);
        put(repo, partial, shorter);
        put(repo, partial, longer);
        assertArrayEquals(longer, get(repo, partial));
        WalFileName history = WalFileName.parse("00000002.history");
        put(repo, history, "1\t0/3000000\tno recovery target specified\n".getBytes());
        WalFileName backup = WalFileName.parse("000000010000000000000002.00000028.backup");
        put(repo, backup, "START WAL LOCATION: 0/2000028\n".getBytes());
        put(repo, SEG1, segment(4));
        assertEquals("clusters/7400000000000000001/wal/history/00000002.history.lz4",
                repo.cluster(SYSID).wal().key(history));
        try (var l = repo.cluster(SYSID).wal().list()) {
            assertEquals(List.of(SEG1, backup, partial, history),
                    l.sorted((a, b) -> repo.cluster(SYSID).wal().key(a).compareTo(repo.cluster(SYSID).wal().key(b))).toList());
        }
        assertThrows(ObjectNotFoundException.class, () -> get(repo, SEG2));
        repo.cluster(SYSID).wal().remove(SEG1);
        assertTrue(repo.cluster(SYSID).wal().info(SEG1).isEmpty());
    }

    @Test
    void wrongPassphraseIsRefusedWhenOpening() {
        create(EncryptionMode.PASSPHRASE, null);
        WrongKeyException e = assertThrows(WrongKeyException.class,
                () -> Repository.open(storage, KeyMaterial.passphrase("not the passphrase".toCharArray())));
        assertTrue(e.getMessage().startsWith("the passphrase does not open repository 'memory://test'"), e.getMessage());
        assertTrue(e.getMessage().contains("HINT:"));
        WalvaultException none = assertThrows(WalvaultException.class, () -> Repository.open(storage, KeyMaterial.none()));
        assertEquals(ErrorCode.KEY_REQUIRED, none.code());
    }

    @Test
    void publicKeyHostsWriteWithoutThePrivateKeyAndRestoreNeedsIt() throws IOException {
        byte[] priv = X25519Keys.generatePrivateKey();
        create(EncryptionMode.PUBLIC_KEY, X25519Keys.publicKeyOf(priv));
        Repository archiver = Repository.open(storage, KeyMaterial.none());
        byte[] seg = segment(5);
        assertTrue(put(archiver, SEG1, seg).object().key().endsWith(".lz4.enc"));
        WalvaultException e = assertThrows(WalvaultException.class, () -> get(archiver, SEG1));
        assertEquals(ErrorCode.KEY_REQUIRED, e.code());
        Repository restore = Repository.open(storage, KeyMaterial.privateKeys(List.of(priv.clone())));
        assertArrayEquals(seg, get(restore, SEG1));
    }

    @Test
    void publicKeyHostsCompareRePushesWithoutThePrivateKey() throws IOException {
        create(EncryptionMode.PUBLIC_KEY, X25519Keys.publicKeyOf(X25519Keys.generatePrivateKey()));
        Repository archiver = Repository.open(storage, KeyMaterial.none());
        byte[] seg = segment(13);
        String sha = put(archiver, SEG1, seg).object().sha256();
        WalArchive.PutResult again = put(archiver, SEG1, seg);
        assertTrue(again.alreadyPresent(), "a retried push of the same segment succeeds on a host that cannot decrypt");
        assertEquals(sha, again.object().sha256());
        assertEquals(seg.length, again.object().size());
        assertEquals(sha, archiver.cluster(SYSID).wal().storedSha256(SEG1));
        assertThrows(ContentMismatchException.class, () -> put(archiver, SEG1, segment(14)));
    }

    @Test
    void aPushThatLosesTheRaceForItsNameComparesByReadingItsContentAgain() throws IOException {
        Repository repo = create(EncryptionMode.PASSPHRASE, null);
        byte[] seg = segment(15);
        assertTrue(pushLosingTheRace(repo, SEG1, seg, seg, 2).alreadyPresent(), "the same content stored meanwhile is fine");
        ContentMismatchException e = assertThrows(ContentMismatchException.class,
                () -> pushLosingTheRace(repo, SEG2, segment(SEG2, 15), segment(SEG2, 16), 2));
        assertTrue(e.getMessage().contains("'000000010000000000000002'"), e.getMessage());
        assertArrayEquals(segment(SEG2, 16), get(repo, SEG2), "the winner's copy is untouched");
        assertEquals(sha256(seg), repo.cluster(SYSID).wal().storedSha256(SEG1), "read in full: no digest trailer");
    }

    @Test
    void publicKeyHostsCompareALostRaceWithTheDigestTheyComputed() throws IOException {
        create(EncryptionMode.PUBLIC_KEY, X25519Keys.publicKeyOf(X25519Keys.generatePrivateKey()));
        Repository archiver = Repository.open(storage, KeyMaterial.none());
        byte[] seg = segment(17);
        assertTrue(pushLosingTheRace(archiver, SEG1, seg, seg, 1).alreadyPresent());
        assertThrows(ContentMismatchException.class, () -> pushLosingTheRace(archiver, SEG2, segment(SEG2, 17), segment(SEG2, 18), 1));
    }

    /**
     * Pushes {@code mine} as {@code name} while another push stores {@code theirs} under the same
     * name first (once this push has begun to write); checks how often the content was opened.
     */
    private static WalArchive.PutResult pushLosingTheRace(Repository repo, WalFileName name, byte[] mine, byte[] theirs,
                                                          int expectedOpens) throws IOException {
        WalArchive wal = repo.cluster(SYSID).wal();
        java.util.concurrent.atomic.AtomicInteger opens = new java.util.concurrent.atomic.AtomicInteger();
        try {
            return wal.put(name, () -> {
                if (opens.getAndIncrement() == 0) {
                    assertFalse(wal.put(name, () -> new ByteArrayInputStream(theirs)).alreadyPresent());
                }
                return new ByteArrayInputStream(mine);
            });
        } finally {
            assertEquals(expectedOpens, opens.get(), "times the content was opened");
        }
    }

    static String sha256(byte[] b) {
        try {
            return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(b));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void wrongPrivateKeyIsRefusedWhenOpening() {
        create(EncryptionMode.PUBLIC_KEY, X25519Keys.publicKeyOf(X25519Keys.generatePrivateKey()));
        WrongKeyException e = assertThrows(WrongKeyException.class,
                () -> Repository.open(storage, KeyMaterial.privateKeys(List.of(X25519Keys.generatePrivateKey()))));
        assertTrue(e.getMessage().contains("is not a key of repository 'memory://test'"), e.getMessage());
    }

    @Test
    void pinnedPublicKeyMustMatchTheRepository() {
        create(EncryptionMode.PUBLIC_KEY, X25519Keys.publicKeyOf(X25519Keys.generatePrivateKey()));
        byte[] other = X25519Keys.publicKeyOf(X25519Keys.generatePrivateKey());
        assertThrows(WrongKeyException.class, () -> Repository.open(storage, KeyMaterial.none().pinning(other)));
    }

    @Test
    void failsClosedRatherThanWritingUnencrypted() throws IOException {
        create(EncryptionMode.NONE, null);
        WalvaultException e = assertThrows(WalvaultException.class,
                () -> Repository.open(storage, KeyMaterial.passphrase(PASS.clone())));
        assertEquals(ErrorCode.ENCRYPTION_MISMATCH, e.code());
        e = assertThrows(WalvaultException.class,
                () -> Repository.open(storage, KeyMaterial.none().expecting(EncryptionMode.PUBLIC_KEY)));
        assertEquals(ErrorCode.ENCRYPTION_MISMATCH, e.code());
    }

    @Test
    void descriptorAlteredToNoEncryptionIsRefused() throws IOException {
        create(EncryptionMode.PASSPHRASE, null);
        RepositoryDescriptor d = Repository.readDescriptor(storage);
        storage.tamper(RepositoryLayout.DESCRIPTOR, Json.write(new RepositoryDescriptor(1, d.id(), d.created(), "lz4", "none", null)));
        WalvaultException e = assertThrows(WalvaultException.class, () -> Repository.open(storage, KeyMaterial.none()));
        assertEquals(ErrorCode.ENCRYPTION_MISMATCH, e.code());
    }

    @Test
    void tamperedAndSwappedObjectsAreDetectedNamingTheObject() throws IOException {
        Repository repo = create(EncryptionMode.PASSPHRASE, null);
        String k1 = put(repo, SEG1, segment(6)).object().key();
        String k2 = put(repo, SEG2, segment(SEG2, 7)).object().key();
        byte[] one;
        byte[] two;
        try (InputStream a = storage.newRead(k1); InputStream b = storage.newRead(k2)) {
            one = a.readAllBytes();
            two = b.readAllBytes();
        }
        storage.tamper(k1, two);
        storage.tamper(k2, one);
        CorruptDataException e = assertThrows(CorruptDataException.class, () -> get(repo, SEG1));
        assertTrue(e.getMessage().contains("'" + k1 + "'"), e.getMessage());
        byte[] flipped = one.clone();
        flipped[flipped.length / 2] ^= 4;
        storage.tamper(k1, flipped);
        e = assertThrows(CorruptDataException.class, () -> get(repo, SEG1));
        assertTrue(e.getMessage().contains("'" + k1 + "'"), e.getMessage());
        storage.tamper(k1, java.util.Arrays.copyOf(one, one.length - 100));
        assertThrows(CorruptDataException.class, () -> get(repo, SEG1));
    }

    @Test
    void passphraseRotationKeepsOldObjectsReadableAndRetiresTheOldPassphrase() throws IOException {
        Repository repo = create(EncryptionMode.PASSPHRASE, null);
        byte[] old = segment(8);
        put(repo, SEG1, old);
        char[] newPass = "a new and longer passphrase".toCharArray();
        assertEquals(2, Repository.rotateKey(storage, KeyMaterial.passphrase(PASS.clone()), newPass.clone(), null));
        // until the old passphrase is retired, a new process configured with it (an archive_command) still works,
        // writing with key version 1, which the new passphrase reads
        Repository stillOld = Repository.open(storage, KeyMaterial.passphrase(PASS.clone()));
        put(stillOld, WalFileName.parse("000000010000000000000007"), segment(WalFileName.parse("000000010000000000000007"), 7));
        Repository after = Repository.open(storage, KeyMaterial.passphrase(newPass.clone()));
        assertArrayEquals(segment(WalFileName.parse("000000010000000000000007"), 7),
                get(after, WalFileName.parse("000000010000000000000007")));
        assertEquals(ErrorCode.WRONG_KEY, assertThrows(WalvaultException.class,
                () -> Repository.retireOldKeys(storage, KeyMaterial.passphrase(PASS.clone()))).code(), "retired with the new one only");
        assertEquals(1, Repository.retireOldKeys(storage, KeyMaterial.passphrase(newPass.clone())));
        assertThrows(WrongKeyException.class, () -> Repository.open(storage, KeyMaterial.passphrase(PASS.clone())));
        assertArrayEquals(old, get(after, SEG1), "written with key version 1, read after rotation");
        String k2 = put(after, SEG2, segment(SEG2, 9)).object().key();
        try (InputStream in = storage.newRead(k2)) {
            byte[] header = in.readNBytes(11);
            assertEquals(2, header[10], "new objects name key version 2 (bytes 7-10)");
        }
        // a writer that opened before the rotation keeps writing readable objects: no hole
        WalFileName fifth = WalFileName.parse("000000010000000000000005");
        put(repo, fifth, segment(fifth, 10));
        assertArrayEquals(segment(fifth, 10), get(after, fifth));
    }

    @Test
    void publicKeyRotationNeedsOnlyTheNewPublicKey() throws IOException {
        byte[] priv1 = X25519Keys.generatePrivateKey();
        create(EncryptionMode.PUBLIC_KEY, X25519Keys.publicKeyOf(priv1));
        Repository w1 = Repository.open(storage, KeyMaterial.none());
        put(w1, SEG1, segment(11));
        byte[] priv2 = X25519Keys.generatePrivateKey();
        assertEquals(2, Repository.rotateKey(storage, KeyMaterial.none(), null, X25519Keys.publicKeyOf(priv2)));
        Repository w2 = Repository.open(storage, KeyMaterial.none());
        put(w2, SEG2, segment(SEG2, 12));
        Repository both = Repository.open(storage, KeyMaterial.privateKeys(List.of(priv1.clone(), priv2.clone())));
        assertArrayEquals(segment(11), get(both, SEG1));
        assertArrayEquals(segment(SEG2, 12), get(both, SEG2));
        Repository onlyOld = Repository.open(storage, KeyMaterial.privateKeys(List.of(priv1.clone())));
        assertArrayEquals(segment(11), get(onlyOld, SEG1));
        assertEquals(ErrorCode.KEY_REQUIRED, assertThrows(WalvaultException.class, () -> get(onlyOld, SEG2)).code());
        // a host that pins the old public key, not yet told of the rotation, keeps writing to that key: no failure
        Repository pinned = Repository.open(storage, KeyMaterial.none().pinning(X25519Keys.publicKeyOf(priv1)));
        WalFileName third = WalFileName.parse("000000010000000000000005");
        put(pinned, third, segment(third, 13));
        assertArrayEquals(segment(third, 13), get(onlyOld, third), "written to key version 1, which the old private key reads");
        // a key the keyring never had is still refused
        assertThrows(WrongKeyException.class, () -> Repository.open(storage,
                KeyMaterial.none().pinning(X25519Keys.publicKeyOf(X25519Keys.generatePrivateKey()))));
    }

    @Test
    void initRefusesANonEmptyLocationAndOpenAnEmptyOne() {
        assertEquals(ErrorCode.REPOSITORY_NOT_FOUND,
                assertThrows(WalvaultException.class, () -> Repository.open(storage, KeyMaterial.none())).code());
        create(EncryptionMode.NONE, null);
        assertEquals(ErrorCode.REPOSITORY_EXISTS,
                assertThrows(WalvaultException.class, () -> create(EncryptionMode.NONE, null)).code());
    }

    @Test
    void descriptorOfAnUnknownFormatIsRefused() {
        create(EncryptionMode.NONE, null);
        storage.tamper(RepositoryLayout.DESCRIPTOR, "{\"format\":2,\"id\":\"x\",\"created\":\"t\",\"compression\":\"lz4\",\"encryption\":\"none\"}".getBytes());
        WalvaultException e = assertThrows(WalvaultException.class, () -> Repository.open(storage, KeyMaterial.none()));
        assertEquals(ErrorCode.REPOSITORY_FORMAT, e.code());
        assertTrue(e.getMessage().contains("format 2") && e.getMessage().contains("HINT: upgrade walvault"), e.getMessage());
    }

    @Test
    void malformedDescriptorsAreCorruptNamingTheObject() {
        create(EncryptionMode.NONE, null).close();
        String good = "\"format\":1,\"id\":\"x\",\"created\":\"t\",\"compression\":\"lz4\",\"encryption\":\"none\"";
        storage.tamper(RepositoryLayout.DESCRIPTOR, ("{" + good + "}").getBytes());
        Repository.open(storage, KeyMaterial.none()).close();
        for (String bad : List.of("{" + good + ",\"extra\":1}", "{" + good + "} {}", "{" + good + ",\"id\":\"y\"}",
                "{\"format\":1,\"id\":\"x\",\"created\":\"t\",\"compression\":\"lz4\"}",
                "{\"format\":\"1\",\"id\":\"x\",\"created\":\"t\",\"compression\":\"lz4\",\"encryption\":\"none\"}",
                "{" + good + ",\"cipher\":[1]}", "null", "[" + good + "]", "{" + good)) {
            storage.tamper(RepositoryLayout.DESCRIPTOR, bad.getBytes());
            WalvaultException e = assertThrows(WalvaultException.class, () -> Repository.open(storage, KeyMaterial.none()), bad);
            assertEquals(ErrorCode.CORRUPT_DATA, e.code(), bad);
            assertTrue(e.getMessage().contains("object 'walvault.json' is corrupt"), e.getMessage());
        }
    }

    @Test
    void manifestsStreamAndAreCheckedForCompleteness() throws IOException {
        Repository repo = create(EncryptionMode.PASSPHRASE, null);
        BackupCatalog backups = repo.cluster(SYSID).backups();
        String id = "20261121T063000Z";
        try (ObjectWriter bundle = backups.newBundle(id, 0)) {
            bundle.write(new byte[100], 0, 100);
            bundle.finish();
        }
        assertEquals(List.of(), backups.list(), "no manifest, no backup");
        assertTrue(backups.isUsed(id), "but the id is taken");
        assertFalse(backups.isUsed("20261121T063001Z"));
        BackupInfo info = BackupInfo.of(id, SYSID, 170004, TimelineId.of(1), Lsn.parse("0/2000028"), Lsn.parse("0/2000100"), Instant.parse("2026-11-21T06:30:00Z"), Instant.parse("2026-11-21T06:31:00Z"), "nightly");
        assertEquals(java.time.Duration.ofMinutes(1), info.elapsed());
        ObjectResult manifest;
        try (ManifestWriter m = backups.newManifest(info)) {
            for (int i = 0; i < 1000; i++) {
                m.add(ManifestFile.file("base/5/" + (16384 + i), 8192, 1_700_000_000L, "0".repeat(64), 0, 8192L * i));
            }
            manifest = m.finish();
        }
        assertEquals(List.of(), backups.list(), "a manifest alone is not a backup: it needs its commit record");
        backups.commit(info, manifest, null, List.of()); // a format-1 style record counts no bundles
        assertEquals(List.of(id), backups.list());
        assertEquals(info, backups.info(id));
        List<ManifestFile> files = new java.util.ArrayList<>();
        assertEquals(info, backups.readManifest(id, files::add));
        assertEquals(1000, files.size());
        assertEquals("base/5/16385", files.get(1).path());
        assertEquals(3, backups.remove(id));
        assertEquals(List.of(), backups.list());
        try (var l = storage.list(RepositoryLayout.backupDir(SYSID, id))) {
            assertEquals(0, l.count(), "bundles removed with the manifest");
        }
    }

    /** A backup as the backup command writes it: one bundle, a manifest, the commit record. */
    private static BackupInfo committedBackup(BackupCatalog backups, String id, boolean commit) throws IOException {
        ObjectResult bundle;
        try (ObjectWriter w = backups.newBundle(id, 0)) {
            w.write(new byte[1000], 0, 1000);
            bundle = w.finishWithResult();
        }
        BackupInfo info = new BackupInfo(id, SYSID, 180001, "18.1", "nightly", TimelineId.of(1), Lsn.parse("0/2000028"), TimelineId.of(1L), Lsn.parse("0/2000100"), Instant.parse("2026-11-21T06:30:00Z"), Instant.parse("2026-11-21T06:31:00Z"), OptionalLong.of(16777216L), Optional.of(WalSegmentName.parse("000000010000000000000002", 16777216L)), Optional.of(WalSegmentName.parse("000000010000000000000002", 16777216L)), 1L, 1000L, bundle.storedSize(), 1, false);
        ObjectResult manifest;
        try (ManifestWriter m = backups.newManifest(info)) {
            m.add(ManifestFile.file("base/1/1259", 1000, 0600, 1_700_000_000L, "CRC32C:0badf00d", 0, 0));
            manifest = m.finish();
        }
        if (commit) {
            backups.commit(info, manifest, null, List.of(bundle));
        }
        return info;
    }

    @Test
    void aLateManifestWithoutItsCommitRecordNeverMakesABackup() throws IOException {
        Repository repo = create(EncryptionMode.PASSPHRASE, null);
        BackupCatalog backups = repo.cluster(SYSID).backups();
        BackupInfo good = committedBackup(backups, "20261121T063000Z", true);
        // a backup that gave up after its manifest PUT, which reached the store late (bundles removed by its cleanup or not)
        committedBackup(backups, "20261122T063000Z", false);
        storage.remove(backups.bundleKey("20261122T063000Z", 0));
        committedBackup(backups, "20261123T063000Z", false);
        assertEquals(List.of(good.id()), backups.list());
        assertEquals(List.of(good), backups.restorable());
        List<BackupCatalog.Entry> entries = backups.entries();
        assertEquals(List.of(BackupCatalog.State.RESTORABLE, BackupCatalog.State.INCOMPLETE, BackupCatalog.State.INCOMPLETE),
                entries.stream().map(BackupCatalog.Entry::state).toList());
        assertTrue(entries.get(2).problem().orElseThrow().contains("no commit record"), entries.get(2).problem().toString());
    }

    @Test
    void theNewestRestorableBackupPassesOverDamagedIncompleteAndUnwantedOnes() throws IOException {
        Repository repo = create(EncryptionMode.PASSPHRASE, null);
        BackupCatalog backups = repo.cluster(SYSID).backups();
        assertEquals(Optional.empty(), backups.newestRestorable(b -> true), "an empty repository");
        BackupInfo a = committedBackup(backups, "20261121T063000Z", true);
        BackupInfo b = committedBackup(backups, "20261122T063000Z", true);
        BackupInfo c = committedBackup(backups, "20261123T063000Z", true);
        committedBackup(backups, "20261124T063000Z", false); // a manifest without its commit record
        storage.remove(backups.bundleKey(c.id(), 0));         // the newest committed one lost a bundle
        assertEquals(Optional.of(b), backups.newestRestorable(x -> true));
        assertEquals(Optional.of(a), backups.newestRestorable(x -> !x.id().equals(b.id())));
        assertEquals(Optional.empty(), backups.newestRestorable(x -> false));
        List<BackupInfo> all = backups.restorable();
        assertEquals(all.get(all.size() - 1), backups.newestRestorable(x -> true).orElseThrow(), "the same answer as the whole list's");
    }

    @Test
    void commitRecordsAreReadSideBySide() throws IOException {
        // each commit read waits until another is under way (or 10 s): read one after another, every one would wait alone
        CountDownLatch twoUnderWay = new CountDownLatch(2);
        AtomicInteger alone = new AtomicInteger();
        Storage probe = new ForwardingStorage(storage) {
            @Override
            public InputStream newRead(String key, long offset, long length) {
                if (key.contains("/commit")) {
                    twoUnderWay.countDown();
                    try {
                        if (!twoUnderWay.await(10, TimeUnit.SECONDS)) {
                            alone.incrementAndGet();
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
                return super.newRead(key, offset, length);
            }
        };
        Repository repo = Repository.create(probe, new Repository.InitOptions(Compression.LZ4, EncryptionMode.PASSPHRASE,
                PASS.clone(), null, FAST_KDF));
        BackupCatalog backups = repo.cluster(SYSID).backups();
        List<BackupInfo> written = new java.util.ArrayList<>();
        for (int day = 21; day < 26; day++) {
            written.add(committedBackup(backups, "202611" + day + "T063000Z", true));
        }
        storage.tamper(backups.commitKey(written.get(2).id()), "garbage".getBytes()); // judged on its own as before
        List<BackupCatalog.Entry> entries = backups.entries();
        assertEquals(0, alone.get(), "commit records read one after another");
        assertEquals(List.of(BackupCatalog.State.RESTORABLE, BackupCatalog.State.RESTORABLE, BackupCatalog.State.DAMAGED,
                BackupCatalog.State.RESTORABLE, BackupCatalog.State.RESTORABLE), entries.stream().map(BackupCatalog.Entry::state).toList());
        assertEquals(written.stream().map(BackupInfo::id).toList(), entries.stream().map(BackupCatalog.Entry::id).toList(),
                "oldest first, as listed");
        assertEquals(List.of(written.get(0), written.get(1), written.get(3), written.get(4)), backups.restorable());
    }

    @Test
    void damageStaysWithTheBackupItHits() throws IOException {
        Repository repo = create(EncryptionMode.PASSPHRASE, null);
        BackupCatalog backups = repo.cluster(SYSID).backups();
        BackupInfo a = committedBackup(backups, "20261121T063000Z", true);
        BackupInfo b = committedBackup(backups, "20261122T063000Z", true);
        BackupInfo c = committedBackup(backups, "20261123T063000Z", true);
        BackupInfo d = committedBackup(backups, "20261124T063000Z", true);
        storage.remove(backups.bundleKey(a.id(), 0));                                  // a bundle lost
        storage.tamper(backups.bundleKey(b.id(), 0), new byte[10]);                     // a bundle emptied or cut short
        storage.tamper(backups.commitKey(c.id()), "garbage".getBytes());                // the commit record damaged
        List<BackupCatalog.Entry> entries = backups.entries();
        assertEquals(List.of(BackupCatalog.State.DAMAGED, BackupCatalog.State.DAMAGED, BackupCatalog.State.DAMAGED,
                BackupCatalog.State.RESTORABLE), entries.stream().map(BackupCatalog.Entry::state).toList());
        assertTrue(entries.get(0).problem().orElseThrow().contains("'data/00000000" + repo.codec().extension() + "' is missing"),
                entries.get(0).problem().toString());
        assertTrue(entries.get(1).problem().orElseThrow().contains("is 10 bytes, not the"), entries.get(1).problem().toString());
        assertTrue(entries.get(2).problem().orElseThrow().contains("commit record"), entries.get(2).problem().toString());
        assertTrue(entries.get(2).problem().orElseThrow().contains("other backups are not affected"), entries.get(2).problem().toString());
        // the intact backup stays listable and readable
        assertEquals(List.of(d.id()), backups.list());
        assertEquals(d, backups.readManifest(d.id(), f -> { }));
    }

    @Test
    void aBackupWrittenBeforeCommitRecordsStandsByItsManifest() throws IOException {
        Repository repo = create(EncryptionMode.NONE, null);
        BackupCatalog backups = repo.cluster(SYSID).backups();
        String id = "20261121T063000Z";
        BackupInfo info = new BackupInfo(id, SYSID, 170004, "17.4", "old", TimelineId.of(1), Lsn.parse("0/2000028"), TimelineId.of(1L), Lsn.parse("0/2000100"), Instant.parse("2026-11-21T06:30:00Z"), Instant.parse("2026-11-21T06:31:00Z"), OptionalLong.of(16777216L), Optional.of(WalSegmentName.parse("000000010000000000000002", 16777216L)), Optional.of(WalSegmentName.parse("000000010000000000000002", 16777216L)), 0L, 0L, 0L, 0, false);
        try (ObjectWriter w = repo.codec().newWriter(backups.manifestKey(id), io.walvault.core.storage.Storage.WriteMode.CREATE, false)) {
            for (Record line : List.<Record>of(new BackupCatalog.Header(2, BackupInfoJson.of(info)), new BackupCatalog.Trailer(new BackupCatalog.End(0, 0)))) {
                byte[] j = Json.write(line);
                w.write(j, 0, j.length);
                w.write(new byte[] {'\n'}, 0, 1);
            }
            w.finish();
        }
        assertEquals(List.of(id), backups.list());
        assertEquals(info, backups.info(id));
    }

    @Test
    void storedBackupsIncludeOrphansAndOrphansAreRemovedInBatches() throws IOException {
        Repository repo = create(EncryptionMode.NONE, null);
        BackupCatalog backups = repo.cluster(SYSID).backups();
        String orphan = "20261120T063000Z";
        String complete = "20261121T063000Z";
        for (int i = 0; i < 1003; i++) { // more than one removal batch
            try (ObjectWriter bundle = backups.newBundle(orphan, i)) {
                bundle.write(new byte[10], 0, 10);
                bundle.finish();
            }
        }
        BackupInfo info = BackupInfo.of(complete, SYSID, 170004, TimelineId.of(1), Lsn.parse("0/2000028"), Lsn.parse("0/2000100"), Instant.parse("2026-11-21T06:30:00Z"), Instant.parse("2026-11-21T06:31:00Z"), "nightly");
        try (ManifestWriter m = backups.newManifest(info)) {
            m.finish();
        }
        List<BackupCatalog.StoredBackup> stored = backups.stored();
        assertEquals(List.of(orphan, complete), stored.stream().map(BackupCatalog.StoredBackup::id).toList());
        assertFalse(stored.get(0).complete());
        assertEquals(1003, stored.get(0).objects());
        assertTrue(stored.get(1).complete());
        assertEquals(1, stored.get(1).objects());
        assertEquals(1003, backups.removeObjects(orphan));
        assertEquals(List.of(complete), backups.stored().stream().map(BackupCatalog.StoredBackup::id).toList());
    }

    @Test
    void walListingCarriesEachObject() throws IOException {
        Repository repo = create(EncryptionMode.NONE, null);
        put(repo, SEG1, segment(1));
        put(repo, WalFileName.parse("00000002.history"), "1\t0/3000000\tno recovery target specified\n".getBytes());
        List<WalArchive.ArchivedWal> all;
        try (var l = repo.cluster(SYSID).wal().listObjects()) {
            all = l.toList();
        }
        assertEquals(List.of(SEG1.name(), "00000002.history"), all.stream().map(a -> a.name().name()).toList());
        assertEquals(repo.cluster(SYSID).wal().key(SEG1), all.get(0).object().key());
        assertEquals(storage.info(all.get(0).object().key()).orElseThrow().size(), all.get(0).object().size());
    }

    @Test
    void pendingManifestKeepsEntriesOnDiskUntilTheBackupInfoIsKnown() throws IOException {
        Repository repo = create(EncryptionMode.NONE, null);
        BackupCatalog backups = repo.cluster(SYSID).backups();
        String id = "20261121T063000Z";
        try (PendingManifest p = backups.pendingManifest()) {
            p.add(ManifestFile.directory("base", 0700, 1_700_000_000L));
            p.add(ManifestFile.file("base/1/1259", 16384, 0600, 1_700_000_000L, "CRC32C:0badf00d", 0, 0));
            p.add(ManifestFile.link("pg_wal", "/elsewhere", 1_700_000_000L));
            assertEquals(List.of(), backups.list(), "nothing is published before the info");
            assertEquals(1, p.regularFiles());
            assertEquals(16384, p.fileBytes());
            BackupInfo info = new BackupInfo(id, SYSID, 180001, "18.1", "nightly", TimelineId.of(1), Lsn.parse("0/2000028"), TimelineId.of(1L), Lsn.parse("0/2000100"), Instant.parse("2026-11-21T06:30:00Z"), Instant.parse("2026-11-21T06:31:00Z"), OptionalLong.of(16777216L), Optional.of(WalSegmentName.parse("000000010000000000000002", 16777216L)), Optional.of(WalSegmentName.parse("000000010000000000000002", 16777216L)), 1L, 16384L, 900L, 1, true);
            p.publish(info);
            List<ManifestFile> files = new java.util.ArrayList<>();
            assertEquals(info, backups.readManifest(id, files::add));
            assertEquals(List.of("dir", "file", "link"), files.stream().map(ManifestFile::type).toList());
            assertEquals("CRC32C:0badf00d", files.get(1).checksum());
            assertEquals(0600, files.get(1).mode());
        }
        assertThrows(IllegalArgumentException.class, () -> new ManifestFile("f", "file", 1, null, 0, null, null, null, 0, 0),
                "a file needs a checksum");
    }

    @Test
    void manifestWithoutItsEndIsCorrupt() throws IOException {
        Repository repo = create(EncryptionMode.NONE, null);
        BackupCatalog backups = repo.cluster(SYSID).backups();
        String id = "20261121T063000Z";
        BackupInfo info = BackupInfo.of(id, SYSID, 170004, TimelineId.of(1), Lsn.parse("0/2000028"), Lsn.parse("0/2000100"), Instant.parse("2026-11-21T06:30:00Z"), Instant.parse("2026-11-21T06:31:00Z"), "x");
        // a writer that lost its trailer: write the header and a file, no end record
        try (ObjectWriter w = repo.codec().newWriter(backups.manifestKey(id), io.walvault.core.storage.Storage.WriteMode.CREATE, false)) {
            byte[] h = Json.write(new BackupCatalog.Header(1, BackupInfoJson.of(info)));
            w.write(h, 0, h.length);
            w.write(new byte[] {'\n'}, 0, 1);
            w.finish();
        }
        CorruptDataException e = assertThrows(CorruptDataException.class, () -> backups.readManifest(id, f -> { }));
        assertTrue(e.getMessage().contains("no end record"), e.getMessage());
    }

    @Test
    void locksExcludeAndStaleOnesAreTakenOver() throws Exception {
        Repository repo = create(EncryptionMode.NONE, null);
        ClusterCatalog c = repo.cluster(SYSID);
        try (RepositoryLock lock = c.lock("backup", java.time.Duration.ofMinutes(10))) {
            LockHeldException e = assertThrows(LockHeldException.class, () -> c.lock("backup", java.time.Duration.ofMinutes(10)));
            assertTrue(e.getMessage().contains("process " + ProcessHandle.current().pid()), e.getMessage());
            lock.refresh();
        }
        try (RepositoryLock again = c.lock("backup", java.time.Duration.ofMinutes(10))) {
            assertTrue(storage.info(RepositoryLayout.lock(SYSID, "backup")).isPresent());
        }
        assertTrue(storage.info(RepositoryLayout.lock(SYSID, "backup")).isEmpty(), "released");
        // a holder on this host whose process is gone
        Process p = new ProcessBuilder("true").start();
        p.waitFor();
        String host = java.net.InetAddress.getLocalHost().getHostName();
        String t = java.time.Instant.now().toString();
        byte[] dead = Json.write(new RepositoryLock.Holder("x", host, p.pid(), t, t));
        storage.tamper(RepositoryLayout.lock(SYSID, "backup"), dead);
        try (RepositoryLock taken = c.lock("backup", java.time.Duration.ofMinutes(10))) {
            assertEquals(ProcessHandle.current().pid(), lockHolder().pid(), "the lock names this process");
        }
        // a holder elsewhere, silent for longer than staleAfter
        String old = java.time.Instant.now().minusSeconds(3600).toString();
        storage.tamper(RepositoryLayout.lock(SYSID, "backup"), Json.write(new RepositoryLock.Holder("y", "elsewhere", 1, old, old)));
        assertThrows(LockHeldException.class, () -> c.lock("backup", java.time.Duration.ofHours(2)));
        try (RepositoryLock taken = c.lock("backup", java.time.Duration.ofMinutes(10))) {
            assertEquals(ProcessHandle.current().pid(), lockHolder().pid(), "the lock names this process");
        }
    }

    private RepositoryLock.Holder lockHolder() throws IOException {
        String key = RepositoryLayout.lock(SYSID, "backup");
        try (InputStream in = storage.newRead(key, 0, -1)) {
            return Json.read(in.readAllBytes(), RepositoryLock.Holder.class, key);
        }
    }

    @Test
    void writingIntoAPipelineThatFailsLeavesNoObject() throws IOException {
        Repository repo = create(EncryptionMode.PASSPHRASE, null);
        byte[] seg = segment(21);
        InputStream failing = new InputStream() {
            int n;

            @Override
            public int read() throws IOException {
                if (n > 100_000) {
                    throw new IOException("disk read error");
                }
                return seg[n++] & 0xff;
            }
        };
        assertThrows(IOException.class, () -> repo.cluster(SYSID).wal().put(SEG1, () -> failing));
        assertTrue(repo.cluster(SYSID).wal().info(SEG1).isEmpty());
    }

    @Test
    void theArchiveStoresOnlyWalThatIsWhatItsNameSays() throws IOException {
        Repository repo = create(EncryptionMode.NONE, null);
        WalArchive wal = repo.cluster(SYSID).wal();
        // another segment's bytes, another cluster's, random bytes, a short file, a broken history: nothing stored
        assertThrows(io.walvault.core.wal.InvalidWalException.class, () -> put(repo, SEG2, segment(SEG1, 1)));
        assertThrows(io.walvault.core.wal.InvalidWalException.class, () -> put(repo, SEG1,
                io.walvault.testkit.WalSegments.segment(SEG1.segment(), 1 << 20, SYSID + 1, 1)));
        byte[] random = new byte[1 << 20];
        new Random(3).nextBytes(random);
        assertThrows(io.walvault.core.wal.InvalidWalException.class, () -> put(repo, SEG1, random));
        assertThrows(io.walvault.core.wal.InvalidWalException.class, () -> put(repo, SEG1, java.util.Arrays.copyOf(segment(1), 4096)));
        assertThrows(io.walvault.core.wal.InvalidWalException.class, () -> put(repo, WalFileName.parse("00000002.history"),
                "not a history file".getBytes()));
        try (var l = wal.list()) {
            assertEquals(0, l.count(), "nothing was published");
        }
        // a retried push whose content is now invalid is refused too, not compared as equal or different
        put(repo, SEG1, segment(1));
        assertThrows(io.walvault.core.wal.InvalidWalException.class, () -> put(repo, SEG1, random));
        assertArrayEquals(segment(1), get(repo, SEG1));
        // the typed method for history files
        assertFalse(wal.putHistory(io.walvault.core.wal.TimelineId.of(3), "2\t0/3000000\tno recovery target specified\n"
                .getBytes()).alreadyPresent());
    }

    @Test
    void keyMaterialNeverPrintsSecrets() {
        KeyMaterial m = KeyMaterial.passphrase(PASS.clone());
        assertFalse(m.toString().contains("horse"));
    }
}
