package io.walvault.core.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.walvault.core.error.CorruptDataException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The round trip every encoder/decoder pair must pass: empty, one byte, random, compressible and
 * 16 MiB inputs, written in pieces of awkward sizes, plus the kinds of corruption every decoder
 * must detect. Subclasses add the corruptions specific to their format.
 */
public abstract class AbstractStageRoundTripTest {

    /** The key errors must name. */
    protected static final String OBJECT = "cluster/1234/wal/000000010000000000000001";

    protected abstract Sink encoder(Sink next) throws IOException;

    protected abstract Sink decoder(Sink next) throws IOException;

    protected byte[] encode(byte[] data) throws IOException {
        return encode(data, 65536);
    }

    protected byte[] encode(byte[] data, int chunk) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (Sink s = encoder(new OutputStreamSink(out, false))) {
            for (int off = 0; off < data.length; off += chunk) {
                s.write(data, off, Math.min(chunk, data.length - off));
            }
            s.finish();
        }
        return out.toByteArray();
    }

    protected byte[] decode(byte[] data) throws IOException {
        return decode(data, 65536);
    }

    protected byte[] decode(byte[] data, int chunk) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (Sink s = decoder(new OutputStreamSink(out, false))) {
            for (int off = 0; off < data.length; off += chunk) {
                s.write(data, off, Math.min(chunk, data.length - off));
            }
            s.finish();
        }
        return out.toByteArray();
    }

    protected void roundTrip(byte[] data) throws IOException {
        assertArrayEquals(data, decode(encode(data)));
    }

    protected static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    protected static byte[] compressible(int n) {
        byte[] text = "INSERT INTO t VALUES (42, 'walvault keeps every segment'); -- ".getBytes(StandardCharsets.US_ASCII);
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = text[i % text.length];
        }
        return b;
    }

    /** A 16 MiB WAL-like mix: compressible pages, random runs, zero tails. */
    protected static byte[] walLike(int n) {
        byte[] b = compressible(n);
        Random r = new Random(7);
        for (int page = 0; page + 8192 <= n; page += 8192) {
            int kind = r.nextInt(3);
            if (kind == 0) {
                byte[] rnd = new byte[4096];
                r.nextBytes(rnd);
                System.arraycopy(rnd, 0, b, page, rnd.length);
            } else if (kind == 1) {
                Arrays.fill(b, page + 2048, page + 8192, (byte) 0);
            }
        }
        return b;
    }

    protected void assertCorrupt(byte[] encoded) {
        CorruptDataException e = assertThrows(CorruptDataException.class, () -> decode(encoded));
        assertTrue(e.getMessage().contains("'" + OBJECT + "'"), "error names the object: " + e.getMessage());
    }

    @Test
    void empty() throws IOException {
        byte[] enc = encode(new byte[0]);
        assertTrue(enc.length > 0, "even an empty object has a header and a footer");
        assertArrayEquals(new byte[0], decode(enc));
    }

    @Test
    void oneByte() throws IOException {
        roundTrip(new byte[] {42});
    }

    @Test
    void randomInOddChunks() throws IOException {
        byte[] data = random(1_000_003, 1);
        assertArrayEquals(data, decode(encode(data, 7919), 4093));
    }

    @Test
    void byteAtATime() throws IOException {
        byte[] data = compressible(70_000);
        assertArrayEquals(data, decode(encode(data, 1), 1));
    }

    @Test
    void compressible() throws IOException {
        roundTrip(compressible(3_000_000));
    }

    @Test
    void sixteenMebibytes() throws IOException {
        byte[] data = walLike(16 * 1024 * 1024);
        assertArrayEquals(data, decode(encode(data, 1 << 20), 1 << 17));
    }

    @Test
    void exactMultiplesOfInternalBlocks() throws IOException {
        for (int n : new int[] {65536, 131072, 262144, 524288}) {
            roundTrip(random(n, n));
        }
    }

    @Test
    void truncatedByOneByteIsDetected() throws IOException {
        byte[] enc = encode(random(200_000, 2));
        assertCorrupt(Arrays.copyOf(enc, enc.length - 1));
    }

    @Test
    void truncatedToHalfIsDetected() throws IOException {
        byte[] enc = encode(compressible(500_000));
        assertCorrupt(Arrays.copyOf(enc, enc.length / 2));
    }

    @Test
    void truncatedToNothingIsDetected() {
        assertCorrupt(new byte[0]);
    }

    @Test
    void bitFlipAnywhereIsDetected() throws IOException {
        byte[] data = random(300_000, 3);
        byte[] enc = encode(data);
        Random r = new Random(4);
        for (int i = 0; i < 20; i++) {
            byte[] bad = enc.clone();
            int at = r.nextInt(bad.length);
            bad[at] ^= (byte) (1 << r.nextInt(8));
            assertCorrupt(bad);
        }
    }

    @Test
    protected void bitFlipInTheHeaderIsDetected() throws IOException {
        byte[] enc = encode(random(1000, 5));
        for (int at = 0; at < 7; at++) {
            byte[] bad = enc.clone();
            bad[at] ^= 0x10;
            assertCorrupt(bad);
        }
    }

    @Test
    void trailingBytesAreDetected() throws IOException {
        byte[] enc = encode(random(100_000, 6));
        byte[] longer = Arrays.copyOf(enc, enc.length + 1);
        assertCorrupt(longer);
        byte[] doubled = Arrays.copyOf(enc, enc.length * 2);
        System.arraycopy(enc, 0, doubled, enc.length, enc.length);
        assertCorrupt(doubled);
    }

    @Test
    void closingWithoutFinishDoesNotFinishTheNextSink() throws IOException {
        boolean[] finished = {false};
        Sink probe = new Sink() {
            @Override
            public void write(byte[] b, int off, int len) {
            }

            @Override
            public void finish() {
                finished[0] = true;
            }

            @Override
            public void close() {
            }
        };
        try (Sink s = encoder(probe)) {
            s.write(random(1000, 8));
        }
        assertEquals(false, finished[0]);
    }
}
