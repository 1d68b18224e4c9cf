package io.walvault.restore.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.walvault.core.pipeline.Sink;
import io.walvault.core.wal.SegmentIndex;
import io.walvault.core.wal.WalFileName;
import io.walvault.core.wal.WalSegmentName;
import io.walvault.core.wal.TimelineId;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The target search's indexes are read ahead, several at once, and handed over in order. */
class IndexWindowTest {

    private static final long SEG = WalSegmentName.DEFAULT_SEGMENT_SIZE;

    /** A source whose index of segment n lists one restore point, "segment n"; it counts its reads and how many overlap. */
    private static final class Source implements WalSource {
        final AtomicInteger inFlight = new AtomicInteger();
        final AtomicInteger mostInFlight = new AtomicInteger();
        final AtomicInteger reads = new AtomicInteger();

        @Override
        public void read(WalFileName file, Sink out) {
            throw new AssertionError("no WAL is read here");
        }

        @Override
        public Optional<SegmentIndex> index(WalFileName file) {
            int read = reads.incrementAndGet();
            mostInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
            try {
                // the first reads wait (at most 5 s) for another to be under way: reads one after the other never see one
                long until = System.nanoTime() + 5_000_000_000L;
                while (read <= 2 && mostInFlight.get() < 2 && System.nanoTime() < until) {
                    Thread.onSpinWait();
                }
                return Optional.of(indexOf(file));
            } finally {
                inFlight.decrementAndGet();
            }
        }
    }

    private static SegmentIndex indexOf(WalFileName file) {
        long n = WalSegmentName.parse(file.name(), SEG).segmentNumber();
        return new SegmentIndex(Optional.empty(), Optional.empty(), Optional.empty(), List.of("segment " + n), false, false, 18,
                SegmentIndex.Bytes.NONE, SegmentIndex.Bytes.NONE);
    }

    private static List<WalFileName> files(int count) {
        List<WalFileName> files = new ArrayList<>();
        for (int n = 1; n <= count; n++) {
            files.add(WalFileName.parse(new WalSegmentName(TimelineId.FIRST, n, SEG).fileName()));
        }
        return files;
    }

    @Test
    void readsAheadSeveralAtOnceAndHandsThemOverInOrder() {
        List<WalFileName> files = files(100);
        Source source = new Source();
        try (IndexWindow window = new IndexWindow(files, source)) {
            for (int i = 0; i < 40; i++) {
                assertEquals(indexOf(files.get(i)), window.at(i).orElseThrow());
            }
            assertEquals(indexOf(files.get(39)), window.at(39).orElseThrow(), "the last one, asked for again");
            assertEquals(indexOf(files.get(70)), window.at(70).orElseThrow(), "a later one, skipping some");
            assertEquals(indexOf(files.get(71)), window.at(71).orElseThrow());
            assertThrows(IllegalArgumentException.class, () -> window.at(50));
            assertEquals(indexOf(files.get(99)), window.at(99).orElseThrow());
        }
        assertTrue(source.mostInFlight.get() >= 2, "reads overlap: at most " + source.mostInFlight.get() + " at once");
        assertTrue(source.reads.get() <= 40 + IndexWindow.AHEAD + 2 * (IndexWindow.AHEAD + 1), source.reads + " reads");
    }
}
