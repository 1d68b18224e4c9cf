package io.walvault.bench.protocol;

import io.walvault.core.tar.TarMember;
import io.walvault.core.tar.TarMemberHandler;
import io.walvault.core.tar.TarSplitter;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32C;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
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
import org.openjdk.jmh.infra.Blackhole;

/**
 * The tar splitter that turns BASE_BACKUP's stream into files, over a 64 MiB archive shaped
 * like a data directory (many 8 KiB files, some 1 MiB ones), fed in 128 KiB chunks as the
 * server sends them; {@code splitAndChecksum} adds the per-file CRC-32C the client computes for
 * the manifest check. MB/s = 67.1 × ops/s.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class TarSplitterBenchmark {

    private byte[] archive;

    @Setup
    public void setup() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(70 << 20);
        Random random = new Random(1);
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(bytes)) {
            long total = 0;
            int n = 0;
            while (total < 64L << 20) {
                int size = n % 20 == 0 ? 1 << 20 : 8192;
                byte[] content = new byte[size];
                random.nextBytes(content);
                TarArchiveEntry e = new TarArchiveEntry("base/5/" + (16384 + n));
                e.setSize(size);
                tar.putArchiveEntry(e);
                tar.write(content);
                tar.closeArchiveEntry();
                total += size;
                n++;
            }
        }
        archive = bytes.toByteArray();
    }

    @Benchmark
    public long split(Blackhole bh) {
        return feed(new TarMemberHandler() {
            @Override
            public void memberStarted(TarMember member) {
                bh.consume(member);
            }

            @Override
            public void memberData(ByteBuffer data) {
                bh.consume(data.remaining());
            }

            @Override
            public void memberEnded(TarMember member) {
                bh.consume(member);
            }
        });
    }

    @Benchmark
    public long splitAndChecksum(Blackhole bh) {
        CRC32C crc = new CRC32C();
        return feed(new TarMemberHandler() {
            @Override
            public void memberStarted(TarMember member) {
                crc.reset();
            }

            @Override
            public void memberData(ByteBuffer data) {
                crc.update(data);
            }

            @Override
            public void memberEnded(TarMember member) {
                bh.consume(crc.getValue());
            }
        });
    }

    private long feed(TarMemberHandler handler) {
        TarSplitter splitter = new TarSplitter(handler);
        int chunk = 128 << 10;
        for (int off = 0; off < archive.length; off += chunk) {
            splitter.write(ByteBuffer.wrap(archive, off, Math.min(chunk, archive.length - off)).asReadOnlyBuffer());
        }
        splitter.finish();
        return splitter.members();
    }
}
