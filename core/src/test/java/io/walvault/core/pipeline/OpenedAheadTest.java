package io.walvault.core.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class OpenedAheadTest {

    /** A resource that counts its closes. */
    private static final class Counted implements AutoCloseable {
        final AtomicInteger closes = new AtomicInteger();

        @Override
        public void close() {
            closes.incrementAndGet();
        }
    }

    @Test
    void whatIsTakenIsTheCallersToClose() throws Exception {
        Counted r = new Counted();
        CountDownLatch opened = new CountDownLatch(1);
        Counted taken;
        try (OpenedAhead<Counted> ahead = OpenedAhead.start("test-open", () -> {
            opened.countDown();
            return r;
        })) {
            assertTrue(opened.await(10, TimeUnit.SECONDS), "the opening runs on its own thread before it is taken");
            taken = ahead.take();
            assertThrows(IllegalStateException.class, ahead::take);
        }
        assertSame(r, taken);
        assertEquals(0, r.closes.get(), "close() leaves what the caller took");
    }

    @Test
    void whatIsNeverTakenIsClosedOnceTheOpeningEnds() {
        Counted r = new Counted();
        CountDownLatch release = new CountDownLatch(1);
        OpenedAhead<Counted> ahead = OpenedAhead.start("test-open", () -> {
            release.await();
            return r;
        });
        Thread releaser = new Thread(() -> {
            sleep(100);
            release.countDown();
        });
        releaser.start();
        ahead.close(); // the caller failed before it needed the resource: close waits for the opening
        assertEquals(1, r.closes.get());
        ahead.close();
        assertEquals(1, r.closes.get(), "closed once");
    }

    @Test
    void theOpeningsFailureIsThrownAsItWasThrown() {
        IllegalArgumentException failure = new IllegalArgumentException("no such server");
        try (OpenedAhead<Counted> ahead = OpenedAhead.start("test-open", () -> {
            throw failure;
        })) {
            assertSame(failure, assertThrows(IllegalArgumentException.class, ahead::take));
        }
        OpenedAhead<Counted> neverTaken = OpenedAhead.start("test-open", () -> {
            throw failure;
        });
        neverTaken.close(); // a failed opening leaves nothing to close, and close says nothing of it
        assertFalse(Thread.currentThread().isInterrupted());
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
