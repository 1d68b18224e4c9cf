package io.walvault.core.storage;

import static java.util.Objects.requireNonNull;

import io.walvault.core.pipeline.Sink;
import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.util.Collection;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

/**
 * A storage that hands every call to another, for a subclass to watch or change the calls it is
 * about (a test holding a write, counting reads) and leave the rest as they are. The defaults of
 * {@link Storage} go to the other storage too (a batch removal, a name sync), so the wrapped
 * storage keeps its own behaviour. {@link #close} closes it.
 */
public abstract class ForwardingStorage implements Storage {

    private final Storage inner;

    protected ForwardingStorage(Storage inner) {
        this.inner = requireNonNull(inner, "inner is null");
    }

    @Override
    public InputStream newRead(String key, long offset, long length) {
        return inner.newRead(key, offset, length);
    }

    @Override
    public Sink newWrite(String key, WriteMode mode) {
        return inner.newWrite(key, mode);
    }

    @Override
    public Optional<ObjectInfo> info(String key) {
        return inner.info(key);
    }

    @Override
    public void syncName(String key) throws IOException {
        inner.syncName(key);
    }

    @Override
    public Stream<ObjectInfo> list(String prefix) {
        return inner.list(prefix);
    }

    @Override
    public Stream<String> listChildren(String prefix) {
        return inner.listChildren(prefix);
    }

    @Override
    public void remove(String key) {
        inner.remove(key);
    }

    @Override
    public void removeAll(Collection<String> keys) {
        inner.removeAll(keys);
    }

    @Override
    public AbandonedWrites removeAbandonedWrites(Instant untouchedSince, boolean dryRun) {
        return inner.removeAbandonedWrites(untouchedSince, dryRun);
    }

    @Override
    public void syncNames(String prefix) {
        inner.syncNames(prefix);
    }

    @Override
    public Set<StorageFeature> features() {
        return inner.features();
    }

    @Override
    public String location() {
        return inner.location();
    }

    @Override
    public void close() {
        inner.close();
    }
}
