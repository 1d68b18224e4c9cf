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

class AesGcmRepositoryKeyRoundTripTest extends AbstractAesGcmRoundTripTest {
    final RepositoryKeys keys = new RepositoryKeys(Map.of(1, RepositoryKeys.generateKey(),
            2, RepositoryKeys.generateKey()), 2);

    @Override
    ObjectKeys writeKeys() {
        return keys;
    }

    @Override
    ObjectKeys readKeys() {
        return keys;
    }

    @Test
    void oldKeyVersionsStayReadableAfterRotation() throws IOException {
        byte[] k1 = RepositoryKeys.generateKey();
        RepositoryKeys before = new RepositoryKeys(Map.of(1, k1), 1);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (Sink s = new AesGcmEncryptStage(new OutputStreamSink(out, false), before, OBJECT)) {
            s.write(new byte[] {1, 2, 3});
            s.finish();
        }
        RepositoryKeys after = new RepositoryKeys(Map.of(1, k1, 2, RepositoryKeys.generateKey()), 2);
        ByteArrayOutputStream plain = new ByteArrayOutputStream();
        try (Sink s = new AesGcmDecryptStage(new OutputStreamSink(plain, false), after, OBJECT)) {
            s.write(out.toByteArray());
            s.finish();
        }
        assertArrayEquals(new byte[] {1, 2, 3}, plain.toByteArray());
    }

    @Test
    void anotherRepositoryKeyIsRefused() throws IOException {
        byte[] enc = encode(random(1000, 17));
        RepositoryKeys other = new RepositoryKeys(Map.of(2, RepositoryKeys.generateKey()), 2);
        assertThrows(CorruptDataException.class, () -> {
            try (Sink s = new AesGcmDecryptStage(new OutputStreamSink(new ByteArrayOutputStream(), false), other, OBJECT)) {
                s.write(enc);
                s.finish();
            }
        });
    }
}

