package io.walvault.core.crypto;

import static io.walvault.core.crypto.CryptoFormat.KEY_SIZE;
import static io.walvault.core.crypto.CryptoFormat.NONCE_SIZE;
import static io.walvault.core.crypto.CryptoFormat.TAG_SIZE;
import static java.util.Objects.requireNonNull;

import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;
import java.security.GeneralSecurityException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Has the JIT compile JCE's AES-GCM before bulk data arrives. A cold JVM runs GCM in plain Java
 * (GHASH without the carry-less multiply instruction, ~70-85 MB/s per core) until the callers of
 * the GHASH and AES intrinsics are compiled, which takes some thousand calls: with one call per
 * 64 KiB segment, as {@link AesGcmDecryptStage} makes, that is the first ~250 MB a process
 * decrypts. The warm-up makes those calls on 16 bytes with a throwaway key: ~12,000 of them,
 * ~90 ms of CPU on a cold JVM, after which 64 KiB segments go through at 3-4 GB/s from the first
 * one (Java 17, measured per direction on a cold JVM). Encryption and decryption are different
 * code paths in JCE, hence a warm-up per direction.
 *
 * <p>For processes about to move much data (backup, restore, verify, archive-get's follower):
 * they start it on a daemon thread of its own while they connect, plan or read manifests. No
 * effect on what is written or read. Thread-safe.
 */
public final class GcmWarmUp {

    /** Which of JCE's GCM paths to compile. */
    public enum Direction {
        ENCRYPT,
        DECRYPT
    }

    private static final int CALLS = 12_000;

    private GcmWarmUp() {
    }

    /** Runs the warm-up for {@code direction} on a new daemon thread named {@code threadName}; returns at once. */
    public static Thread startInBackground(Direction direction, String threadName) {
        requireNonNull(direction, "direction is null");
        Thread t = new Thread(() -> run(direction), requireNonNull(threadName, "threadName is null"));
        t.setDaemon(true);
        t.start();
        return t;
    }

    /** Runs the warm-up for {@code direction} on the calling thread. */
    public static void run(Direction direction) {
        try {
            SecretKeySpec key = new SecretKeySpec(Crypto.randomBytes(KEY_SIZE), "AES");
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            byte[] nonce = new byte[NONCE_SIZE];
            byte[] plain = new byte[16];
            byte[] sealed = new byte[16 + TAG_SIZE];
            if (direction == Direction.ENCRYPT) {
                for (int i = 0; i < CALLS; i++) {
                    CryptoFormat.putInt(nonce, NONCE_SIZE - 4, i); // a nonce per call: JCE refuses to encrypt twice under one
                    c.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(128, nonce));
                    int n = c.update(plain, 0, plain.length, sealed, 0);
                    c.doFinal(sealed, n);
                }
            } else {
                c.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(128, nonce));
                c.doFinal(plain, 0, plain.length, sealed, 0);
                for (int i = 0; i < CALLS; i++) {
                    c.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(128, nonce));
                    c.doFinal(sealed, 0, sealed.length, plain, 0);
                }
            }
        } catch (GeneralSecurityException e) {
            throw new WalvaultException(ErrorCode.INTERNAL, "AES-GCM is not available in this Java runtime", e);
        }
    }
}
