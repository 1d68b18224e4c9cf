package io.walvault.core.crypto;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertFalse;

import org.junit.jupiter.api.Test;

class GcmWarmUpTest {

    /** JCE refuses a second encryption under one key and nonce: each call of the warm-up must use its own. */
    @Test
    void encryptionWarmUpUsesANoncePerCall() {
        assertDoesNotThrow(() -> GcmWarmUp.run(GcmWarmUp.Direction.ENCRYPT));
    }

    /** Decryption must authenticate: a warm-up that decrypted garbage would fail on the tag. */
    @Test
    void decryptionWarmUpAuthenticatesWhatItDecrypts() {
        assertDoesNotThrow(() -> GcmWarmUp.run(GcmWarmUp.Direction.DECRYPT));
    }

    @Test
    void backgroundWarmUpEnds() throws InterruptedException {
        Thread t = GcmWarmUp.startInBackground(GcmWarmUp.Direction.DECRYPT, "test-warmup");
        t.join(60_000);
        assertFalse(t.isAlive());
    }
}
