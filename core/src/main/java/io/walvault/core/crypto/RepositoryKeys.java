package io.walvault.core.crypto;

import static java.util.Objects.requireNonNull;

import io.walvault.core.error.CorruptDataException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Optional;
import java.util.Map;
import java.util.TreeMap;

/**
 * The versioned 256-bit repository keys of a passphrase repository (the keyring, opened with
 * the passphrase). Each object's data key is wrapped under HKDF(repository key, random salt).
 * Thread-safe; holds its own copies of the keys, until {@link #wipe}.
 */
public final class RepositoryKeys implements ObjectKeys {

    private static final byte[] CHUNK_ID_INFO = "walvault chunk id v1".getBytes(StandardCharsets.US_ASCII);

    private final Map<Integer, byte[]> keys;
    private final int current;
    private boolean wiped; // guarded by this

    /**
     * @param keys every version still readable (copied: the caller keeps, and wipes, its own
     *             arrays); {@code current} is used for new objects
     */
    public RepositoryKeys(Map<Integer, byte[]> keys, int current) {
        requireNonNull(keys, "keys is null");
        TreeMap<Integer, byte[]> copy = new TreeMap<>();
        keys.forEach((v, k) -> {
            if (k.length != CryptoFormat.KEY_SIZE) {
                throw new IllegalArgumentException("repository key version " + v + " is not 32 bytes");
            }
            copy.put(v, k.clone());
        });
        if (!copy.containsKey(current)) {
            throw new IllegalArgumentException("current key version " + current + " is not in the keyring");
        }
        this.keys = copy;
        this.current = current;
    }

    /** A new random repository key. */
    public static byte[] generateKey() {
        return Crypto.randomBytes(CryptoFormat.KEY_SIZE);
    }

    @Override
    public int currentVersion() {
        return current;
    }

    @Override
    public int mode() {
        return CryptoFormat.MODE_REPOSITORY_KEY;
    }

    @Override
    public boolean canDecrypt() {
        return true;
    }

    @Override
    public byte[][] newWrap(byte[] wrapInput) {
        Crypto.RANDOM.nextBytes(wrapInput);
        return new byte[][] {copyOf(current, null), wrapInput};
    }

    @Override
    public byte[][] unwrap(int version, byte[] wrapInput, String objectKey) {
        return new byte[][] {copyOf(version, objectKey), wrapInput};
    }

    /**
     * HKDF of the oldest key version: every writer holds that version (a keyring file holds its
     * version and all older ones), and a rotation leaves chunk names, and so deduplication, as
     * they were.
     */
    @Override
    public Optional<byte[]> chunkIdKey() {
        byte[] oldest = copyOf(keys.keySet().iterator().next(), null);
        try {
            return Optional.of(Crypto.hkdf(oldest, new byte[0], CHUNK_ID_INFO, CryptoFormat.KEY_SIZE));
        } finally {
            Arrays.fill(oldest, (byte) 0);
        }
    }

    /** A copy of key {@code version}: the caller wipes it after use, and a concurrent {@link #wipe} cannot tear it. */
    private synchronized byte[] copyOf(int version, String objectKey) {
        if (wiped) {
            throw new IllegalStateException("the repository keys were wiped: the repository was closed");
        }
        byte[] k = keys.get(version);
        if (k == null) {
            throw new CorruptDataException("object '" + objectKey + "' names repository key version " + version
                    + ", which the keyring does not hold (versions " + keys.keySet() + ")");
        }
        return k.clone();
    }

    @Override
    public synchronized void wipe() {
        wiped = true;
        keys.values().forEach(k -> Arrays.fill(k, (byte) 0));
    }

    @Override
    public String toString() {
        return "RepositoryKeys[versions=" + keys.keySet() + ", current=" + current + "]";
    }
}
