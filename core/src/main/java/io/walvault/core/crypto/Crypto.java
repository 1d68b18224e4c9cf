package io.walvault.core.crypto;

import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.generators.HKDFBytesGenerator;
import org.bouncycastle.crypto.params.HKDFParameters;

/** The primitives shared by this package: randomness, HKDF, one-shot AES-256-GCM. */
public final class Crypto {

    static final SecureRandom RANDOM = new SecureRandom();

    private Crypto() {
    }

    /** {@code n} random bytes from the platform's secure generator. */
    public static byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        RANDOM.nextBytes(b);
        return b;
    }

    /** HKDF-SHA256 (RFC 5869) of {@code length} bytes. */
    static byte[] hkdf(byte[] ikm, byte[] salt, byte[] info, int length) {
        HKDFBytesGenerator g = new HKDFBytesGenerator(new SHA256Digest());
        g.init(new HKDFParameters(ikm, salt, info));
        byte[] out = new byte[length];
        g.generateBytes(out, 0, length);
        return out;
    }

    /**
     * Seals {@code plaintext} with AES-256-GCM under {@code key}; the result is a random 12-byte
     * nonce followed by the ciphertext and tag. For small records (the keyring).
     */
    public static byte[] seal(byte[] key, byte[] plaintext, byte[] aad) {
        byte[] nonce = randomBytes(CryptoFormat.NONCE_SIZE);
        try {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"), new GCMParameterSpec(128, nonce));
            c.updateAAD(aad);
            byte[] ct = c.doFinal(plaintext);
            byte[] out = new byte[nonce.length + ct.length];
            System.arraycopy(nonce, 0, out, 0, nonce.length);
            System.arraycopy(ct, 0, out, nonce.length, ct.length);
            return out;
        } catch (GeneralSecurityException e) {
            throw new WalvaultException(ErrorCode.INTERNAL, "AES-GCM is not available in this Java runtime", e);
        }
    }

    /** Opens what {@link #seal} made; throws {@link AEADBadTagException} if key, data or aad differ. */
    public static byte[] open(byte[] key, byte[] sealed, byte[] aad) throws AEADBadTagException {
        if (sealed.length < CryptoFormat.NONCE_SIZE + CryptoFormat.TAG_SIZE) {
            throw new AEADBadTagException("sealed data too short");
        }
        try {
            Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
            c.init(Cipher.DECRYPT_MODE, new SecretKeySpec(key, "AES"),
                    new GCMParameterSpec(128, sealed, 0, CryptoFormat.NONCE_SIZE));
            c.updateAAD(aad);
            return c.doFinal(sealed, CryptoFormat.NONCE_SIZE, sealed.length - CryptoFormat.NONCE_SIZE);
        } catch (AEADBadTagException e) {
            throw e;
        } catch (GeneralSecurityException e) {
            throw new WalvaultException(ErrorCode.INTERNAL, "AES-GCM is not available in this Java runtime", e);
        }
    }
}
