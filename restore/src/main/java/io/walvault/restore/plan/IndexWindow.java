package io.walvault.restore.plan;

import static java.util.Objects.requireNonNull;

import io.walvault.core.hook.WorkerThreads;
import io.walvault.core.pipeline.Futures;
import io.walvault.core.wal.SegmentIndex;
import io.walvault.core.wal.WalFileName;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Future;

/**
 * The indexes of a plan's WAL segments, read {@value #AHEAD} ahead of the one asked for on a few
 * threads, so that an object store's round trips overlap instead of adding up (a search over a
 * day of WAL reads thousands of indexes). Asked for in increasing positions, as the target search
 * does (the last one may be asked for again); memory holds at most {@value #AHEAD} indexes. One
 * caller thread.
 */
final class IndexWindow implements AutoCloseable {

    /** Indexes read ahead of the one asked for. */
    static final int AHEAD = 16;
    private static final int THREADS = 8;

    private final List<WalFileName> files;
    private final WalSource source;
    private final Deque<Future<Optional<SegmentIndex>>> ahead = new ArrayDeque<>();
    private WorkerThreads threads;
    private int first; // the position of ahead's first future
    private int submitted; // positions before this one have been submitted
    private int lastPosition = -1;
    private Optional<SegmentIndex> last = Optional.empty();

    IndexWindow(List<WalFileName> files, WalSource source) {
        this.files = List.copyOf(files);
        this.source = requireNonNull(source, "source is null");
    }

    /** The index of the segment at {@code position}: the last one asked for again, or a later one. */
    Optional<SegmentIndex> at(int position) {
        if (position == lastPosition) {
            return last;
        }
        if (position < first) {
            throw new IllegalArgumentException("position " + position + " asked for after " + (first - 1));
        }
        if (threads == null) {
            threads = new WorkerThreads("walvault-wal-index-read", THREADS);
        }
        while (first < position && !ahead.isEmpty()) { // skipped over
            ahead.removeFirst().cancel(true);
            first++;
        }
        if (ahead.isEmpty()) {
            first = position;
            submitted = Math.max(submitted, position);
        }
        while (submitted < files.size() && submitted < position + AHEAD) {
            WalFileName f = files.get(submitted++);
            ahead.addLast(threads.submit(() -> source.index(f)));
        }
        first++;
        last = Futures.join(ahead.removeFirst(), "reading the WAL segments' indexes");
        lastPosition = position;
        return last;
    }

    @Override
    public void close() {
        if (threads != null) {
            threads.close();
        }
    }
}
