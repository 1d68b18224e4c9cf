package io.walvault.core.crypto;

/**
 * The repository keys an {@link AesGcmEncryptStage} wraps data keys with, and an
 * {@link AesGcmDecryptStage} unwraps them with: a versioned symmetric key
 * ({@link RepositoryKeys}, passphrase repositories) or versioned X25519 public keys with,
 * on hosts that restore, their private keys ({@link X25519Keys}).
 *
 * <p>Built once when a repository is opened and shared: implementations are immutable and
 * thread-safe. They never appear in logs ({@code toString} shows versions only).
 */
public sealed interface ObjectKeys permits RepositoryKeys, X25519Keys {

    /** The key version new objects are written with. */
    int currentVersion();

    /** The mode byte written in headers. */
    int mode();

    /** Whether objects can be decrypted (false on a public-key host without the private key). */
    boolean canDecrypt();

    /** Key material for a new object: fills {@code wrapInput} and returns (ikm, salt) for HKDF. */
    byte[][] newWrap(byte[] wrapInput);

    /**
     * Key material to unwrap an object written with {@code version} and {@code wrapInput}:
     * (ikm, salt) for HKDF. {@code objectKey} is for error messages only.
     */
    byte[][] unwrap(int version, byte[] wrapInput, String objectKey);
}
