package io.walvault.core.repo;

import java.util.List;

/**
 * One keyring object, {@code keyring/<version>.json}: every key version up to {@code current}.
 * In passphrase mode the keys are in {@code sealed} (AES-256-GCM under the Argon2id-derived key,
 * which is also the key check: a wrong passphrase fails to open it); in public-key mode the
 * public keys are in {@code publicKeys} in the clear.
 */
record KeyringFile(int format, String repository, String mode, int current, Kdf kdf, String sealed,
                   List<PublicKeyEntry> publicKeys) {

    /** Argon2id parameters, with the salt in base64. */
    record Kdf(String algorithm, int memoryKib, int iterations, int parallelism, String salt) {
    }

    record PublicKeyEntry(int version, String publicKey, String created) {
    }

    /** The sealed part of a passphrase keyring. */
    record Sealed(List<SecretKeyEntry> keys) {
    }

    record SecretKeyEntry(int version, String key, String created) {
    }
}
