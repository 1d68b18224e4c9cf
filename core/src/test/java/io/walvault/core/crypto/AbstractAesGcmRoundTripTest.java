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

/** The segmented AES-256-GCM stream against every kind of tampering; one subclass per key mode. */
abstract class AbstractAesGcmRoundTripTest extends AbstractStageRoundTripTest {

    static final int SEG = CryptoFormat.DEFAULT_SEGMENT_SIZE + CryptoFormat.TAG_SIZE;
    static final int H = CryptoFormat.HEADER_SIZE;

    abstract ObjectKeys writeKeys();

    abstract ObjectKeys readKeys();

    /** The digest trailer's size, if the encoder writes one. */
    int trailerSize() {
        return 0;
    }

    @Override
    protected Sink encoder(Sink next) throws IOException {
        return new AesGcmEncryptStage(next, writeKeys(), OBJECT);
    }

    @Override
    protected Sink decoder(Sink next) {
        return new AesGcmDecryptStage(next, readKeys(), OBJECT);
    }

    byte[] decodeAs(byte[] enc, String key) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (Sink s = new AesGcmDecryptStage(new OutputStreamSink(out, false), readKeys(), key)) {
            s.write(enc);
            s.finish();
        }
        return out.toByteArray();
    }

    @Test
    void ciphertextHidesThePlaintextAndDiffersEachTime() throws IOException {
        byte[] data = compressible(200_000);
        byte[] a = encode(data);
        byte[] b = encode(data);
        assertTrue(!Arrays.equals(a, b), "fresh data key and nonce per object");
        assertEquals(H + 4 * 16 + data.length + trailerSize(), a.length, "header + one tag per segment (+ trailer)");
    }

    @Test
    void reorderedSegmentsAreDetected() throws IOException {
        byte[] enc = encode(random(3 * CryptoFormat.DEFAULT_SEGMENT_SIZE + 100, 11));
        byte[] bad = enc.clone();
        System.arraycopy(enc, H, bad, H + SEG, SEG);
        System.arraycopy(enc, H + SEG, bad, H, SEG);
        assertCorrupt(bad);
    }

    @Test
    void droppedWholeLastSegmentIsDetected() throws IOException {
        byte[] enc = encode(random(2 * CryptoFormat.DEFAULT_SEGMENT_SIZE + 100, 12));
        assertCorrupt(Arrays.copyOf(enc, H + 2 * SEG));
    }

    @Test
    void droppedMiddleSegmentIsDetected() throws IOException {
        byte[] enc = encode(random(3 * CryptoFormat.DEFAULT_SEGMENT_SIZE + 100, 13));
        byte[] bad = new byte[enc.length - SEG];
        System.arraycopy(enc, 0, bad, 0, H + SEG);
        System.arraycopy(enc, H + 2 * SEG, bad, H + SEG, enc.length - H - 2 * SEG);
        assertCorrupt(bad);
    }

    @Test
    void segmentSplicedFromAnotherObjectIsDetected() throws IOException {
        byte[] data = random(2 * CryptoFormat.DEFAULT_SEGMENT_SIZE, 14);
        byte[] a = encode(data);
        byte[] b = encode(data);
        byte[] bad = a.clone();
        System.arraycopy(b, H, bad, H, SEG);
        assertCorrupt(bad);
    }

    @Test
    void objectMovedToAnotherKeyIsDetected() throws IOException {
        byte[] enc = encode(random(1000, 15));
        assertArrayEquals(random(1000, 15), decodeAs(enc, OBJECT));
        CorruptDataException e = assertThrows(CorruptDataException.class,
                () -> decodeAs(enc, "cluster/1234/wal/000000010000000000000002"));
        assertTrue(e.getMessage().contains("000000010000000000000002"), e.getMessage());
        assertTrue(e.getMessage().contains("moved"), e.getMessage());
    }

    @Test
    void headerKeyVersionChangeIsDetected() throws IOException {
        byte[] enc = encode(random(1000, 16));
        enc[CryptoFormat.OFF_KEY_VERSION + 3] ^= 1;
        assertCorrupt(enc);
    }
}

