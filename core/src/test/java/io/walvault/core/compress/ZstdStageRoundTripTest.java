package io.walvault.core.compress;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.walvault.core.error.CorruptDataException;
import io.walvault.core.pipeline.AbstractStageRoundTripTest;
import io.walvault.core.pipeline.Sink;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ZstdStageRoundTripTest extends AbstractStageRoundTripTest {

    private static final Path ZSTD_CLI = Path.of("/usr/bin/zstd");

    @Override
    protected Sink encoder(Sink next) {
        return new ZstdCompressStage(next);
    }

    @Override
    protected Sink decoder(Sink next) {
        return new ZstdDecompressStage(next, OBJECT);
    }

    /**
     * Zstandard's frame header is not covered by its checksum: a flipped bit in the window
     * descriptor that only enlarges the window still decodes, and then to exactly the original
     * bytes (the content checksum verifies the output). So a header flip must be refused, or
     * decode to the original; never to anything else.
     */
    @Override
    @Test
    protected void bitFlipInTheHeaderIsDetected() throws IOException {
        byte[] data = random(1000, 5);
        byte[] enc = encode(data);
        for (int at = 0; at < 7; at++) {
            byte[] bad = enc.clone();
            bad[at] ^= 0x10;
            try {
                assertArrayEquals(data, decode(bad), "a header flip at byte " + at + " changed the output");
            } catch (CorruptDataException e) {
                assertTrue(e.getMessage().contains("'" + OBJECT + "'"), e.getMessage());
            }
        }
    }

    @Test
    void compressesWalLikeDataBetterThanLz4() throws IOException {
        byte[] data = walLike(4 * 1024 * 1024);
        int zstd = encode(data).length;
        java.io.ByteArrayOutputStream lz4 = new java.io.ByteArrayOutputStream();
        try (Sink s = new Lz4CompressStage(new io.walvault.core.pipeline.OutputStreamSink(lz4, false))) {
            s.write(data);
            s.finish();
        }
        assertTrue(zstd < lz4.size(), "zstd " + zstd + " vs lz4 " + lz4.size());
    }

    @Test
    void theZstdCommandReadsWhatWeWriteAndTheOtherWayRound(@TempDir Path dir) throws Exception {
        assumeTrue(Files.isExecutable(ZSTD_CLI), "zstd command not installed");
        byte[] data = walLike(3 * 1024 * 1024 + 17);
        Path ours = dir.resolve("ours.zst");
        Files.write(ours, encode(data));
        Path out = dir.resolve("ours");
        Process p = new ProcessBuilder(ZSTD_CLI.toString(), "-d", "-q", ours.toString(), "-o", out.toString())
                .redirectErrorStream(true).start();
        assertTrue(p.waitFor() == 0, new String(p.getInputStream().readAllBytes()));
        assertArrayEquals(data, Files.readAllBytes(out));

        Path plain = dir.resolve("plain");
        Files.write(plain, data);
        Path theirs = dir.resolve("theirs.zst");
        p = new ProcessBuilder(ZSTD_CLI.toString(), "-3", "-q", plain.toString(), "-o", theirs.toString())
                .redirectErrorStream(true).start();
        assertTrue(p.waitFor() == 0, new String(p.getInputStream().readAllBytes()));
        assertArrayEquals(data, decode(Files.readAllBytes(theirs), 7777));
    }
}
