package io.walvault.core.storage.memory;

import static java.util.Objects.requireNonNull;

import io.walvault.core.pipeline.Sink;
import io.walvault.core.storage.ObjectExistsException;
import io.walvault.core.storage.ObjectInfo;
import io.walvault.core.storage.ObjectNotFoundException;
import io.walvault.core.storage.Storage;
import io.walvault.core.storage.StorageFeature;
import io.walvault.core.storage.StorageKeys;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.time.Instant;
import java.util.EnumSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.stream.Stream;

/**
 * A storage in the heap, for tests and benchmarks: the same contract as the others (objects
 * appear whole on finish, create-if-absent is atomic), with no durability. Objects are held in
 * memory, so it is no place for multi-GiB streams. Thread-safe.
 */
public final class MemoryStorage implements Storage {

    private record Entry(byte[] data, Instant modified) {
    }

    private final ConcurrentSkipListMap<String, Entry> objects = new ConcurrentSkipListMap<>();
    private final String name;

    public MemoryStorage() {
        this("test");
    }

    public MemoryStorage(String name) {
        this.name = requireNonNull(name, "name is null");
    }

    @Override
    public InputStream newRead(String key, long offset, long length) {
        StorageKeys.check(key);
        Entry e = objects.get(key);
        if (e == null) {
            throw new ObjectNotFoundException(key, location());
        }
        int from = (int) Math.min(offset, e.data.length);
        int n = (int) (length < 0 ? e.data.length - from : Math.min(length, e.data.length - from));
        return new ByteArrayInputStream(e.data, from, n);
    }

    @Override
    public Sink newWrite(String key, WriteMode mode) {
        StorageKeys.check(key);
        requireNonNull(mode, "mode is null");
        return new Sink() {
            private ByteArrayOutputStream buf = new ByteArrayOutputStream();

            @Override
            public void write(byte[] b, int off, int len) {
                if (buf == null) {
                    throw new IllegalStateException("write after finish or close");
                }
                buf.write(b, off, len);
            }

            @Override
            public void finish() {
                if (buf == null) {
                    throw new IllegalStateException("finish after finish or close");
                }
                Entry e = new Entry(buf.toByteArray(), Instant.now());
                buf = null;
                if (mode.createOnly()) {
                    if (objects.putIfAbsent(key, e) != null) {
                        throw new ObjectExistsException(key, location());
                    }
                } else {
                    objects.put(key, e);
                }
            }

            @Override
            public void close() {
                buf = null;
            }
        };
    }

    @Override
    public Optional<ObjectInfo> info(String key) {
        StorageKeys.check(key);
        Entry e = objects.get(key);
        return e == null ? Optional.empty() : Optional.of(new ObjectInfo(key, e.data.length, e.modified));
    }

    @Override
    public Stream<ObjectInfo> list(String prefix) {
        StorageKeys.checkPrefix(prefix);
        Map<String, Entry> tail = prefix.isEmpty() ? objects : objects.tailMap(prefix);
        return tail.entrySet().stream()
                .takeWhile(e -> e.getKey().startsWith(prefix))
                .map(e -> new ObjectInfo(e.getKey(), e.getValue().data.length, e.getValue().modified));
    }

    @Override
    public void remove(String key) {
        StorageKeys.check(key);
        objects.remove(key);
    }

    /** Replaces an object's bytes behind the contract's back: for tamper tests. */
    public void tamper(String key, byte[] data) {
        objects.put(key, new Entry(data.clone(), Instant.now()));
    }

    @Override
    public Set<StorageFeature> features() {
        return EnumSet.of(StorageFeature.ATOMIC_CREATE);
    }

    @Override
    public String location() {
        return "memory://" + name;
    }

    @Override
    public void close() {
        // nothing held but the map, which the garbage collector takes
    }
}
