package io.walvault.core.repo;

import java.util.Arrays;
import java.util.List;

/**
 * What the person or process opening a repository brings: a passphrase (passphrase mode), the
 * private keys it has (public-key mode; none on a host that only archives), and optionally the
 * public key it expects the repository to write to (pinning, so a repository whose keyring was
 * replaced is refused), and the encryption it expects (so a configured encryption is never
 * silently dropped). {@code toString} shows no secret.
 *
 * <p>The material takes the arrays it is given: its owner, whoever made it, calls {@link #wipe}
 * once it is no longer needed (a repository opened with it holds copies of what it keeps), and a
 * caller that keeps using an array of its own passes a copy. {@link #expecting} and
 * {@link #pinning} give a material that takes this one's arrays over: wipe that one.
 *
 * @param passphrase         or null
 * @param privateKeys        X25519 private keys (32 bytes each), maybe empty
 * @param expectedPublicKey  or null
 * @param expectedMode       or null: accept the repository's mode
 */
public record KeyMaterial(char[] passphrase, List<byte[]> privateKeys, byte[] expectedPublicKey,
                          EncryptionMode expectedMode) {

    public KeyMaterial {
        privateKeys = privateKeys == null ? List.of() : List.copyOf(privateKeys);
    }

    /** No key: an unencrypted repository, or a public-key one opened to write only. */
    public static KeyMaterial none() {
        return new KeyMaterial(null, List.of(), null, null);
    }

    public static KeyMaterial passphrase(char[] passphrase) {
        return new KeyMaterial(passphrase, List.of(), null, null);
    }

    public static KeyMaterial privateKeys(List<byte[]> keys) {
        return new KeyMaterial(null, keys, null, null);
    }

    public KeyMaterial expecting(EncryptionMode mode) {
        return new KeyMaterial(passphrase, privateKeys, expectedPublicKey, mode);
    }

    public KeyMaterial pinning(byte[] publicKey) {
        return new KeyMaterial(passphrase, privateKeys, publicKey, expectedMode);
    }

    boolean hasAnyKey() {
        return passphrase != null || !privateKeys.isEmpty() || expectedPublicKey != null;
    }

    /** Overwrites the passphrase and private keys in memory, with zeros; the material opens nothing after that. */
    public void wipe() {
        if (passphrase != null) {
            Arrays.fill(passphrase, '\0');
        }
        privateKeys.forEach(k -> Arrays.fill(k, (byte) 0));
    }

    @Override
    public String toString() {
        return "KeyMaterial[passphrase=" + (passphrase == null ? "no" : "yes") + ", privateKeys=" + privateKeys.size()
                + ", pinned=" + (expectedPublicKey != null) + ", expectedMode=" + expectedMode + "]";
    }

    @Override
    public boolean equals(Object o) {
        return this == o;
    }

    @Override
    public int hashCode() {
        return System.identityHashCode(this);
    }
}
