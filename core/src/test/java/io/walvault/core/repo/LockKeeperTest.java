package io.walvault.core.repo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.walvault.core.compress.Compression;
import io.walvault.core.crypto.PassphraseKdf;
import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;
import io.walvault.core.storage.memory.MemoryStorage;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/**
 * {@link LockKeeper}: the heartbeat on a schedule (a real lock on {@link MemoryStorage}, a short
 * interval) and the decision when a lock is lost (a fake clock, heartbeats driven one by one).
 */
class LockKeeperTest {

    private static final long SYSID = 7_400_000_000_000_000_001L;
    private static final Duration SECOND = Duration.ofSeconds(1);

    private final MemoryStorage storage = new MemoryStorage();
    private final String key = RepositoryLayout.lock(SYSID, "backup");

    private ClusterCatalog cluster() {
        Repository repo = Repository.create(storage, new Repository.InitOptions(Compression.LZ4, EncryptionMode.NONE, null, null,
                new PassphraseKdf(8 * 1024, 1, 1, new byte[16])));
        return repo.cluster(SYSID);
    }

    private RepositoryLock.Holder holder() throws IOException {
        try (InputStream in = storage.newRead(key, 0, -1)) {
            return Json.read(in.readAllBytes(), RepositoryLock.Holder.class, key);
        }
    }

    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!condition.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, what);
            Thread.sleep(10);
        }
    }

    @Test
    void refreshesTheHeartbeatOnItsScheduleAndReleasesTheLockOnClose() throws Exception {
        ClusterCatalog c = cluster();
        List<WalvaultException> lost = new CopyOnWriteArrayList<>();
        try (LockKeeper keeper = LockKeeper.acquire(c, "backup", new LockKeeper.Timing(Duration.ofMinutes(10), Duration.ofMillis(50)),
                lost::add)) {
            String first = holder().heartbeat();
            assertThrows(LockHeldException.class, () -> c.lock("backup", Duration.ofMinutes(10)), "the keeper holds it");
            await(() -> {
                try {
                    return Instant.parse(holder().heartbeat()).isAfter(Instant.parse(first));
                } catch (IOException e) {
                    throw new AssertionError(e);
                }
            }, "the heartbeat was refreshed");
            assertEquals(ProcessHandle.current().pid(), holder().pid());
            keeper.checkHeld();
            assertNull(keeper.lostBecause());
        }
        assertTrue(storage.info(key).isEmpty(), "released on close");
        assertEquals(List.of(), lost);
    }

    @Test
    void aLockTakenOverIsReportedOnceAndLeftToItsNewHolder() throws Exception {
        ClusterCatalog c = cluster();
        List<WalvaultException> lost = new CopyOnWriteArrayList<>();
        LockKeeper keeper = LockKeeper.acquire(c, "backup", new LockKeeper.Timing(Duration.ofMinutes(10), Duration.ofMillis(30)),
                lost::add);
        String now = Instant.now().toString();
        byte[] thief = Json.write(new RepositoryLock.Holder("thief", "elsewhere", 1, now, now));
        storage.tamper(key, thief);
        await(() -> !lost.isEmpty(), "the take-over was noticed");
        Thread.sleep(200); // several more heartbeats: none refreshes, none reports again
        assertEquals(1, lost.size());
        assertTrue(lost.get(0) instanceof LockHeldException, lost.get(0).toString());
        assertEquals(ErrorCode.LOCK_HELD, lost.get(0).code());
        assertTrue(lost.get(0).getMessage().contains("elsewhere"), lost.get(0).getMessage());
        assertSame(lost.get(0), keeper.lostBecause());
        assertSame(lost.get(0), assertThrows(LockHeldException.class, keeper::checkHeld));
        keeper.close();
        try (InputStream in = storage.newRead(key, 0, -1)) {
            assertArrayEquals(thief, in.readAllBytes(), "the new holder's lock is neither refreshed nor removed");
        }
    }

    /** A stand-in lock whose refreshes fail while {@code failing} is set. */
    private static final class FakeLock implements LockKeeper.Held {
        boolean failing;
        boolean takenOver;
        int refreshes;
        int releases;

        @Override
        public void refresh() {
            refreshes++;
            if (takenOver) {
                throw new LockHeldException("lock 'backup' is held by process 1 on 'elsewhere'");
            }
            if (failing) {
                throw new WalvaultException(ErrorCode.STORAGE, "the store is down");
            }
        }

        @Override
        public void release() {
            releases++;
        }
    }

    /** Heartbeats every 20 s, stale after 90 s (the agent's timing), on a clock the test moves. */
    private final AtomicLong clock = new AtomicLong(1_000_000_000L);
    private final FakeLock lock = new FakeLock();
    private final List<WalvaultException> lost = new ArrayList<>();
    private final AtomicInteger failed = new AtomicInteger();
    private final LockKeeper keeper = new LockKeeper("agent-s", lock, new LockKeeper.Timing(Duration.ofSeconds(90),
            Duration.ofSeconds(20)), new LockKeeper.Listener() {
                @Override
                public void lost(WalvaultException why) {
                    lost.add(why);
                }

                @Override
                public void refreshFailed(RuntimeException e) {
                    failed.incrementAndGet();
                }
            }, clock::get);

    private void beatAfter(Duration d) {
        clock.addAndGet(d.toNanos());
        keeper.beat();
    }

    @Test
    void failedRefreshesAreToleratedUntilTheNextOneWouldComeAfterTheLockGoesStale() {
        lock.failing = true;
        beatAfter(SECOND.multipliedBy(20));
        beatAfter(SECOND.multipliedBy(20));
        beatAfter(SECOND.multipliedBy(20)); // 60 s without a heartbeat: the next, at 80 s, is still in time
        assertEquals(List.of(), lost);
        assertEquals(3, failed.get());
        beatAfter(SECOND.multipliedBy(20)); // 80 s: the next would come at 100 s, after others may take it (90 s)
        assertEquals(1, lost.size());
        assertEquals(ErrorCode.STORAGE, lost.get(0).code(), "the failure's own code");
        assertTrue(lost.get(0).getMessage().contains("could not be refreshed for 80 s"), lost.get(0).getMessage());
        assertTrue(lost.get(0).getMessage().contains("the store is down"), lost.get(0).getMessage());
        assertThrows(WalvaultException.class, keeper::checkHeld);
        lock.failing = false;
        beatAfter(SECOND.multipliedBy(20));
        assertEquals(4, lock.refreshes, "a lost lock is not refreshed any more");
        assertEquals(1, lost.size());
    }

    @Test
    void aRefreshThatSucceedsStartsTheCountAgain() {
        lock.failing = true;
        beatAfter(SECOND.multipliedBy(20));
        beatAfter(SECOND.multipliedBy(20));
        beatAfter(SECOND.multipliedBy(20));
        lock.failing = false;
        beatAfter(SECOND.multipliedBy(20));
        lock.failing = true;
        beatAfter(SECOND.multipliedBy(20));
        beatAfter(SECOND.multipliedBy(20));
        beatAfter(SECOND.multipliedBy(20));
        assertEquals(List.of(), lost, "60 s since the last good refresh");
        beatAfter(SECOND.multipliedBy(20));
        assertEquals(1, lost.size());
    }

    @Test
    void aSlowTimerCountsTimeNotAttempts() {
        lock.failing = true;
        beatAfter(SECOND.multipliedBy(75)); // one failure, but the heartbeat is already 75 s old
        assertEquals(1, lost.size());
        assertEquals(0, failed.get());
    }

    @Test
    void aTakeOverIsLostAtOnce() {
        beatAfter(SECOND.multipliedBy(20));
        assertEquals(List.of(), lost);
        lock.takenOver = true;
        beatAfter(SECOND.multipliedBy(20));
        assertEquals(1, lost.size());
        assertTrue(lost.get(0) instanceof LockHeldException);
        keeper.close();
        assertEquals(1, lock.releases, "close releases (the lock removes itself only if it is still ours)");
    }

    @Test
    void afterCloseNoHeartbeatIsWritten() {
        keeper.close();
        keeper.close();
        assertEquals(1, lock.releases);
        beatAfter(SECOND.multipliedBy(20));
        assertEquals(0, lock.refreshes);
        assertEquals(List.of(), lost);
    }

    @Test
    void theListenerMayCloseTheKeeper() {
        List<String> events = new ArrayList<>();
        LockKeeper[] self = new LockKeeper[1];
        self[0] = new LockKeeper("backup", lock, LockKeeper.Timing.BACKUP, why -> {
            events.add("lost");
            self[0].close();
        }, clock::get);
        lock.takenOver = true;
        self[0].beat();
        assertEquals(List.of("lost"), events);
        assertEquals(1, lock.releases);
    }

    @Test
    void aHeartbeatMustComeBeforeTheLockGoesStale() {
        assertThrows(IllegalArgumentException.class, () -> new LockKeeper.Timing(Duration.ofSeconds(60), Duration.ofSeconds(60)));
        assertThrows(IllegalArgumentException.class, () -> new LockKeeper.Timing(Duration.ofSeconds(60), Duration.ZERO));
        assertFalse(LockKeeper.Timing.BACKUP.heartbeat().compareTo(LockKeeper.Timing.BACKUP.staleAfter()) >= 0);
    }
}
