package io.walvault.restore.run;

import static java.util.Objects.requireNonNull;

import java.io.PrintWriter;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;

/**
 * The restore's progress lines: one at each tenth of the backup's bytes done (written, kept by a
 * delta restore, or made sparse for a skipped database), with the rate of the bytes written alone:
 * files kept or made sparse cost no writing, and a rate over them would say the disk wrote
 * gigabytes a second. Thread-safe (the extraction's units report as they end).
 */
final class ExtractionProgress {

    private final PrintWriter out;
    private final long totalBytes;
    private final LongSupplier nanos;
    private final long start;
    private final AtomicInteger reportedTenth = new AtomicInteger();

    /** @param nanos a monotonic clock in nanoseconds ({@code System::nanoTime}) */
    ExtractionProgress(PrintWriter out, long totalBytes, LongSupplier nanos) {
        this.out = requireNonNull(out, "out is null");
        this.totalBytes = totalBytes;
        this.nanos = requireNonNull(nanos, "nanos is null");
        this.start = nanos.getAsLong();
    }

    /**
     * Unit {@code n} of {@code of} has ended; {@code done} bytes of the backup are done so far,
     * {@code written} of them written.
     */
    void unitDone(int n, int of, long done, long written) {
        int tenth = totalBytes == 0 ? 10 : (int) Math.min(10, done * 10 / totalBytes);
        int seen = reportedTenth.get();
        if (tenth > seen && reportedTenth.compareAndSet(seen, tenth)) {
            double secs = Math.max(0.001, (nanos.getAsLong() - start) / 1e9);
            synchronized (out) {
                out.printf(Locale.ROOT, "restored %d of %d bundles and chunked files, %s of %s (written at %.1f MB/s)%n", n,
                        of, RestoreReport.mb(done), RestoreReport.mb(totalBytes), written / 1e6 / secs);
                out.flush();
            }
        }
    }
}
