package io.walvault.core.crypto;

import static java.util.Objects.requireNonNull;

import io.walvault.core.error.CorruptDataException;
import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;
import java.util.Arrays;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.bouncycastle.math.ec.rfc7748.X25519;

/**
 * Public-key repositories (like age's X25519 recipients): each version is an X25519 key pair
 * whose public half is in the repository and whose private half stays with whoever restores.
 * Writing needs only the current public key: each object gets an ephemeral key pair, and the
 * shared secret with the repository's public key wraps the data key. Reading needs the private
 * key of the version that wrote the object. Thread-safe; holds its own copies of the private
 * keys, until {@link #wipe}.
 */
public final class X25519Keys implements ObjectKeys {

    private final Map<Integer, byte[]> publicKeys;
    private final Map<Integer, byte[]> privateKeys;
    private final int current;
    private boolean wiped; // guarded by this

    /**
     * @param publicKeys  every version's public key, from the repository
     * @param privateKeys the private keys at hand (maybe none), checked against the public keys
     *                    (copied: the caller keeps, and wipes, its own arrays)
     */
    public X25519Keys(Map<Integer, byte[]> publicKeys, Map<Integer, byte[]> privateKeys, int current) {
        requireNonNull(publicKeys, "publicKeys is null");
        requireNonNull(privateKeys, "privateKeys is null");
        TreeMap<Integer, byte[]> pub = new TreeMap<>();
        publicKeys.forEach((v, k) -> pub.put(v, checkLength(k).clone()));
        TreeMap<Integer, byte[]> priv = new TreeMap<>();
        privateKeys.forEach((v, k) -> {
            byte[] expected = pub.get(v);
            if (expected == null || !Arrays.equals(expected, publicKeyOf(k))) {
                throw new IllegalArgumentException("private key for version " + v + " does not match its public key");
            }
            priv.put(v, k.clone());
        });
        if (!pub.containsKey(current)) {
            throw new IllegalArgumentException("current key version " + current + " has no public key");
        }
        this.publicKeys = pub;
        this.privateKeys = priv;
        this.current = current;
    }

    private static byte[] checkLength(byte[] k) {
        if (k.length != X25519.POINT_SIZE) {
            throw new IllegalArgumentException("an X25519 key is 32 bytes, not " + k.length);
        }
        return k;
    }

    /** A new private key (32 random bytes, clamped when used). */
    public static byte[] generatePrivateKey() {
        byte[] k = new byte[X25519.SCALAR_SIZE];
        X25519.generatePrivateKey(Crypto.RANDOM, k);
        return k;
    }

    /** The public key of {@code privateKey}. */
    public static byte[] publicKeyOf(byte[] privateKey) {
        checkLength(privateKey);
        byte[] pub = new byte[X25519.POINT_SIZE];
        X25519.generatePublicKey(privateKey, 0, pub, 0);
        return pub;
    }

    /** A short, stable fingerprint of a public key for messages (never the key itself for private ones). */
    public static String fingerprint(byte[] publicKey) {
        byte[] h = Crypto.hkdf(publicKey, new byte[0], "walvault key fingerprint".getBytes(), 8);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(h);
    }

    @Override
    public int currentVersion() {
        return current;
    }

    @Override
    public int mode() {
        return CryptoFormat.MODE_X25519;
    }

    @Override
    public boolean canDecrypt() {
        return !privateKeys.isEmpty();
    }

    @Override
    public byte[][] newWrap(byte[] wrapInput) {
        checkNotWiped();
        byte[] recipient = publicKeys.get(current);
        byte[] eph = generatePrivateKey();
        X25519.generatePublicKey(eph, 0, wrapInput, 0);
        byte[] shared = new byte[X25519.POINT_SIZE];
        boolean agreed = X25519.calculateAgreement(eph, 0, recipient, 0, shared, 0);
        Arrays.fill(eph, (byte) 0);
        if (!agreed) {
            throw new WalvaultException(ErrorCode.REPOSITORY_FORMAT, "the repository's public key version " + current
                    + " is a low-order point and cannot be used");
        }
        return new byte[][] {shared, concat(wrapInput, recipient)};
    }

    @Override
    public synchronized byte[][] unwrap(int version, byte[] wrapInput, String objectKey) {
        checkNotWiped();
        byte[] priv = privateKeys.get(version);
        byte[] pub = publicKeys.get(version);
        if (pub == null) {
            throw new CorruptDataException("object '" + objectKey + "' names public key version " + version
                    + ", which the repository does not have (versions " + publicKeys.keySet() + ")");
        }
        if (priv == null) {
            throw new WalvaultException(ErrorCode.KEY_REQUIRED, "object '" + objectKey + "' is encrypted to key version "
                    + version + " and no private key for that version was given"
                    + " HINT: pass the private key file(s) that hold key version " + version + " (fingerprint "
                    + fingerprint(pub) + ")");
        }
        byte[] shared = new byte[X25519.POINT_SIZE];
        if (!X25519.calculateAgreement(priv, 0, wrapInput, 0, shared, 0)) {
            throw new CorruptDataException("object '" + objectKey + "' is corrupt: its ephemeral public key is invalid");
        }
        return new byte[][] {shared, concat(wrapInput, pub)};
    }

    private synchronized void checkNotWiped() {
        if (wiped) {
            throw new IllegalStateException("the repository keys were wiped: the repository was closed");
        }
    }

    /** Writers of a public-key repository hold no secret to name chunks with: their backups are bundled whole. */
    @Override
    public Optional<byte[]> chunkIdKey() {
        checkNotWiped();
        return Optional.empty();
    }

    @Override
    public synchronized void wipe() {
        wiped = true;
        privateKeys.values().forEach(k -> Arrays.fill(k, (byte) 0));
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] r = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }

    @Override
    public String toString() {
        return "X25519Keys[versions=" + publicKeys.keySet() + ", private=" + privateKeys.keySet() + ", current=" + current + "]";
    }
}
