package io.walvault.core.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.walvault.core.error.CorruptDataException;
import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;
import io.walvault.core.pipeline.AbstractStageRoundTripTest;
import io.walvault.core.pipeline.OutputStreamSink;
import io.walvault.core.pipeline.Sink;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AesGcmPublicKeyRoundTripTest extends AbstractAesGcmRoundTripTest {
    final byte[] priv1 = X25519Keys.generatePrivateKey();
    final byte[] priv2 = X25519Keys.generatePrivateKey();
    final Map<Integer, byte[]> pubs = Map.of(1, X25519Keys.publicKeyOf(priv1), 2, X25519Keys.publicKeyOf(priv2));

    @Override
    ObjectKeys writeKeys() {
        return new X25519Keys(pubs, Map.of(), 2);
    }

    @Override
    ObjectKeys readKeys() {
        return new X25519Keys(pubs, Map.of(1, priv1, 2, priv2), 2);
    }

    @Test
    void writingNeedsOnlyThePublicKeyAndReadingNeedsThePrivateOne() throws IOException {
        byte[] enc = encode(random(5000, 18));
        X25519Keys publicOnly = new X25519Keys(pubs, Map.of(), 2);
        WalvaultException e = assertThrows(WalvaultException.class, () -> {
            try (Sink s = new AesGcmDecryptStage(new OutputStreamSink(new ByteArrayOutputStream(), false), publicOnly,
                    OBJECT)) {
                s.write(enc);
                s.finish();
            }
        });
        assertEquals(ErrorCode.KEY_REQUIRED, e.code());
        assertTrue(e.getMessage().contains("HINT:"), e.getMessage());
    }

    @Test
    void privateKeyThatDoesNotMatchIsRefusedUpFront() {
        assertThrows(IllegalArgumentException.class,
                () -> new X25519Keys(pubs, Map.of(1, X25519Keys.generatePrivateKey()), 2));
    }
}
