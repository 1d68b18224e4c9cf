package io.walvault.core.repo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.walvault.core.compress.Compression;
import io.walvault.core.config.RepositorySettings;
import io.walvault.core.crypto.ObjectKeys;
import io.walvault.core.crypto.PassphraseKdf;
import io.walvault.core.crypto.X25519Keys;
import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;
import io.walvault.core.error.WrongKeyException;
import io.walvault.core.storage.memory.MemoryStorage;
import io.walvault.core.wal.WalFileName;
import java.lang.reflect.Field;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/** Secrets are overwritten by their owner once they are no longer needed. */
class KeyWipingTest {

    static final char[] PASS = RepositoryTest.PASS;
    static final WalFileName SEG1 = RepositoryTest.SEG1;

    final MemoryStorage storage = new MemoryStorage();

    @Test
    void closingAPassphraseRepositoryZeroesItsKeysAndItReadsAndWritesNothingMore() throws Exception {
        Repository.create(storage, new Repository.InitOptions(Compression.LZ4, EncryptionMode.PASSPHRASE, PASS.clone(),
                null, RepositoryTest.FAST_KDF)).close();
        Repository repo = Repository.open(storage, KeyMaterial.passphrase(PASS.clone()));
        RepositoryTest.put(repo, SEG1, RepositoryTest.segment(1));
        List<byte[]> held = secretsOf(repo.codec().keys(), "keys");
        assertEquals(1, held.size());
        assertFalse(allZero(held.get(0)), "a key before closing");

        repo.close();

        held.forEach(k -> assertTrue(allZero(k), "every repository key is zeros after close"));
        assertClosed(() -> RepositoryTest.get(repo, SEG1));
        assertClosed(() -> RepositoryTest.put(repo, RepositoryTest.SEG2, RepositoryTest.segment(RepositoryTest.SEG2, 2)));
        assertClosed(() -> repo.decode(repo.cluster(RepositoryTest.SYSID).wal().info(SEG1).orElseThrow().key(), null, null));
        try (Repository reopened = Repository.open(storage, KeyMaterial.passphrase(PASS.clone()))) {
            assertArrayEquals(RepositoryTest.segment(1), RepositoryTest.get(reopened, SEG1), "the keyring is untouched");
        }
    }

    @Test
    void closingAPublicKeyRepositoryZeroesItsPrivateKeys() throws Exception {
        byte[] priv = X25519Keys.generatePrivateKey();
        Repository.create(storage, new Repository.InitOptions(Compression.LZ4, EncryptionMode.PUBLIC_KEY, null,
                X25519Keys.publicKeyOf(priv), null)).close();
        KeyMaterial material = KeyMaterial.privateKeys(List.of(priv.clone()));
        Repository repo = Repository.open(storage, material);
        material.wipe();
        RepositoryTest.put(repo, SEG1, RepositoryTest.segment(3));
        assertArrayEquals(RepositoryTest.segment(3), RepositoryTest.get(repo, SEG1),
                "the repository holds its own copy of the private key, not the material's");
        List<byte[]> held = secretsOf(repo.codec().keys(), "privateKeys");
        assertEquals(1, held.size());
        assertFalse(allZero(held.get(0)));

        repo.close();

        held.forEach(k -> assertTrue(allZero(k), "every private key is zeros after close"));
        assertClosed(() -> RepositoryTest.get(repo, SEG1));
    }

    @Test
    void aWipedKeyMaterialHoldsAndPrintsNoSecretAndOpensNothing() {
        Repository.create(storage, new Repository.InitOptions(Compression.LZ4, EncryptionMode.PASSPHRASE, PASS.clone(),
                null, RepositoryTest.FAST_KDF)).close();
        char[] passphrase = PASS.clone();
        byte[] priv = X25519Keys.generatePrivateKey();
        String[] privTexts = {HexFormat.of().formatHex(priv), Base64.getUrlEncoder().withoutPadding().encodeToString(priv),
                Base64.getEncoder().encodeToString(priv)};
        KeyMaterial m = new KeyMaterial(passphrase, List.of(priv), null, null);

        m.wipe();

        assertTrue(new String(passphrase).chars().allMatch(c -> c == 0), "the passphrase is zeros");
        assertTrue(allZero(priv), "the private key is zeros");
        String printed = m.toString();
        assertFalse(printed.contains(new String(PASS)), printed);
        assertFalse(printed.contains("horse"), printed);
        for (String t : privTexts) {
            assertFalse(printed.contains(t), printed);
        }
        assertThrows(WrongKeyException.class, () -> Repository.open(storage, KeyMaterial.passphrase(passphrase)),
                "a wiped passphrase opens nothing");
    }

    @Test
    void unsealingAKeyringZeroesTheKeyEncryptionKeyItDerived() {
        Repository.create(storage, new Repository.InitOptions(Compression.LZ4, EncryptionMode.PASSPHRASE, PASS.clone(),
                null, RepositoryTest.FAST_KDF)).close();
        RepositoryDescriptor d = Repository.readDescriptor(storage);
        KeyringFile f = Keyring.read(storage, d.id());
        List<byte[]> keks = new ArrayList<>();

        Map<Integer, byte[]> unsealed = Keyring.unseal(storage, d, f, PASS.clone(), (kdf, p) -> keep(keks, kdf, p));
        assertEquals(List.of(1), List.copyOf(unsealed.keySet()));
        assertThrows(WrongKeyException.class, () -> Keyring.unseal(storage, d, f, "not the passphrase".toCharArray(),
                (kdf, p) -> keep(keks, kdf, p)));

        assertEquals(2, keks.size());
        keks.forEach(k -> assertTrue(allZero(k), "the derived key-encryption key is zeros once used"));
    }

    @Test
    void openingFromSettingsWipesItsOwnCopyOfThePassphraseAndClosingTheSettingsWipesTheirs(@TempDir Path dir) {
        char[] passphrase = PASS.clone();
        RepositorySettings s = new RepositorySettings(dir.toUri().toString(), dir, null, "lz4", "passphrase", passphrase,
                null, List.of());
        Repositories.create(s).close();
        KeyMaterial m = Repositories.keys(s);
        assertNotSame(passphrase, m.passphrase(), "the material takes a copy: the settings go on using theirs");
        m.wipe();
        assertArrayEquals(PASS, s.passphrase());
        Repositories.open(s).close();
        assertArrayEquals(PASS, s.passphrase(), "opening leaves the settings' passphrase alone");

        s.close();

        assertTrue(new String(passphrase).chars().allMatch(c -> c == 0), "closing the settings wipes their passphrase");
    }

    private static byte[] keep(List<byte[]> keks, PassphraseKdf kdf, char[] passphrase) {
        byte[] kek = kdf.derive(passphrase);
        keks.add(kek);
        return kek;
    }

    /** The arrays of {@code keys}' field {@code field} (a map of version to key): what it holds, not copies. */
    @SuppressWarnings("unchecked")
    private static List<byte[]> secretsOf(ObjectKeys keys, String field) throws ReflectiveOperationException {
        Field f = keys.getClass().getDeclaredField(field);
        f.setAccessible(true);
        return List.copyOf(((Map<Integer, byte[]>) f.get(keys)).values());
    }

    private static boolean allZero(byte[] b) {
        for (byte x : b) {
            if (x != 0) {
                return false;
            }
        }
        return true;
    }

    private static void assertClosed(Executable use) {
        WalvaultException e = assertThrows(WalvaultException.class, use);
        assertEquals(ErrorCode.INTERNAL, e.code());
        assertTrue(e.getMessage().contains("was closed"), e.getMessage());
    }
}
