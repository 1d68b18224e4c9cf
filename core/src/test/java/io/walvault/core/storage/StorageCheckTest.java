package io.walvault.core.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.walvault.core.pipeline.Sink;
import io.walvault.core.storage.memory.MemoryStorage;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class StorageCheckTest {

    @Test
    void aConformingStoragePassesEveryStep() {
        MemoryStorage m = new MemoryStorage();
        List<StorageCheck.Step> steps = new StorageCheck(m, m, 3L * 1024 * 1024).run();
        assertEquals(8, steps.size());
        steps.forEach(s -> assertTrue(s.ok(), s.toString()));
        try (Stream<ObjectInfo> l = m.list("")) {
            assertEquals(0, l.count(), "nothing left behind");
        }
    }

    @Test
    void aStorageThatOverwritesOnCreateFails() {
        MemoryStorage m = new MemoryStorage();
        Storage careless = new Storage() {
            @Override
            public java.io.InputStream newRead(String key, long offset, long length) {
                return m.newRead(key, offset, length);
            }

            @Override
            public Sink newWrite(String key, WriteMode mode) {
                return m.newWrite(key, WriteMode.OVERWRITE);
            }

            @Override
            public Optional<ObjectInfo> info(String key) {
                return m.info(key);
            }

            @Override
            public Stream<ObjectInfo> list(String prefix) {
                return m.list(prefix);
            }

            @Override
            public void remove(String key) {
                m.remove(key);
            }

            @Override
            public Set<StorageFeature> features() {
                return Set.of();
            }

            @Override
            public String location() {
                return "careless";
            }

            @Override
            public void close() {
            }
        };
        List<StorageCheck.Step> steps = new StorageCheck(careless, null, 1024 * 1024).run();
        StorageCheck.Step create = steps.stream().filter(s -> s.name().startsWith("create-if-absent")).findFirst().orElseThrow();
        assertFalse(create.ok());
        assertTrue(create.detail().contains("overwrote"), create.detail());
    }
}
