package io.walvault.restore.run;

import static java.util.Objects.requireNonNull;

import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;
import io.walvault.core.pipeline.Sink;
import io.walvault.core.repo.BackupCatalog;
import io.walvault.core.repo.ChunkStore;
import io.walvault.core.repo.ManifestFile;
import io.walvault.core.repo.ObjectResult;
import io.walvault.restore.extract.BundleExtractSink;
import io.walvault.restore.extract.Flusher;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
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
 * failure stops the others; progress is printed every tenth of the bytes ({@link ExtractionProgress}).
 */
final class BundleExtraction {

    /**
     * What was extracted.
     *
     * @param files        regular files written from the backup's bundles
     * @param bytes        their bytes
     * @param fetchedBytes bytes read from the repository, or -1 when only some bundles were read
     * @param unpackedBytes the bundles' bytes after decryption and decompression, of those read
     * @param keptFiles    files already in place with the backup's checksum (--delta)
     * @param keptBytes    their bytes
     * @param zeroedFiles  relation files of skipped databases, written as sparse zeroes
     * @param zeroedBytes  their size
     * @param bundlesRead  bundles read from the repository (a bundle with nothing to extract is not read)
     * @param bundles      bundles in the backup
     * @param unchangedBytes of {@code bytes}, those a delta restore found already in place in a changed file's pages
     */
    record Extracted(long files, long bytes, long fetchedBytes, long unpackedBytes, long keptFiles, long keptBytes, long zeroedFiles,
                     long zeroedBytes, int bundlesRead, int bundles, long unchangedBytes) {
    }

    /** Chunks a chunked file reads ahead of the one being written: {@code jobs} × this many chunk buffers at most. */
    static final int CHUNKS_AHEAD = 4;

    private final int jobs;
    private final PrintWriter out;

    BundleExtraction(int jobs, PrintWriter out) {
        this.jobs = jobs;
        this.out = requireNonNull(out, "out is null");
    }

    /** One piece of work: a bundle and the files in it, or one file stored as chunks. */
    private record Unit(String label, FileList files, Reader reader) {
    }

    @FunctionalInterface
    private interface FileList {
        List<ManifestFile> get() throws IOException;
    }

    /**
     * Unpacks a unit into the sink; returns its plaintext bytes and the bytes read from the store.
     * {@code inPlace}: the paths that hold an older copy of their file (--delta).
     */
    @FunctionalInterface
    private interface Reader {
        long[] read(Sink out, Set<String> inPlace) throws IOException;
    }

    /**
     * Extracts every bundle and every file stored as chunks, {@code jobs} at a time, taking out
     * of each what {@code selection} leaves to extract; the first failure stops the others.
     */
    Extracted extract(BackupCatalog catalog, ChunkStore chunks, ManifestSpool manifest, TablespaceLayout layout,
                      FileSelection selection) throws IOException {
        String id = manifest.info().id();
        List<Integer> bundles = manifest.bundles();
        List<Unit> units = new ArrayList<>();
        // the large files first: each is read chunk after chunk, the longest pieces of work
        // each chunked file reads CHUNKS_AHEAD chunks ahead on threads of their own (not the units' pool, which waits on them)
        ExecutorService chunkReaders = Executors.newFixedThreadPool(Math.max(1, jobs), r -> {
            Thread t = new Thread(r, "walvault-restore-chunk");
            t.setDaemon(true);
            return t;
        });
        for (int i = 0; i < manifest.chunkedFiles(); i++) {
            int n = i;
            units.add(new Unit("chunked file #" + i, () -> List.of(manifest.chunkedFile(n)), (out, inPlace) -> {
                ManifestFile f = manifest.chunkedFile(n);
                // over an older copy (--delta): the chunks it holds already are taken from it, not downloaded
                Optional<Path> copy = inPlace.contains(f.path()) ? Optional.of(layout.place(f.path())) : Optional.empty();
                return new long[] {f.size(), chunks.readFile(f, out, chunkReaders, CHUNKS_AHEAD, copy)};
            }));
        }
        for (int bundle : bundles) {
            units.add(new Unit(catalog.bundleKey(id, bundle), () -> manifest.filesOf(bundle), (out, inPlace) -> {
                ObjectResult r = catalog.readBundle(id, bundle, out);
                return new long[] {r.size(), -1};
            }));
        }
        AtomicReference<Throwable> failure = new AtomicReference<>();
        AtomicLong files = new AtomicLong();
        AtomicLong doneBytes = new AtomicLong(); // written, kept and zeroed
        AtomicLong writtenBytes = new AtomicLong(); // of those, written (not kept, zeroed or found in place page by page)
        AtomicLong unpacked = new AtomicLong();
        AtomicLong chunkBytesRead = new AtomicLong();
        AtomicLong unchanged = new AtomicLong();
        AtomicLong keptFiles = new AtomicLong();
        AtomicLong keptBytes = new AtomicLong();
        AtomicLong zeroedFiles = new AtomicLong();
        AtomicLong zeroedBytes = new AtomicLong();
        AtomicInteger bundlesRead = new AtomicInteger();
        AtomicInteger unitsDone = new AtomicInteger();
        long totalBytes = manifest.bytes();
        ExtractionProgress progress = new ExtractionProgress(out, totalBytes, System::nanoTime);
        ExecutorService pool = Executors.newFixedThreadPool(Math.min(jobs, Math.max(1, units.size())), r -> {
            Thread t = new Thread(r, "walvault-restore-bundle");
            t.setDaemon(true);
            return t;
        });
        Flusher flusher = new Flusher(8);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (Unit unit : units) {
                futures.add(pool.submit(() -> {
                    if (failure.get() != null) {
                        return null;
                    }
                    FileSelection.Outcome chosen;
                    try {
                        chosen = selection.select(unit.files().get(), flusher);
                    } catch (Throwable t) {
                        failure.compareAndSet(null, t);
                        throw t;
                    }
                    keptFiles.addAndGet(chosen.keptFiles());
                    keptBytes.addAndGet(chosen.keptBytes());
                    zeroedFiles.addAndGet(chosen.zeroedFiles());
                    zeroedBytes.addAndGet(chosen.zeroedBytes());
                    List<ManifestFile> entries = chosen.extract();
                    long handled = chosen.keptBytes() + chosen.zeroedBytes();
                    if (entries.isEmpty()) {
                        progress.unitDone(unitsDone.incrementAndGet(), units.size(), doneBytes.addAndGet(handled),
                                writtenBytes.get());
                        return null;
                    }
                    Set<String> inPlace = chosen.inPlace();
                    try (BundleExtractSink sink = new BundleExtractSink(unit.label(), entries, f -> layout.place(f.path()), flusher,
                            f -> inPlace.contains(f.path()))) {
                        Sink guarded = new Sink() {
                            @Override
                            public void write(byte[] b, int off, int len) throws IOException {
                                if (failure.get() != null) {
                                    throw new InterruptedIOException("another bundle failed");
                                }
                                sink.write(b, off, len);
                            }

                            @Override
                            public void writeInPlace(byte[] b, int off, int len) throws IOException {
                                if (failure.get() != null) {
                                    throw new InterruptedIOException("another bundle failed");
                                }
                                sink.writeInPlace(b, off, len);
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
                        long[] read = unit.reader().read(guarded, inPlace);
                        if (read[1] < 0) {
                            bundlesRead.incrementAndGet();
                        } else {
                            chunkBytesRead.addAndGet(read[1]);
                        }
                        unpacked.addAndGet(read[0] - sink.bytesInPlace()); // a chunk taken from the copy is not unpacked
                        files.addAndGet(sink.filesDone());
                        unchanged.addAndGet(sink.bytesUnchanged());
                        doneBytes.addAndGet(sink.bytesWritten());
                        long written = writtenBytes.addAndGet(sink.bytesWritten() - sink.bytesUnchanged());
                        progress.unitDone(unitsDone.incrementAndGet(), units.size(), doneBytes.addAndGet(handled), written);
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
            chunkReaders.shutdownNow();
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
        long fetchedBytes = bundlesRead.get() == bundles.size() && stored != null ? stored + chunkBytesRead.get() : -1;
        return new Extracted(files.get(), doneBytes.get() - keptBytes.get() - zeroedBytes.get(), fetchedBytes, unpacked.get(),
                keptFiles.get(),
                keptBytes.get(), zeroedFiles.get(), zeroedBytes.get(), bundlesRead.get(), bundles.size(),
                unchanged.get());
    }
}
