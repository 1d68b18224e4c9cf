package io.walvault.core.crypto;

import static java.util.Objects.requireNonNull;

import java.util.Arrays;
import org.bouncycastle.crypto.generators.Argon2BytesGenerator;
import org.bouncycastle.crypto.params.Argon2Parameters;

/**
 * Argon2id (RFC 9106) parameters, recorded with the keyring, and the derivation of the 256-bit
 * key that opens the keyring from a passphrase. Derived once per process when the repository is
 * opened; the result is never written anywhere.
 *
 * @param memoryKib   memory cost in KiB
 * @param iterations  time cost (passes over memory)
 * @param parallelism lanes
 * @param salt        16 or more random bytes
 */
public record PassphraseKdf(int memoryKib, int iterations, int parallelism, byte[] salt) {

    /**
     * The default: 19 MiB, 2 passes, 1 lane (the OWASP recommendation for Argon2id). A short-lived
     * archive-push process pays it once per segment in passphrase mode: with the 64 MiB, 3-pass
     * profile of RFC 9106 that was about 1 s in a C1-only JVM as bin/walvault starts it, with this
     * one about a fifth of that (docs/PERFORMANCE.md). Every guess at the passphrase costs as
     * much. The parameters are recorded in the keyring, so they can be raised later.
     */
    public static PassphraseKdf newDefault() {
        return new PassphraseKdf(19 * 1024, 2, 1, Crypto.randomBytes(16));
    }

    public PassphraseKdf {
        requireNonNull(salt, "salt is null");
        if (memoryKib < 8 * 1024 || memoryKib > 4 * 1024 * 1024) {
            throw new IllegalArgumentException("Argon2 memory " + memoryKib + " KiB is out of range (8 MiB to 4 GiB)");
        }
        if (iterations < 1 || iterations > 100) {
            throw new IllegalArgumentException("Argon2 iterations " + iterations + " out of range (1 to 100)");
        }
        if (parallelism < 1 || parallelism > 64) {
            throw new IllegalArgumentException("Argon2 parallelism " + parallelism + " out of range (1 to 64)");
        }
        if (salt.length < 16) {
            throw new IllegalArgumentException("Argon2 salt must be at least 16 bytes");
        }
        salt = salt.clone();
    }

    @Override
    public byte[] salt() {
        return salt.clone();
    }

    /** The 256-bit key for {@code passphrase}. */
    public byte[] derive(char[] passphrase) {
        requireNonNull(passphrase, "passphrase is null");
        Argon2BytesGenerator g = new Argon2BytesGenerator();
        g.init(new Argon2Parameters.Builder(Argon2Parameters.ARGON2_id)
                .withVersion(Argon2Parameters.ARGON2_VERSION_13)
                .withMemoryAsKB(memoryKib)
                .withIterations(iterations)
                .withParallelism(parallelism)
                .withSalt(salt)
                .build());
        byte[] out = new byte[CryptoFormat.KEY_SIZE];
        g.generateBytes(passphrase, out);
        return out;
    }

    @Override
    public String toString() {
        return "argon2id(m=" + memoryKib + "KiB, t=" + iterations + ", p=" + parallelism + ")";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PassphraseKdf k && k.memoryKib == memoryKib && k.iterations == iterations
                && k.parallelism == parallelism && Arrays.equals(k.salt, salt);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(salt);
    }
}
