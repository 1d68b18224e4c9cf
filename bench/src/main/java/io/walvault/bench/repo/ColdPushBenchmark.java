package io.walvault.bench.repo;

import io.walvault.core.compress.Compression;
import io.walvault.core.crypto.X25519Keys;
import io.walvault.core.repo.EncryptionMode;
import io.walvault.core.repo.KeyMaterial;
import io.walvault.core.repo.Repository;
import io.walvault.core.storage.memory.MemoryStorage;
import io.walvault.core.wal.WalFileName;
import io.walvault.testkit.WalSegments;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
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
 * One WAL push in a fresh JVM started the way bin/walvault starts it (serial GC, C1 only):
 * open a public-key repository (in memory) and push one 16 MiB segment through the whole chain.
 * What archive-push pays per segment beyond JVM start-up and the upload itself.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 0)
@Measurement(iterations = 1)
@Fork(value = 10, jvmArgsAppend = {"-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"})
public class ColdPushBenchmark {

    private MemoryStorage storage;
    private byte[] segment;

    @Setup
    public void setUp() throws IOException {
        String path = System.getProperty("walvault.bench.wal");
        if (path != null) {
            segment = Files.readAllBytes(Path.of(path));
        } else {
            segment = WalSegments.segment("000000010000000000000001", 16L * 1024 * 1024, 1, 1);
        }
        storage = new MemoryStorage();
        Repository.create(storage, new Repository.InitOptions(Compression.LZ4, EncryptionMode.PUBLIC_KEY, null,
                X25519Keys.publicKeyOf(X25519Keys.generatePrivateKey()), null));
    }

    @Benchmark
    public Object openAndPushOneSegment() throws IOException {
        Repository repo = Repository.open(storage, KeyMaterial.none());
        return repo.cluster(1).wal().put(WalFileName.parse("000000010000000000000001"), () -> new ByteArrayInputStream(segment));
    }
}
