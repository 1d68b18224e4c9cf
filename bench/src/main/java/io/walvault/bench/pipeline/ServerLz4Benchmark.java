package io.walvault.bench.pipeline;

import io.walvault.core.compress.Lz4DecompressStage;
import io.walvault.core.pipeline.Sink;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import net.jpountz.lz4.LZ4Compressor;
import net.jpountz.lz4.LZ4Factory;
import net.jpountz.xxhash.XXHashFactory;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Decoding the LZ4 frame a PostgreSQL 15+ server sends for {@code BASE_BACKUP ... COMPRESSION
 * 'lz4'} (linked blocks): 64 MiB of relation-file bytes, fed in 64 KiB writes as the replication
 * connection feeds them, on one thread (MB/s per core = 67.1 / (ms per op) * 1000). The input is
 * the first 64 MiB of {@code -Dwalvault.bench.relation=/path/to/relation/file} (a pgbench table's
 * file, say), else synthetic page-like data; it is compressed here, block by block, with the LZ4
 * library's fast compressor (what the server's default level does), into a frame that declares its
 * blocks linked, so that the decoder a backup uses is the one measured.
 *
 * <pre>
 *   java -Dwalvault.bench.relation=PGDATA/base/5/16398 -jar bench/target/benchmarks.jar ServerLz4Benchmark
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xmx1g"})
public class ServerLz4Benchmark {

    private static final int SIZE = 64 * 1024 * 1024;
    private static final int BLOCK = 64 * 1024;
    private static final int WRITE = 64 * 1024;

    private byte[] frame;

    @Setup
    public void setUp() throws IOException {
        frame = linkedFrame(input());
    }

    @Benchmark
    public long decode() throws IOException {
        NullSink out = new NullSink();
        try (Sink s = Lz4DecompressStage.acceptingLinkedBlocks(out, "archive 'base.tar.lz4'")) {
            for (int off = 0; off < frame.length; off += WRITE) {
                s.write(frame, off, Math.min(WRITE, frame.length - off));
            }
            s.finish();
        }
        return out.bytes;
    }

    private static byte[] input() {
        byte[] b = new byte[SIZE];
        String path = System.getProperty("walvault.bench.relation");
        if (path != null && !path.isEmpty()) {
            try (InputStream in = Files.newInputStream(Path.of(path))) {
                if (in.readNBytes(b, 0, SIZE) != SIZE) {
                    throw new IllegalArgumentException("'" + path + "' holds less than 64 MiB");
                }
                return b;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        // pages: a header, tuples of a few distinct shapes with a counter and random bytes, free space as zeros
        Random r = new Random(5);
        for (int page = 0; page < SIZE; page += 8192) {
            int used = 2000 + r.nextInt(6000);
            for (int i = 24; i < used; i += 120) {
                for (int k = 0; k < 120 && page + i + k < page + 8192; k++) {
                    b[page + i + k] = (byte) (k < 8 ? r.nextInt() : k < 100 ? ' ' : 'a' + (i / 120) % 7);
                }
            }
        }
        return b;
    }

    /** An LZ4 frame (version 01, linked blocks, no checksums, 64 KiB blocks) of {@code data}. */
    private static byte[] linkedFrame(byte[] data) {
        ByteArrayOutputStream f = new ByteArrayOutputStream();
        byte[] descriptor = {0x40, 0x40};
        int hc = (XXHashFactory.fastestInstance().hash32().hash(descriptor, 0, 2, 0) >> 8) & 0xFF;
        f.writeBytes(new byte[] {0x04, 0x22, 0x4D, 0x18, descriptor[0], descriptor[1], (byte) hc});
        LZ4Compressor c = LZ4Factory.fastestInstance().fastCompressor();
        for (int off = 0; off < data.length; off += BLOCK) {
            byte[] z = c.compress(data, off, Math.min(BLOCK, data.length - off));
            f.writeBytes(new byte[] {(byte) z.length, (byte) (z.length >>> 8), (byte) (z.length >>> 16), (byte) (z.length >>> 24)});
            f.writeBytes(z);
        }
        f.writeBytes(new byte[4]); // end mark
        return f.toByteArray();
    }
}
