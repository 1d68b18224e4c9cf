package io.walvault.core.compress;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.walvault.core.pipeline.AbstractStageRoundTripTest;
import io.walvault.core.pipeline.Sink;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class Lz4StageRoundTripTest extends AbstractStageRoundTripTest {

    private static final Path LZ4_CLI = Path.of("/usr/bin/lz4");

    @Override
    protected Sink encoder(Sink next) {
        return new Lz4CompressStage(next);
    }

    @Override
    protected Sink decoder(Sink next) {
        return new Lz4DecompressStage(next, OBJECT);
    }

    @Test
    void compressesCompressibleData() throws IOException {
        byte[] data = compressible(4_000_000);
        assertTrue(encode(data).length < data.length / 10);
    }

    @Test
    void incompressibleDataGrowsOnlyByFraming() throws IOException {
        byte[] data = random(4 * 262144, 9);
        assertTrue(encode(data).length <= data.length + 7 + 4 * 4 + 8);
    }

    @Test
    void endMarkMissingIsDetected() throws IOException {
        byte[] enc = encode(random(1000, 10));
        assertCorrupt(Arrays.copyOf(enc, enc.length - 8));
    }

    @Test
    void notAnLz4FrameIsDetected() {
        assertCorrupt("hello, this is not lz4".getBytes());
    }

    @Test
    void oversizedBlockIsDetected() throws IOException {
        byte[] enc = encode(compressible(1000));
        // first block size field right after the 7-byte header: claim 1 MiB in a 256 KiB frame
        Lz4Format.putIntLE(enc, 7, 1 << 20);
        assertCorrupt(enc);
    }

    /** The frame encrypted objects use: the same blocks, no content checksum (AES-GCM checks every byte). */
    private static byte[] encodeWithoutChecksum(byte[] data, int chunk) throws IOException {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        try (Sink s = new Lz4CompressStage(new io.walvault.core.pipeline.OutputStreamSink(out, false), false)) {
            for (int off = 0; off < data.length; off += chunk) {
                s.write(data, off, Math.min(chunk, data.length - off));
            }
            s.finish();
        }
        return out.toByteArray();
    }

    @Test
    void framesWithoutAContentChecksumRoundTripAndSayTheyHaveNone() throws IOException {
        for (byte[] data : new byte[][] {new byte[0], new byte[] {7}, random(300_001, 11), walLike(16 << 20)}) {
            byte[] with = encode(data, 65536);
            byte[] without = encodeWithoutChecksum(data, 4099);
            assertEquals(0, without[4] & Lz4Format.FLG_CONTENT_CHECKSUM, "content checksum flag");
            assertEquals(with.length - Lz4Format.CHECKSUM_SIZE, without.length, "the same frame less the checksum");
            assertArrayEquals(data, decode(without, 777));
        }
        byte[] enc = encodeWithoutChecksum(random(1000, 12), 100);
        assertCorrupt(Arrays.copyOf(enc, enc.length - 4)); // end mark missing: still detected
    }

    @Test
    void theLz4CommandReadsWhatWeWrite(@TempDir Path dir) throws Exception {
        assumeTrue(Files.isExecutable(LZ4_CLI), "lz4 command not installed");
        byte[] data = walLike(3 * 1024 * 1024 + 17);
        for (byte[] frame : new byte[][] {encode(data), encodeWithoutChecksum(data, 65536)}) {
            Path in = dir.resolve("x.lz4");
            Files.write(in, frame);
            Path out = dir.resolve("x");
            Files.deleteIfExists(out);
            Process p = new ProcessBuilder(LZ4_CLI.toString(), "-d", "-q", in.toString(), out.toString())
                    .redirectErrorStream(true).start();
            assertTrue(p.waitFor() == 0, new String(p.getInputStream().readAllBytes()));
            assertArrayEquals(data, Files.readAllBytes(out));
        }
    }

    @Test
    void weReadWhatTheLz4CommandWrites(@TempDir Path dir) throws Exception {
        assumeTrue(Files.isExecutable(LZ4_CLI), "lz4 command not installed");
        byte[] data = walLike(5 * 1024 * 1024 + 3);
        Path in = dir.resolve("x");
        Files.write(in, data);
        for (String[] opts : new String[][] {{"-1"}, {"-9", "-B4", "--content-size", "-BX"}}) {
            Path out = dir.resolve("x" + opts.length + ".lz4");
            String[] cmd = new String[opts.length + 4];
            cmd[0] = LZ4_CLI.toString();
            System.arraycopy(opts, 0, cmd, 1, opts.length);
            cmd[opts.length + 1] = "-q";
            cmd[opts.length + 2] = in.toString();
            cmd[opts.length + 3] = out.toString();
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            assertTrue(p.waitFor() == 0, new String(p.getInputStream().readAllBytes()));
            assertArrayEquals(data, decode(Files.readAllBytes(out), 12345));
        }
    }
}
