package io.walvault.core.crypto;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import io.walvault.core.pipeline.DigestStage;
import io.walvault.core.pipeline.Sink;
import java.io.IOException;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Objects that end with the plaintext digest (WAL pushes): the same guarantees, plus the trailer's. */
class AesGcmDigestTrailerRoundTripTest extends AbstractAesGcmRoundTripTest {

    final RepositoryKeys keys = new RepositoryKeys(Map.of(1, RepositoryKeys.generateKey()), 1);

    @Override
    ObjectKeys writeKeys() {
        return keys;
    }

    @Override
    ObjectKeys readKeys() {
        return keys;
    }

    @Override
    int trailerSize() {
        return CryptoFormat.TRAILER_SIZE;
    }

    @Override
    protected Sink encoder(Sink next) throws IOException {
        DigestStage[] digest = new DigestStage[1];
        digest[0] = new DigestStage(new AesGcmEncryptStage(next, keys, OBJECT, () -> digest[0].digest()));
        return digest[0];
    }

    @Test
    void theTrailerIsThePlaintextDigestReadableWithoutTheKey() throws Exception {
        byte[] data = random(200_000, 21);
        byte[] enc = encode(data);
        byte[] trailer = CryptoFormat.digestTrailer(Arrays.copyOf(enc, H), Arrays.copyOfRange(enc, enc.length - 32, enc.length));
        assertArrayEquals(MessageDigest.getInstance("SHA-256").digest(data), trailer);
    }

    @Test
    void alteredTrailerIsDetected() throws IOException {
        byte[] enc = encode(random(200_000, 22));
        enc[enc.length - 1] ^= 1;
        assertCorrupt(enc);
    }

    @Test
    void lastSegmentOfFullSizeWithTrailer() throws IOException {
        roundTrip(random(2 * CryptoFormat.DEFAULT_SEGMENT_SIZE, 23));
        roundTrip(random(CryptoFormat.DEFAULT_SEGMENT_SIZE - 10, 24));
    }
}
