package io.walvault.core.crypto;

import static java.util.Objects.requireNonNull;

import io.walvault.core.error.CorruptDataException;
import java.util.Map;
import java.util.TreeMap;

/**
 * The versioned 256-bit repository keys of a passphrase repository (the keyring, opened with
 * the passphrase). Each object's data key is wrapped under HKDF(repository key, random salt).
 * Immutable and thread-safe.
 */
public final class RepositoryKeys implements ObjectKeys {

    private final Map<Integer, byte[]> keys;
    private final int current;

    /** @param keys every version still readable; {@code current} is used for new objects */
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
        return new byte[][] {keys.get(current), wrapInput};
    }

    @Override
    public byte[][] unwrap(int version, byte[] wrapInput, String objectKey) {
        byte[] k = keys.get(version);
        if (k == null) {
            throw new CorruptDataException("object '" + objectKey + "' names repository key version " + version
                    + ", which the keyring does not hold (versions " + keys.keySet() + ")");
        }
        return new byte[][] {k, wrapInput};
    }

    @Override
    public String toString() {
        return "RepositoryKeys[versions=" + keys.keySet() + ", current=" + current + "]";
    }
}
