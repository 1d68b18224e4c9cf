package io.walvault.bench.pipeline;

import io.walvault.core.compress.Lz4CompressStage;
import io.walvault.core.compress.Lz4DecompressStage;
import io.walvault.core.compress.ZstdCompressStage;
import io.walvault.core.compress.ZstdDecompressStage;
import io.walvault.core.crypto.AesGcmDecryptStage;
import io.walvault.core.crypto.AesGcmEncryptStage;
import io.walvault.core.crypto.RepositoryKeys;
import io.walvault.core.pipeline.DigestStage;
import io.walvault.core.pipeline.OutputStreamSink;
import io.walvault.core.pipeline.Sink;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Map;
import java.util.concurrent.TimeUnit;
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
 * One 16 MiB WAL segment through each stage alone and through the whole object chain, on one
 * thread (MB/s per core = 16.78 / (ms per op) * 1000). The stages are fed in 64 KiB writes, as
 * the archiver feeds them. docs/PERFORMANCE.md has the figures and the machine's own limits.
 *
 * <pre>
 *   java -jar bench/target/benchmarks.jar PipelineBenchmark -Dwalvault.bench.wal=/path/to/segment
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xmx1g"})
public class PipelineBenchmark {

    private static final int WRITE = 64 * 1024;
    private static final String KEY = "clusters/1/wal/00000001/0000000100000000/000000010000000000000001.lz4.enc";

    private byte[] wal;
    private byte[] compressed;
    private byte[] zstd;
    private byte[] encrypted;
    private byte[] chain;
    private RepositoryKeys keys;

    @Setup
    public void setUp() throws IOException {
        wal = WalInput.load();
        keys = new RepositoryKeys(Map.of(1, RepositoryKeys.generateKey()), 1);
        compressed = run(s -> new Lz4CompressStage(s), wal);
        zstd = run(s -> new ZstdCompressStage(s), wal);
        encrypted = run(s -> new AesGcmEncryptStage(s, keys, KEY), wal);
        chain = run(s -> new Lz4CompressStage(new AesGcmEncryptStage(s, keys, KEY), false), wal);
    }

    private interface Chain {
        Sink build(Sink next) throws IOException;
    }

    private static byte[] run(Chain c, byte[] in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        return collect(c.build(new OutputStreamSink(out, false)), in, out);
    }

    private static byte[] collect(Sink s, byte[] in) throws IOException {
        return collect(s, in, new ByteArrayOutputStream());
    }

    private static byte[] collect(Sink s, byte[] in, ByteArrayOutputStream out) throws IOException {
        push(s, in);
        return out.toByteArray();
    }

    private static void push(Sink s, byte[] in) throws IOException {
        try (s) {
            for (int off = 0; off < in.length; off += WRITE) {
                s.write(in, off, Math.min(WRITE, in.length - off));
            }
            s.finish();
        }
    }

    private static long through(Chain c, byte[] in) throws IOException {
        NullSink end = new NullSink();
        push(c.build(end), in);
        return end.bytes;
    }

    @Benchmark
    public long lz4Compress() throws IOException {
        return through(Lz4CompressStage::new, wal);
    }

    @Benchmark
    public long lz4Decompress() throws IOException {
        return through(s -> new Lz4DecompressStage(s, KEY), compressed);
    }

    @Benchmark
    public long zstdCompress() throws IOException {
        return through(ZstdCompressStage::new, wal);
    }

    @Benchmark
    public long zstdDecompress() throws IOException {
        return through(s -> new ZstdDecompressStage(s, KEY), zstd);
    }

    @Benchmark
    public long aesGcmEncrypt() throws IOException {
        return through(s -> new AesGcmEncryptStage(s, keys, KEY), wal);
    }

    @Benchmark
    public long aesGcmDecrypt() throws IOException {
        return through(s -> new AesGcmDecryptStage(s, keys, KEY), encrypted);
    }

    @Benchmark
    public long sha256() throws IOException {
        return through(DigestStage::new, wal);
    }

    /** The object chain as ObjectCodec builds it for bundles: LZ4, then AES-GCM. */
    @Benchmark
    public long chainWrite() throws IOException {
        return through(s -> new Lz4CompressStage(new AesGcmEncryptStage(s, keys, KEY), false), wal);
    }

    /** The chain WAL pushes use: the above after the plaintext SHA-256 (digest trailer, duplicate checks). */
    @Benchmark
    public long chainWriteWithPlainDigest() throws IOException {
        return through(s -> new DigestStage(new Lz4CompressStage(new AesGcmEncryptStage(s, keys, KEY), false)), wal);
    }

    /** The object chain of a zstd repository. */
    @Benchmark
    public long chainWriteZstd() throws IOException {
        return through(s -> new ZstdCompressStage(new AesGcmEncryptStage(s, keys, KEY), false), wal);
    }

    /** What archive-get and restore run: AES-GCM, then LZ4 (both verify their own checksums). */
    @Benchmark
    public long chainRead() throws IOException {
        return through(s -> new AesGcmDecryptStage(new Lz4DecompressStage(s, KEY), keys, KEY), chain);
    }
}
