package io.walvault.core.repo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.walvault.core.compress.Compression;
import io.walvault.core.error.CorruptDataException;
import io.walvault.core.pipeline.Sink;
import io.walvault.core.storage.ObjectInfo;
import io.walvault.core.storage.memory.MemoryStorage;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Timing records: written as plain JSON in time order, pruned to the newest, read back as they were. */
class RecoveryTimingsTest {

    private final MemoryStorage storage = new MemoryStorage();
    private final Repository repo = Repository.create(storage, new Repository.InitOptions(Compression.LZ4,
            EncryptionMode.NONE, null, null, RepositoryTest.FAST_KDF));

    @Test
    void recordsReadBackNewestLastAndOnlyTheNewestAreKept() throws Exception {
        RecoveryTimings t = repo.cluster(RepositoryTest.SYSID).timings();
        Instant base = Instant.parse("2026-12-05T10:00:00Z");
        for (int i = 0; i < RecoveryTimings.KEEP + 5; i++) {
            t.record(i % 2 == 0 ? RecoveryTimings.Timing.restore(base.plusSeconds(i), 1000L * (i + 1), 2)
                    : RecoveryTimings.Timing.drill(base.plusSeconds(i), 500L * (i + 1), 4));
        }
        List<ObjectInfo> stored;
        try (var l = storage.list(RepositoryLayout.cluster(RepositoryTest.SYSID) + "timings/")) {
            stored = l.toList();
        }
        assertEquals(RecoveryTimings.KEEP, stored.size());
        List<RecoveryTimings.Timing> newest = t.newest(3);
        assertEquals(3, newest.size());
        int last = RecoveryTimings.KEEP + 4; // even: a restore
        assertEquals(base.plusSeconds(last).toString(), newest.get(2).at());
        assertEquals(1000L * (last + 1) / 2.0, newest.get(2).restoreRate());
        assertEquals(0, newest.get(2).replayRate());
        assertEquals(500L * last / 4.0, newest.get(1).replayRate());
        // plain JSON, readable without a key
        String json = new String(storage.newRead(stored.get(0).key()).readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(json.startsWith("{\"format\":1,\"kind\":"), json);
    }

    @Test
    void aDamagedRecordIsLeftOutOfTheEstimateAndAnUnknownFormatIsRefused() throws Exception {
        RecoveryTimings t = repo.cluster(RepositoryTest.SYSID).timings();
        t.record(RecoveryTimings.Timing.restore(Instant.parse("2026-12-05T10:00:00Z"), 1000, 1));
        try (Sink s = storage.newWrite(RepositoryLayout.cluster(RepositoryTest.SYSID) + "timings/20261205T100001Z-x.json")) {
            s.write("{\"format\":2}".getBytes(StandardCharsets.UTF_8));
            s.finish();
        }
        assertEquals(1, t.newest(5).size());
        assertThrows(CorruptDataException.class, () -> new RecoveryTimings.Timing(1, "backup", "2026-12-05T10:00:00Z", "h", 1, 1, 0, 0));
        assertThrows(CorruptDataException.class, () -> new RecoveryTimings.Timing(2, "drill", "2026-12-05T10:00:00Z", "h", 1, 1, 0, 0));
    }
}
