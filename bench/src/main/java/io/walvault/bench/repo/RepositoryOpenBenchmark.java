package io.walvault.bench.repo;

import io.walvault.core.compress.Compression;
import io.walvault.core.crypto.PassphraseKdf;
import io.walvault.core.crypto.X25519Keys;
import io.walvault.core.repo.EncryptionMode;
import io.walvault.core.repo.KeyMaterial;
import io.walvault.core.repo.Repository;
import io.walvault.core.storage.memory.MemoryStorage;
import java.util.List;
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
 * What opening a repository costs a short-lived archive-push process, storage aside: the
 * passphrase derivation (Argon2id with the default parameters) and unsealing the keyring, or
 * checking a private key in public-key mode.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class RepositoryOpenBenchmark {

    private static final char[] PASS = "a passphrase for the benchmark".toCharArray();

    private MemoryStorage passphraseRepo;
    private MemoryStorage publicRepo;
    private byte[] privateKey;

    @Setup
    public void setUp() {
        passphraseRepo = new MemoryStorage("passphrase");
        Repository.create(passphraseRepo, new Repository.InitOptions(Compression.LZ4, EncryptionMode.PASSPHRASE,
                PASS.clone(), null, PassphraseKdf.newDefault()));
        privateKey = X25519Keys.generatePrivateKey();
        publicRepo = new MemoryStorage("public");
        Repository.create(publicRepo, new Repository.InitOptions(Compression.LZ4, EncryptionMode.PUBLIC_KEY, null,
                X25519Keys.publicKeyOf(privateKey), null));
    }

    @Benchmark
    public Object openWithPassphrase() {
        return Repository.open(passphraseRepo, KeyMaterial.passphrase(PASS.clone())).codec();
    }

    @Benchmark
    public Object openPublicKeyToWrite() {
        return Repository.open(publicRepo, KeyMaterial.none()).codec();
    }

    @Benchmark
    public Object openPublicKeyToRead() {
        return Repository.open(publicRepo, KeyMaterial.privateKeys(List.of(privateKey.clone()))).codec();
    }
}
