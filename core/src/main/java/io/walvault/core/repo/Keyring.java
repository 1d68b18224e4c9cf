package io.walvault.core.repo;

import io.walvault.core.crypto.Crypto;
import io.walvault.core.crypto.ObjectKeys;
import io.walvault.core.crypto.PassphraseKdf;
import io.walvault.core.crypto.RepositoryKeys;
import io.walvault.core.crypto.X25519Keys;
import io.walvault.core.error.CorruptDataException;
import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;
import io.walvault.core.error.WrongKeyException;
import io.walvault.core.pipeline.Sink;
import io.walvault.core.storage.ObjectExistsException;
import io.walvault.core.storage.ObjectInfo;
import io.walvault.core.storage.ObjectNotFoundException;
import io.walvault.core.storage.Storage;
import io.walvault.core.storage.StorageErrors;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiFunction;
import java.util.stream.Stream;
import javax.crypto.AEADBadTagException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads, creates and rotates the keyring: {@code keyring/<version>.json}, the newest file
 * holding every version. Opening checks the key at once: a wrong passphrase fails to unseal the
 * keyring, a private key must match one of the repository's public keys.
 *
 * <p>Every secret made here is overwritten once used: the key-encryption key derived from a
 * passphrase as soon as the keyring is sealed or unsealed, the unsealed JSON at once, the
 * unsealed repository keys once the {@link RepositoryKeys} that are returned hold their copies
 * (or once a rotation has sealed them again). The passphrases and private keys come from the
 * caller's {@link KeyMaterial}, which the caller wipes.
 *
 * <p>Length: opening, creating and rotating share the sealing code and the rule that every secret
 * is overwritten once used; kept together so that each secret's lifetime can be checked in one
 * file.
 */
final class Keyring {

    private static final Logger LOG = LoggerFactory.getLogger(Keyring.class);

    private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
    private static final Base64.Decoder B64D = Base64.getUrlDecoder();

    private Keyring() {
    }

    private static byte[] aad(String repositoryId) {
        return ("walvault keyring v1 " + repositoryId).getBytes(StandardCharsets.US_ASCII);
    }

    /** The newest keyring file's version, or 0 if there is none. */
    static int newestVersion(Storage storage) {
        try (Stream<ObjectInfo> l = storage.list(RepositoryLayout.KEYRING_DIR)) {
            return l.map(i -> i.key().substring(RepositoryLayout.KEYRING_DIR.length()))
                    .filter(n -> n.matches("[0-9]{8}\\.json"))
                    .mapToInt(n -> Integer.parseInt(n.substring(0, 8)))
                    .max().orElse(0);
        }
    }

    /** Keyring version {@code v}, or empty when that file is not there (removed by a rotation or a retire). */
    static Optional<KeyringFile> readVersion(Storage storage, String repositoryId, int v) {
        String key = RepositoryLayout.keyring(v);
        try (InputStream in = storage.newRead(key)) {
            KeyringFile f = Json.read(in.readAllBytes(), KeyringFile.class, key);
            if (f.format() != 1 || !repositoryId.equals(f.repository()) || f.current() != v) {
                throw new CorruptDataException("object '" + key + "' is corrupt: it is not version " + v
                        + " of this repository's keyring");
            }
            return Optional.of(f);
        } catch (ObjectNotFoundException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw StorageErrors.failed("read", key, storage.location(), e);
        }
    }

    /** The versions of the keyring files present, newest first. */
    static List<Integer> versions(Storage storage) {
        try (Stream<ObjectInfo> l = storage.list(RepositoryLayout.KEYRING_DIR)) {
            return l.map(i -> i.key().substring(RepositoryLayout.KEYRING_DIR.length()))
                    .filter(n -> n.matches("[0-9]{8}\\.json"))
                    .map(n -> Integer.parseInt(n.substring(0, 8)))
                    .sorted(Comparator.reverseOrder()).toList();
        }
    }

    /** The newest keyring file. */
    static KeyringFile read(Storage storage, String repositoryId) {
        for (int attempt = 0; ; attempt++) {
            int v = newestVersion(storage);
            if (v == 0) {
                throw new CorruptDataException("repository '" + storage.location() + "' is encrypted but has no keyring"
                        + " ('" + RepositoryLayout.KEYRING_DIR + "' is empty)");
            }
            Optional<KeyringFile> f = readVersion(storage, repositoryId, v);
            if (f.isPresent()) {
                return f.get();
            }
            if (attempt >= 2) { // a rotation removes older files: list again, a few times
                throw new ObjectNotFoundException(RepositoryLayout.keyring(v), storage.location());
            }
        }
    }

    /** The keys for {@code descriptor}'s mode, checked against {@code material}; null when not encrypted. */
    static ObjectKeys open(Storage storage, RepositoryDescriptor d, KeyMaterial material) {
        EncryptionMode mode = d.encryptionMode();
        if (material.expectedMode() != null && material.expectedMode() != mode) {
            throw new WalvaultException(ErrorCode.ENCRYPTION_MISMATCH, "repository '" + storage.location()
                    + "' uses encryption '" + mode.id() + "' but '" + material.expectedMode().id() + "' is configured"
                    + " HINT: walvault never writes with another encryption than the repository's; fix the setting"
                    + " or the repository location");
        }
        if (mode == EncryptionMode.NONE) {
            if (material.hasAnyKey()) {
                throw new WalvaultException(ErrorCode.ENCRYPTION_MISMATCH, "repository '" + storage.location()
                        + "' is not encrypted but a key or passphrase was given"
                        + " HINT: walvault will not write unencrypted data for a configuration that expects encryption");
            }
            if (newestVersion(storage) != 0) {
                throw new WalvaultException(ErrorCode.ENCRYPTION_MISMATCH, "repository '" + storage.location()
                        + "' has a keyring but its descriptor says it is not encrypted; refusing to write"
                        + " HINT: the descriptor may have been altered; check '" + RepositoryLayout.DESCRIPTOR + "'");
            }
            return null;
        }
        KeyringFile f = read(storage, d.id());
        if (!mode.id().equals(f.mode())) {
            throw new CorruptDataException("object '" + RepositoryLayout.keyring(f.current()) + "' is corrupt: mode '"
                    + f.mode() + "' differs from the descriptor's '" + mode.id() + "'");
        }
        return mode == EncryptionMode.PASSPHRASE ? openPassphrase(storage, d, f, material) : openPublic(storage, f, material);
    }

    private static ObjectKeys openPassphrase(Storage storage, RepositoryDescriptor d, KeyringFile f, KeyMaterial m) {
        if (m.passphrase() == null) {
            throw new WalvaultException(ErrorCode.KEY_REQUIRED, "repository '" + storage.location()
                    + "' is encrypted with a passphrase and none was given"
                    + " HINT: set WALVAULT_PASSPHRASE or passphrase-file");
        }
        try {
            return keysOf(unseal(storage, d, f, m.passphrase()), f.current());
        } catch (WrongKeyException newest) {
            // after 'key rotate' to a new passphrase, the previous keyring files stay until 'key retire': the
            // old passphrase still opens them, and writes go on with the key version they hold, which every
            // holder of the new passphrase can read. So no archive_command fails between the two steps.
            for (int v : versions(storage)) {
                if (v >= f.current()) {
                    continue;
                }
                Optional<KeyringFile> older = readVersion(storage, d.id(), v);
                if (older.isEmpty()) {
                    continue;
                }
                try {
                    RepositoryKeys keys = keysOf(unseal(storage, d, older.get(), m.passphrase()), v);
                    LOG.warn("the passphrase given opens key version {} of repository '{}', not its newest, {}: writes use"
                            + " version {} until this configuration has the new passphrase (after that, 'walvault key"
                            + " retire' makes the old passphrase stop working)", v, storage.location(), f.current(), v);
                    return keys;
                } catch (WrongKeyException notThisOne) {
                    // try an older one
                }
            }
            throw newest;
        }
    }

    /** {@link RepositoryKeys} holding copies of {@code unsealed}, which is wiped. */
    private static RepositoryKeys keysOf(Map<Integer, byte[]> unsealed, int current) {
        try {
            return new RepositoryKeys(unsealed, current);
        } finally {
            wipe(unsealed);
        }
    }

    private static void wipe(Map<Integer, byte[]> keys) {
        keys.values().forEach(k -> Arrays.fill(k, (byte) 0));
    }

    /** The repository keys sealed in {@code f}, by version: the caller's, to wipe once used. */
    private static Map<Integer, byte[]> unseal(Storage storage, RepositoryDescriptor d, KeyringFile f, char[] passphrase) {
        return unseal(storage, d, f, passphrase, PassphraseKdf::derive);
    }

    /**
     * {@link #unseal(Storage, RepositoryDescriptor, KeyringFile, char[])} with the key-encryption
     * key from {@code deriveKek} (a test watches the array it returns being wiped).
     */
    static Map<Integer, byte[]> unseal(Storage storage, RepositoryDescriptor d, KeyringFile f, char[] passphrase,
                                       BiFunction<PassphraseKdf, char[], byte[]> deriveKek) {
        String key = RepositoryLayout.keyring(f.current());
        if (f.kdf() == null || f.sealed() == null || !"argon2id".equals(f.kdf().algorithm())) {
            throw new CorruptDataException("object '" + key + "' is corrupt: no argon2id parameters or sealed keys");
        }
        PassphraseKdf kdf;
        byte[] sealed;
        try {
            kdf = new PassphraseKdf(f.kdf().memoryKib(), f.kdf().iterations(), f.kdf().parallelism(), B64D.decode(f.kdf().salt()));
            sealed = B64D.decode(f.sealed());
        } catch (IllegalArgumentException e) {
            throw new CorruptDataException("object '" + key + "' is corrupt: " + e.getMessage(), e);
        }
        long deriving = System.nanoTime();
        byte[] kek = deriveKek.apply(kdf, passphrase);
        LOG.debug("derived the key that opens the keyring of repository '{}' from its passphrase ({}) in {} ms",
                storage.location(), kdf, (System.nanoTime() - deriving) / 1_000_000);
        byte[] plain;
        try {
            plain = Crypto.open(kek, sealed, aad(d.id()));
        } catch (AEADBadTagException e) {
            throw new WrongKeyException("the passphrase does not open repository '" + storage.location() + "'"
                    + " HINT: check WALVAULT_PASSPHRASE or the passphrase file; after 'key rotate' with a new passphrase"
                    + " only the new one works", e);
        } finally {
            Arrays.fill(kek, (byte) 0);
        }
        KeyringFile.Sealed s;
        try {
            s = Json.read(plain, KeyringFile.Sealed.class, key);
        } finally {
            Arrays.fill(plain, (byte) 0);
        }
        Map<Integer, byte[]> keys = new LinkedHashMap<>();
        for (KeyringFile.SecretKeyEntry e : s.keys()) {
            keys.put(e.version(), B64D.decode(e.key()));
        }
        return keys;
    }

    private static ObjectKeys openPublic(Storage storage, KeyringFile f, KeyMaterial m) {
        String key = RepositoryLayout.keyring(f.current());
        if (f.publicKeys() == null || f.publicKeys().isEmpty()) {
            throw new CorruptDataException("object '" + key + "' is corrupt: no public keys");
        }
        Map<Integer, byte[]> pubs = new LinkedHashMap<>();
        for (KeyringFile.PublicKeyEntry e : f.publicKeys()) {
            pubs.put(e.version(), B64D.decode(e.publicKey()));
        }
        int writeVersion = f.current();
        if (m.expectedPublicKey() != null && !Arrays.equals(m.expectedPublicKey(), pubs.get(f.current()))) {
            // an older key of the keyring, pinned by a host not yet told of the rotation: it keeps writing to it (safe: it
            // is the key that host trusts, and whoever restores holds the old private key too)
            for (Map.Entry<Integer, byte[]> e : pubs.entrySet()) {
                if (Arrays.equals(e.getValue(), m.expectedPublicKey())) {
                    writeVersion = e.getKey();
                }
            }
        }
        if (writeVersion != f.current()) {
            LOG.warn("repository '{}' now writes to key version {} ({}); this configuration pins version {} ({}) and keeps"
                    + " writing to it until its public key is updated", storage.location(), f.current(),
                    X25519Keys.fingerprint(pubs.get(f.current())), writeVersion, X25519Keys.fingerprint(pubs.get(writeVersion)));
        }
        if (m.expectedPublicKey() != null && !Arrays.equals(m.expectedPublicKey(), pubs.get(writeVersion))) {
            throw new WrongKeyException("repository '" + storage.location() + "' writes to public key "
                    + X25519Keys.fingerprint(pubs.get(f.current())) + " (version " + f.current() + "), not to the pinned key "
                    + X25519Keys.fingerprint(m.expectedPublicKey())
                    + " HINT: if the key was rotated, pin the new public key; otherwise the keyring may have been replaced");
        }
        Map<Integer, byte[]> privs = new LinkedHashMap<>();
        for (byte[] priv : m.privateKeys()) {
            byte[] pub = X25519Keys.publicKeyOf(priv);
            Integer version = null;
            for (Map.Entry<Integer, byte[]> e : pubs.entrySet()) {
                if (Arrays.equals(e.getValue(), pub)) {
                    version = e.getKey();
                }
            }
            if (version == null) {
                StringBuilder known = new StringBuilder();
                pubs.forEach((v, k) -> known.append(known.length() == 0 ? "" : ", ").append(v).append(": ")
                        .append(X25519Keys.fingerprint(k)));
                throw new WrongKeyException("the private key with public key " + X25519Keys.fingerprint(pub)
                        + " is not a key of repository '" + storage.location() + "' (its keys: " + known + ")"
                        + " HINT: pass the private key file made by 'walvault key generate' for this repository");
            }
            privs.put(version, priv);
        }
        return new X25519Keys(pubs, privs, writeVersion);
    }

    /** Writes version 1 of a new repository's keyring; returns its keys. */
    static ObjectKeys create(Storage storage, String repositoryId, EncryptionMode mode, char[] passphrase, byte[] publicKey,
                             PassphraseKdf kdf) {
        String now = Instant.now().toString();
        if (mode == EncryptionMode.PASSPHRASE) {
            Map<Integer, byte[]> k = Map.of(1, RepositoryKeys.generateKey());
            try {
                write(storage, sealedFile(repositoryId, 1,
                        List.of(new KeyringFile.SecretKeyEntry(1, B64.encodeToString(k.get(1)), now)), passphrase, kdf));
                return new RepositoryKeys(k, 1);
            } finally {
                wipe(k);
            }
        }
        write(storage, new KeyringFile(1, repositoryId, mode.id(), 1, null, null,
                List.of(new KeyringFile.PublicKeyEntry(1, B64.encodeToString(publicKey), now))));
        return new X25519Keys(Map.of(1, publicKey), Map.of(), 1);
    }

    private static KeyringFile sealedFile(String repositoryId, int current, List<KeyringFile.SecretKeyEntry> keys,
                                          char[] passphrase, PassphraseKdf kdf) {
        byte[] kek = kdf.derive(passphrase);
        byte[] plain = Json.write(new KeyringFile.Sealed(keys));
        try {
            byte[] sealed = Crypto.seal(kek, plain, aad(repositoryId));
            return new KeyringFile(1, repositoryId, EncryptionMode.PASSPHRASE.id(), current,
                    new KeyringFile.Kdf("argon2id", kdf.memoryKib(), kdf.iterations(), kdf.parallelism(),
                            B64.encodeToString(kdf.salt())),
                    B64.encodeToString(sealed), null);
        } finally {
            Arrays.fill(kek, (byte) 0);
            Arrays.fill(plain, (byte) 0);
        }
    }

    private static void write(Storage storage, KeyringFile f) {
        String key = RepositoryLayout.keyring(f.current());
        byte[] bytes = Json.write(f);
        try (Sink w = storage.newWrite(key)) {
            w.write(bytes, 0, bytes.length);
            w.finish();
        } catch (ObjectExistsException e) {
            throw new WalvaultException(ErrorCode.OBJECT_EXISTS, "key version " + f.current() + " of repository '"
                    + storage.location() + "' was just created by another 'walvault key rotate' or 'init'"
                    + " HINT: run the command again if another version is still wanted");
        } catch (IOException e) {
            throw StorageErrors.failed("write", key, storage.location(), e);
        }
    }

    /**
     * Adds key version {@code current + 1}: a new random key (passphrase mode; sealed under
     * {@code newPassphrase}, or the current one if null) or {@code newPublicKey}. The new keyring
     * file is created-if-absent (two concurrent rotations: one wins). With a new passphrase the
     * older keyring files stay, so that processes still configured with the old passphrase go on
     * working (with the older key version) until {@link #retire}; otherwise they are removed at
     * once. Returns the new version.
     */
    static int rotate(Storage storage, RepositoryDescriptor d, KeyMaterial material, char[] newPassphrase,
                      byte[] newPublicKey, PassphraseKdf kdf) {
        EncryptionMode mode = d.encryptionMode();
        KeyringFile f = read(storage, d.id());
        int next = f.current() + 1;
        String now = Instant.now().toString();
        if (mode == EncryptionMode.PASSPHRASE) {
            if (material.passphrase() == null) {
                throw new WalvaultException(ErrorCode.KEY_REQUIRED, "rotating the key of repository '" + storage.location()
                        + "' needs its current passphrase");
            }
            Map<Integer, byte[]> keys = new LinkedHashMap<>(unseal(storage, d, f, material.passphrase()));
            keys.put(next, RepositoryKeys.generateKey());
            try {
                List<KeyringFile.SecretKeyEntry> entries = new ArrayList<>();
                keys.forEach((v, k) -> entries.add(new KeyringFile.SecretKeyEntry(v, B64.encodeToString(k), now)));
                write(storage, sealedFile(d.id(), next, entries, newPassphrase != null ? newPassphrase : material.passphrase(),
                        kdf));
            } finally {
                wipe(keys);
            }
        } else if (mode == EncryptionMode.PUBLIC_KEY) {
            if (newPublicKey == null) {
                throw new WalvaultException(ErrorCode.USAGE, "rotating the key of a public-key repository needs the new"
                        + " public key HINT: make one with 'walvault key generate' and pass its public key file");
            }
            List<KeyringFile.PublicKeyEntry> entries = new ArrayList<>(f.publicKeys());
            for (KeyringFile.PublicKeyEntry e : entries) {
                if (Arrays.equals(B64D.decode(e.publicKey()), newPublicKey)) {
                    throw new WalvaultException(ErrorCode.USAGE, "that public key is already key version " + e.version()
                            + " of the repository HINT: generate a new key pair");
                }
            }
            entries.add(new KeyringFile.PublicKeyEntry(next, B64.encodeToString(newPublicKey), now));
            write(storage, new KeyringFile(1, d.id(), mode.id(), next, null, null, entries));
        } else {
            throw new WalvaultException(ErrorCode.ENCRYPTION_MISMATCH, "repository '" + storage.location()
                    + "' is not encrypted: there is no key to rotate");
        }
        boolean newSecret = mode == EncryptionMode.PASSPHRASE && newPassphrase != null
                && !Arrays.equals(newPassphrase, material.passphrase());
        if (!newSecret) {
            for (int v = 1; v < next; v++) {
                storage.remove(RepositoryLayout.keyring(v));
            }
        }
        return next;
    }

    /**
     * Removes every keyring file but the newest, once {@code material} (the new passphrase) is
     * checked to open it: from then on an older passphrase opens nothing. Returns the number of
     * files removed.
     */
    static int retire(Storage storage, RepositoryDescriptor d, KeyMaterial material) {
        KeyringFile f = read(storage, d.id());
        if (d.encryptionMode() == EncryptionMode.PASSPHRASE) {
            if (material.passphrase() == null) {
                throw new WalvaultException(ErrorCode.KEY_REQUIRED, "retiring old keys of repository '" + storage.location()
                        + "' needs its newest passphrase");
            }
            wipe(unseal(storage, d, f, material.passphrase())); // the newest passphrase, not an old one
        }
        int removed = 0;
        for (int v : versions(storage)) {
            if (v < f.current()) {
                storage.remove(RepositoryLayout.keyring(v));
                removed++;
            }
        }
        return removed;
    }
}
