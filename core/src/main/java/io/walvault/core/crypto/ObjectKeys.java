package io.walvault.core.crypto;

import java.util.Optional;

/**
 * The repository keys an {@link AesGcmEncryptStage} wraps data keys with, and an
 * {@link AesGcmDecryptStage} unwraps them with: a versioned symmetric key
 * ({@link RepositoryKeys}, passphrase repositories) or versioned X25519 public keys with,
 * on hosts that restore, their private keys ({@link X25519Keys}).
 *
 * <p>Built once when a repository is opened and shared: implementations are thread-safe and
 * never change until {@link #wipe}. They never appear in logs ({@code toString} shows versions
 * only). They hold copies of the secrets they are given, and their owner (the open repository)
 * wipes them when it is closed.
 */
public sealed interface ObjectKeys permits RepositoryKeys, X25519Keys {

    /** The key version new objects are written with. */
    int currentVersion();

    /** The mode byte written in headers. */
    int mode();

    /** Whether objects can be decrypted (false on a public-key host without the private key). */
    boolean canDecrypt();

    /**
     * Key material for a new object: fills {@code wrapInput} and returns (ikm, salt) for HKDF.
     * The ikm is a copy or a fresh secret that the caller owns: it overwrites it once used.
     *
     * @throws IllegalStateException after {@link #wipe}
     */
    byte[][] newWrap(byte[] wrapInput);

    /**
     * Key material to unwrap an object written with {@code version} and {@code wrapInput}:
     * (ikm, salt) for HKDF, the ikm the caller's to overwrite once used. {@code objectKey} is for
     * error messages only.
     *
     * @throws IllegalStateException after {@link #wipe}
     */
    byte[][] unwrap(int version, byte[] wrapInput, String objectKey);

    /**
     * The secret that names a backup's chunks ({@code walvault chunk id v1}), the same for every
     * writer of the repository and every key version, or empty when this host cannot have it (a
     * public-key repository: writers hold no secret). The caller owns the copy and overwrites it.
     *
     * @throws IllegalStateException after {@link #wipe}
     */
    Optional<byte[]> chunkIdKey();

    /**
     * Overwrites the secret keys held (the repository keys, the private keys) with zeros. From
     * then on {@link #newWrap} and {@link #unwrap} fail: nothing can be written or read with
     * keys that are gone. Idempotent.
     */
    void wipe();
}
