package io.walvault.restore.run;

import static java.util.Objects.requireNonNull;

import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;
import io.walvault.core.pipeline.Sink;
import io.walvault.core.repo.BackupCatalog;
import io.walvault.core.repo.ManifestFile;
import io.walvault.restore.extract.BundleExtractSink;
import io.walvault.restore.extract.Flusher;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Extracts a backup's bundles into the restored directories, {@code jobs} bundles at a time:
 * storage ─▶ decrypt ─▶ decompress ─▶ {@link BundleExtractSink} (each file checked against its
 * checksum as it is written, fsynced on a {@link Flusher} pool beside extraction). The first
 * failure stops the others; progress is printed every tenth of the bytes.
 */
final class BundleExtraction {

    /**
     * What was extracted.
     *
     * @param files        regular files written
     * @param bytes        their bytes
     * @param fetchedBytes bytes read from the repository
     */
    record Extracted(long files, long bytes, long fetchedBytes) {
    }

    private final int jobs;
    private final PrintWriter out;

    BundleExtraction(int jobs, PrintWriter out) {
        this.jobs = jobs;
        this.out = requireNonNull(out, "out is null");
    }

    /** Extracts every bundle, {@code jobs} at a time; the first failure stops the others. Returns files, bytes, fetched bytes. */
    Extracted extract(BackupCatalog catalog, ManifestSpool manifest, TablespaceLayout layout) throws IOException {
        String id = manifest.info().id();
        List<Integer> bundles = manifest.bundles();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        AtomicLong files = new AtomicLong();
        AtomicLong bytes = new AtomicLong();
        AtomicInteger bundlesDone = new AtomicInteger();
        long totalBytes = manifest.bytes();
        AtomicInteger reportedTenth = new AtomicInteger();
        Instant start = Instant.now();
        ExecutorService pool = Executors.newFixedThreadPool(Math.min(jobs, Math.max(1, bundles.size())), r -> {
            Thread t = new Thread(r, "walvault-restore-bundle");
            t.setDaemon(true);
            return t;
        });
        Flusher flusher = new Flusher(8);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int bundle : bundles) {
                futures.add(pool.submit(() -> {
                    if (failure.get() != null) {
                        return null;
                    }
                    List<ManifestFile> entries = manifest.filesOf(bundle);
                    String key = catalog.bundleKey(id, bundle);
                    try (BundleExtractSink sink = new BundleExtractSink(key, entries, f -> layout.place(f.path()), flusher)) {
                        Sink guarded = new Sink() {
                            @Override
                            public void write(byte[] b, int off, int len) throws IOException {
                                if (failure.get() != null) {
                                    throw new InterruptedIOException("another bundle failed");
                                }
                                sink.write(b, off, len);
                            }

                            @Override
                            public void finish() throws IOException {
                                sink.finish();
                            }

                            @Override
                            public void close() throws IOException {
                                sink.close();
                            }
                        };
                        catalog.readBundle(id, bundle, guarded);
                        files.addAndGet(sink.filesDone());
                        long b = bytes.addAndGet(sink.bytesWritten());
                        int n = bundlesDone.incrementAndGet();
                        int tenth = totalBytes == 0 ? 10 : (int) Math.min(10, b * 10 / totalBytes);
                        int seen = reportedTenth.get();
                        if (tenth > seen && reportedTenth.compareAndSet(seen, tenth)) {
                            double secs = Math.max(0.001, Duration.between(start, Instant.now()).toMillis() / 1000.0);
                            synchronized (out) {
                                out.printf(Locale.ROOT, "restored %d of %d bundles, %s of %s (%.1f MB/s)%n", n, bundles.size(),
                                        RestoreReport.mb(b), RestoreReport.mb(totalBytes), b / 1e6 / secs);
                                out.flush();
                            }
                        }
                    } catch (Throwable t) {
                        failure.compareAndSet(null, t);
                        throw t;
                    }
                    return null;
                }));
            }
            for (Future<?> f : futures) {
                try {
                    f.get();
                } catch (ExecutionException e) {
                    // the first failure is reported below
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    failure.compareAndSet(null, new WalvaultException(ErrorCode.INTERRUPTED, "restore interrupted"));
                    break;
                }
            }
            if (failure.get() == null) {
                flusher.await(); // every restored file on disk before anything says it is restored
            }
        } catch (WalvaultException e) {
            failure.compareAndSet(null, e);
        } finally {
            pool.shutdownNow();
            flusher.close();
        }
        Throwable t = failure.get();
        if (t != null) {
            if (t instanceof IOException io) {
                throw io;
            }
            if (t instanceof RuntimeException r) {
                throw r;
            }
            if (t instanceof Error err) {
                throw err;
            }
            throw new IllegalStateException(t);
        }
        Long stored = manifest.info().storedBytes();
        return new Extracted(files.get(), bytes.get(), stored == null ? 0 : stored);
    }
}
