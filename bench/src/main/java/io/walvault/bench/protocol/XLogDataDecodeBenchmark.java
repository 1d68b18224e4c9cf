package io.walvault.bench.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.walvault.core.replication.wire.MessageReader;
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
 * The strict decoder of the replication stream's CopyData payloads: 128 XLogData messages of
 * 128 KiB (16 MiB of WAL, the size walsenders send) decoded through the bounds-checked
 * {@link MessageReader}, payload sliced without copying: the per-message cost of the decoder, which
 * never touches the WAL bytes. Messages/s = 128 × ops/s.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class XLogDataDecodeBenchmark {

    private static final int PAYLOAD = 128 << 10;
    private ByteBuf[] messages;

    @Setup
    public void setup() {
        messages = new ByteBuf[128];
        for (int i = 0; i < messages.length; i++) {
            ByteBuf b = Unpooled.buffer(25 + PAYLOAD);
            b.writeByte('w');
            b.writeLong((long) i * PAYLOAD);
            b.writeLong((long) (i + 1) * PAYLOAD);
            b.writeLong(800_000_000_000_000L + i);
            b.writeZero(PAYLOAD);
            messages[i] = b;
        }
    }

    @Benchmark
    public void decode(Blackhole bh) {
        for (ByteBuf m : messages) {
            MessageReader r = new MessageReader(m.duplicate(), "XLogData");
            bh.consume(r.int8("type"));
            bh.consume(r.int64("dataStart"));
            bh.consume(r.int64("walEnd"));
            bh.consume(r.int64("sendTime"));
            bh.consume(r.slice(PAYLOAD, "data"));
        }
    }
}
