package io.walvault.core.compress;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.walvault.core.error.CorruptDataException;
import io.walvault.core.pipeline.OutputStreamSink;
import io.walvault.core.pipeline.Sink;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.Random;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;

/** gzip members as PostgreSQL's server-side gzip compression writes them (no optional header fields). */
class GzipDecompressStageTest {

    private static final String SUBJECT = "archive 'base.tar.gz' from the server";

    private static byte[] gzip(byte[] data) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        try (GZIPOutputStream z = new GZIPOutputStream(b)) {
            z.write(data);
        }
        return b.toByteArray();
    }

    private static byte[] decode(byte[] gz, int chunk) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (Sink s = new GzipDecompressStage(new OutputStreamSink(out, false), SUBJECT)) {
            for (int off = 0; off < gz.length; off += chunk) {
                s.write(gz, off, Math.min(chunk, gz.length - off));
            }
            s.finish();
        }
        return out.toByteArray();
    }

    private static byte[] data() {
        byte[] d = new byte[3_000_000];
        Random r = new Random(5);
        for (int i = 0; i < d.length; i++) {
            d[i] = (byte) (i % 8192 < 300 ? r.nextInt() : i % 7);
        }
        return d;
    }

    @Test
    void decodesInPiecesOfAnySize() throws IOException {
        byte[] d = data();
        byte[] gz = gzip(d);
        assertArrayEquals(d, decode(gz, 1));
        assertArrayEquals(d, decode(gz, 100_000));
        assertArrayEquals(new byte[0], decode(gzip(new byte[0]), 3));
    }

    @Test
    void damageTruncationAndTrailingBytesAreCorrupt() throws IOException {
        byte[] gz = gzip(data());
        byte[] flipped = gz.clone();
        flipped[gz.length / 2] ^= 0x10;
        byte[] badCrc = gz.clone();
        badCrc[gz.length - 6] ^= 1;
        byte[] badLength = gz.clone();
        badLength[gz.length - 2] ^= 1;
        byte[] trailing = Arrays.copyOf(gz, gz.length + 1);
        byte[] withName = gz.clone();
        withName[3] = 8; // FNAME: not what PostgreSQL writes
        for (byte[] bad : new byte[][] {flipped, badCrc, badLength, trailing, Arrays.copyOf(gz, gz.length - 3),
                Arrays.copyOf(gz, 5), withName, "not gzip at all".getBytes()}) {
            CorruptDataException e = assertThrows(CorruptDataException.class, () -> decode(bad, 4096));
            assertTrue(e.getMessage().startsWith(SUBJECT + " is corrupt: "), e.getMessage());
        }
    }
}
