package io.walvault.restore.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.walvault.core.compress.Compression;
import io.walvault.core.repo.BackupCatalog;
import io.walvault.core.repo.BackupInfo;
import io.walvault.core.repo.EncryptionMode;
import io.walvault.core.repo.Repository;
import io.walvault.core.storage.ForwardingStorage;
import io.walvault.core.storage.ObjectInfo;
import io.walvault.core.storage.memory.MemoryStorage;
import io.walvault.core.wal.TimelineId;
import io.walvault.core.wal.WalFileName;
import io.walvault.testkit.WalSegments;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** What a restore plans from: the backups judged and the WAL archive listed, side by side. */
class ClusterStateTest {

    private static final long SYSID = 7_400_000_000_000_000_042L;
    private static final long SEG = 16L << 20;

    @Test
    void theWalArchiveIsListedWhileTheBackupsAreJudgedAndAfterTheyAreListed() throws IOException {
        MemoryStorage memory = new MemoryStorage();
        // every commit record read waits until the WAL archive's listing is under way (or 10 s): judged first and
        // listed after, as before, each read would wait alone
        AtomicReference<CountDownLatch> walListed = new AtomicReference<>(new CountDownLatch(1));
        AtomicInteger alone = new AtomicInteger();
        // the WAL archive is listed after the backups are: it then holds every listed backup's WAL
        AtomicBoolean backupsListed = new AtomicBoolean();
        AtomicInteger walListedEarly = new AtomicInteger();
        ForwardingStorage probe = new ForwardingStorage(memory) {
            @Override
            public Stream<ObjectInfo> list(String prefix) {
                if (prefix.contains("/wal/")) {
                    if (!backupsListed.get()) {
                        walListedEarly.incrementAndGet();
                    }
                    walListed.get().countDown();
                }
                if (prefix.contains("/backups/")) {
                    // slow, so that a WAL listing started before this one ends would be seen
                    pause(300);
                    return super.list(prefix).onClose(() -> backupsListed.set(true));
                }
                return super.list(prefix);
            }

            @Override
            public InputStream newRead(String key, long offset, long length) {
                if (key.contains("/commit")) {
                    try {
                        if (!walListed.get().await(10, TimeUnit.SECONDS)) {
                            alone.incrementAndGet();
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
                return super.newRead(key, offset, length);
            }
        };
        Repository repo = Repository.create(probe, new Repository.InitOptions(Compression.LZ4, EncryptionMode.NONE, null, null,
                null));
        BackupCatalog catalog = repo.cluster(SYSID).backups();
        List<BackupInfo> written = List.of(CommittedBackups.add(catalog, SYSID, "20261121T063000Z", 2), CommittedBackups.add(catalog, SYSID, "20261122T063000Z", 4));
        for (int seg = 2; seg <= 6; seg++) {
            String name = String.format("0000000100000000%08X", seg);
            byte[] bytes = WalSegments.segment(name, SEG, SYSID, seg);
            repo.cluster(SYSID).wal().put(WalFileName.parse(name), () -> new ByteArrayInputStream(bytes));
        }
        String history = "1\t0/5000000\tno recovery target specified\n";
        repo.cluster(SYSID).wal().putHistory(TimelineId.of(2), history.getBytes(StandardCharsets.US_ASCII));
        backupsListed.set(false);
        walListedEarly.set(0);
        walListed.set(new CountDownLatch(1));

        ClusterState state = ClusterState.load(repo.cluster(SYSID));

        assertEquals(0, alone.get(), "commit records read before the WAL archive was listed");
        assertEquals(written, state.backups());
        for (int seg = 2; seg <= 6; seg++) {
            assertTrue(state.listing().segment(TimelineId.of(1), seg).isPresent(), "segment " + seg);
        }
        assertTrue(state.listing().segment(TimelineId.of(1), 7).isEmpty());
        assertTrue(state.listing().history(TimelineId.of(2)).isPresent(), "timeline 2's history read");
        assertEquals(0, walListedEarly.get(), "the WAL archive listed before the backups' listing ended");
    }

    private static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
