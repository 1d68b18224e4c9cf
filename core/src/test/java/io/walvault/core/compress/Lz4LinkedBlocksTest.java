package io.walvault.core.compress;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.walvault.core.error.CorruptDataException;
import io.walvault.core.pipeline.OutputStreamSink;
import io.walvault.core.pipeline.Sink;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import net.jpountz.lz4.LZ4Compressor;
import net.jpountz.lz4.LZ4Factory;
import net.jpountz.xxhash.XXHashFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Frames of linked blocks, as PostgreSQL's server-side LZ4 compression writes them. */
class Lz4LinkedBlocksTest {

    private static final String SUBJECT = "archive 'base.tar.lz4' from the server";
    private static final int BLOCK = 64 * 1024;

    /** A frame header: version 01, linked blocks, no checksums, 64 KiB blocks. */
    private static void header(ByteArrayOutputStream f) {
        byte[] d = {0x40, 0x40};
        f.writeBytes(new byte[] {0x04, 0x22, 0x4D, 0x18, d[0], d[1]});
        f.write(Lz4Format.headerChecksum(XXHashFactory.safeInstance().hash32(), d, 0, 2));
    }

    private static void block(ByteArrayOutputStream f, byte[] b) {
        byte[] size = new byte[4];
        Lz4Format.putIntLE(size, 0, b.length);
        f.writeBytes(size);
        f.writeBytes(b);
    }

    /** A sequence's length nibble and its extra bytes. */
    private static void length(ByteArrayOutputStream b, int extra) {
        for (; extra >= 255; extra -= 255) {
            b.write(255);
        }
        b.write(extra);
    }

    /**
     * One block: {@code literal} bytes as literals, then a match of {@code match} bytes
     * {@code offset} back, then {@code tail} as the closing literals.
     */
    private static byte[] sequenceBlock(byte[] literal, int offset, int match, byte[] tail) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int lit = Math.min(literal.length, 15);
        int m = Math.min(match - 4, 15);
        b.write(lit << 4 | m);
        if (lit == 15) {
            length(b, literal.length - 15);
        }
        b.writeBytes(literal);
        b.write(offset & 0xFF);
        b.write(offset >>> 8);
        if (m == 15) {
            length(b, match - 4 - 15);
        }
        int t = Math.min(tail.length, 15);
        b.write(t << 4);
        if (t == 15) {
            length(b, tail.length - 15);
        }
        b.writeBytes(tail);
        return b.toByteArray();
    }

    private static byte[] decode(byte[] frame, int chunk) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (Sink s = Lz4DecompressStage.acceptingLinkedBlocks(new OutputStreamSink(out, false), SUBJECT)) {
            for (int off = 0; off < frame.length; off += chunk) {
                s.write(frame, off, Math.min(chunk, frame.length - off));
            }
            s.finish();
        }
        return out.toByteArray();
    }

    @Test
    void matchesReachIntoEarlierBlocksAcrossTheWindowsCompaction() throws IOException {
        Random r = new Random(7);
        ByteArrayOutputStream frame = new ByteArrayOutputStream();
        header(frame);
        // the reference: the same bytes written one at a time, each match copied byte by byte
        byte[] expected = new byte[20 * BLOCK];
        int n = 0;
        byte[] first = new byte[BLOCK - 1000];
        r.nextBytes(first);
        block(frame, literalsOnly(first));
        System.arraycopy(first, 0, expected, 0, first.length);
        n = first.length;
        for (int i = 0; i < 12; i++) {
            byte[] lit = new byte[1 + r.nextInt(100)];
            r.nextBytes(lit);
            int offset = i % 3 == 0 ? Math.min(65535, n) : i % 3 == 1 ? 1 + r.nextInt(8) : 100 + r.nextInt(60000);
            int match = 4 + r.nextInt(BLOCK - lit.length - 40);
            byte[] tail = new byte[1 + r.nextInt(20)];
            r.nextBytes(tail);
            block(frame, sequenceBlock(lit, offset, match, tail));
            System.arraycopy(lit, 0, expected, n, lit.length);
            n += lit.length;
            for (int k = 0; k < match; k++, n++) {
                expected[n] = expected[n - offset];
            }
            System.arraycopy(tail, 0, expected, n, tail.length);
            n += tail.length;
        }
        // a block stored uncompressed is history for the next one
        byte[] stored = new byte[5000];
        r.nextBytes(stored);
        byte[] size = new byte[4];
        Lz4Format.putIntLE(size, 0, stored.length | Lz4Format.BLOCK_UNCOMPRESSED);
        frame.writeBytes(size);
        frame.writeBytes(stored);
        System.arraycopy(stored, 0, expected, n, stored.length);
        n += stored.length;
        block(frame, sequenceBlock(new byte[] {1}, 4999, 4000, new byte[] {2}));
        expected[n++] = 1;
        for (int k = 0; k < 4000; k++, n++) {
            expected[n] = expected[n - 4999];
        }
        expected[n++] = 2;
        frame.writeBytes(new byte[4]); // end mark

        byte[] want = java.util.Arrays.copyOf(expected, n);
        assertArrayEquals(want, decode(frame.toByteArray(), 65536));
        assertArrayEquals(want, decode(frame.toByteArray(), 7));
    }

    private static byte[] literalsOnly(byte[] data) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.write(15 << 4);
        length(b, data.length - 15);
        b.writeBytes(data);
        return b.toByteArray();
    }

    @Test
    void aMatchBeforeTheFirstByteOrWithOffsetZeroIsCorrupt() {
        for (int offset : new int[] {0, 3}) {
            ByteArrayOutputStream frame = new ByteArrayOutputStream();
            header(frame);
            block(frame, sequenceBlock(new byte[] {1, 2}, offset, 10, new byte[] {3}));
            frame.writeBytes(new byte[4]);
            CorruptDataException e = assertThrows(CorruptDataException.class, () -> decode(frame.toByteArray(), 100));
            assertTrue(e.getMessage().startsWith(SUBJECT + " is corrupt: malformed LZ4 block"), e.getMessage());
        }
    }

    @Test
    void aBlockCutInsideASequenceIsCorrupt() {
        byte[] b = sequenceBlock(new byte[20], 10, 300, new byte[5]);
        ByteArrayOutputStream frame = new ByteArrayOutputStream();
        header(frame);
        block(frame, java.util.Arrays.copyOf(b, 23)); // ends inside the match's offset
        frame.writeBytes(new byte[4]);
        assertThrows(CorruptDataException.class, () -> decode(frame.toByteArray(), 100));
    }

    @Test
    void repositoryObjectsStillRefuseLinkedBlocks() {
        ByteArrayOutputStream frame = new ByteArrayOutputStream();
        header(frame);
        block(frame, literalsOnly(new byte[100]));
        frame.writeBytes(new byte[4]);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        CorruptDataException e = assertThrows(CorruptDataException.class, () -> {
            try (Sink s = new Lz4DecompressStage(new OutputStreamSink(out, false), "k")) {
                s.write(frame.toByteArray(), 0, frame.size());
                s.finish();
            }
        });
        assertTrue(e.getMessage().contains("linked blocks"), e.getMessage());
    }

    @Test
    void framesOfLinkedBlocksFromTheLz4CommandDecode(@TempDir Path dir) throws Exception {
        Path cli = Path.of("/usr/bin/lz4");
        assumeTrue(Files.isExecutable(cli), "lz4 command not installed");
        byte[] data = new byte[3 * 1024 * 1024];
        Random r = new Random(3);
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) (i % 8192 < 4000 ? r.nextInt(4) : i / 8192); // page-like: repeats across blocks
        }
        Path in = dir.resolve("x");
        Files.write(in, data);
        Path out = dir.resolve("x.lz4");
        Process p = new ProcessBuilder(cli.toString(), "-1", "-BD", "-B4", "-q", in.toString(), out.toString())
                .redirectErrorStream(true).start();
        assertTrue(p.waitFor() == 0, new String(p.getInputStream().readAllBytes()));
        assertArrayEquals(data, decode(Files.readAllBytes(out), 100_000));
    }

    /** Data of several shapes: random, page-like, short repeats (offsets below 8), long runs. */
    private static byte[] shaped(Random r, int shape, int size) {
        byte[] b = new byte[size];
        switch (shape) {
            case 0 -> r.nextBytes(b);
            case 1 -> {
                for (int i = 0; i < size; i++) {
                    b[i] = (byte) (i % 8192 < 3000 ? r.nextInt(6) : i % 97 == 0 ? r.nextInt() : 0);
                }
            }
            case 2 -> {
                for (int i = 0; i < size; ) {
                    int period = 1 + r.nextInt(12);
                    int run = 4 + r.nextInt(40);
                    for (int k = 0; k < run && i < size; k++, i++) {
                        b[i] = (byte) (k < period ? r.nextInt() : b[i - period]);
                    }
                }
            }
            default -> {
                for (int i = 0; i < size; i++) {
                    b[i] = (byte) (r.nextInt(100) < 3 ? r.nextInt() : i / 3000);
                }
            }
        }
        return b;
    }

    @Test
    void decodesWhatTheLz4LibraryWritesAndWritesNothingPastTheBlock() {
        Random r = new Random(11);
        LZ4Factory f = LZ4Factory.safeInstance();
        for (int i = 0; i < 400; i++) {
            byte[] data = shaped(r, i % 4, 1 + r.nextInt(i % 10 == 0 ? 300_000 : 3000));
            LZ4Compressor c = i % 3 == 0 ? f.highCompressor() : f.fastCompressor();
            byte[] z = c.compress(data);
            // the block decoded at an offset of a larger array, with sentinels on both sides
            byte[] dst = new byte[data.length + 64];
            java.util.Arrays.fill(dst, (byte) 0x5A);
            int n = Lz4LinkedBlocks.decode(z, 0, z.length, dst, 16, data.length, 16);
            assertEquals(data.length, n);
            assertArrayEquals(data, java.util.Arrays.copyOfRange(dst, 16, 16 + n), "shape " + i % 4);
            for (int k = 0; k < 16; k++) {
                assertEquals((byte) 0x5A, dst[k], "written before the block");
                assertEquals((byte) 0x5A, dst[16 + data.length + k], "written past the block's maximum size");
            }
        }
    }

    @Test
    void aDamagedBlockIsRefusedAsCorruptNeverWithAnotherError() {
        Random r = new Random(13);
        LZ4Compressor c = LZ4Factory.safeInstance().fastCompressor();
        int refused = 0;
        for (int i = 0; i < 3000; i++) {
            byte[] data = shaped(r, i % 4, 1 + r.nextInt(5000));
            byte[] z = c.compress(data);
            for (int k = 1 + r.nextInt(3); k > 0; k--) {
                z[r.nextInt(z.length)] = (byte) r.nextInt();
            }
            int len = r.nextInt(4) == 0 ? r.nextInt(z.length) + 1 : z.length;
            byte[] dst = new byte[data.length + 32];
            try {
                int n = Lz4LinkedBlocks.decode(z, 0, len, dst, 0, data.length, 0);
                assertTrue(n <= data.length);
            } catch (CorruptDataException e) {
                assertTrue(e.getMessage().startsWith("malformed LZ4 block ("), e.getMessage());
                refused++;
            }
            for (int k = data.length; k < dst.length; k++) {
                assertEquals(0, dst[k], "written past the block's maximum size");
            }
        }
        assertTrue(refused > 500, "only " + refused + " damaged blocks refused");
    }
}
