package io.walvault.bench.wal;

import io.walvault.core.wal.Lsn;
import io.walvault.core.wal.WalRecordReader;
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
import org.openjdk.jmh.infra.Blackhole;

/**
 * The WAL record reader over one 16 MiB segment (page headers stripped, records assembled and
 * CRC-checked, commit times decoded): what restore planning pays per segment when it resolves
 * a time, xid or restore-point target. One segment per operation: MB/s = 16.78 × ops/s.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class WalRecordReaderBenchmark {

    private static final long SEG = 16L << 20;
    private byte[] segment;

    @Setup
    public void setup() {
        segment = SyntheticWal.segment(Lsn.of(SEG * 3), SEG, 42);
        int[] records = new int[1];
        WalRecordReader check = new WalRecordReader(Lsn.of(SEG * 3), SEG, r -> records[0]++);
        check.feed(segment, 0, segment.length);
        if (records[0] < 1000 || check.endOfWal().isEmpty()) {
            throw new IllegalStateException("synthetic WAL did not decode: " + records[0] + " records, end " + check.endOfWal());
        }
    }

    @Benchmark
    public void readSegment(Blackhole bh) {
        WalRecordReader reader = new WalRecordReader(Lsn.of(SEG * 3), SEG, r -> {
            if (r.isCommit()) {
                bh.consume(r.timestamp());
            }
        });
        for (int off = 0; off < segment.length; off += 1 << 16) {
            reader.feed(segment, off, 1 << 16);
        }
        bh.consume(reader.endOfWal());
    }
}
