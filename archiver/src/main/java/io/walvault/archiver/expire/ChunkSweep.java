package io.walvault.archiver.expire;

import static java.util.Objects.requireNonNull;

import io.walvault.core.repo.BackupCatalog;
import io.walvault.core.repo.ChunkId;
import io.walvault.core.repo.ChunkMarks;
import io.walvault.core.repo.ChunkStore;
import io.walvault.core.storage.Storage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Removes the chunks no backup names any more (mark and sweep), after expire removed backups.
 * Runs under the cluster's backup lock, so no backup is choosing chunks meanwhile (beside a running
 * backup expire does not run it).
 *
 * <ol>
 *   <li><b>Mark</b>: every manifest still stored (kept backups, damaged ones whose manifest
 *       reads, backups that never committed) is read, and the names of its chunks are written
 *       to one of 256 private temporary files by their first byte ({@link ChunkMarks}). A manifest that cannot be
 *       read stops the sweep before anything is removed: the chunks it may name are kept.</li>
 *   <li><b>Sweep</b>: one listing of the chunk store, which comes in key order, so one shard
 *       at a time; the shard's marks are loaded (a 256th of all names), and each chunk not
 *       among them is removed when it is older than {@code grace} (a backup that lost its lock
 *       may still be writing the newer ones), in batches, the lock checked between them.</li>
 * </ol>
 *
 * <p>Memory is one shard's names ({@link ChunkMarks}: about a 256th of the cluster's chunks)
 * plus 256 small write buffers. A crash half-way leaves chunks that the next expire removes;
 * nothing a stored manifest names is ever removed.
 */
final class ChunkSweep {

    private static final Logger LOG = LoggerFactory.getLogger(ChunkSweep.class);
    private static final int BATCH = 1000;

    /**
     * What the sweep did.
     *
     * @param removed     chunks removed (or that a run would remove)
     * @param removedBytes their stored bytes
     * @param kept        chunks kept
     * @param keptBytes   their stored bytes
     * @param skipped     why nothing was removed, when the sweep did not run
     * @param dryRun      whether nothing was removed on purpose
     */
    record Result(long removed, long removedBytes, long kept, long keptBytes, Optional<String> skipped, boolean dryRun) {
        Result {
            requireNonNull(skipped, "skipped is null");
        }

        static Result none(boolean dryRun) {
            return new Result(0, 0, 0, 0, Optional.empty(), dryRun);
        }

        /** The sweep did not run, for the reason {@code why} (a manifest it cannot read, a backup running beside expire). */
        static Result notRun(String why, boolean dryRun) {
            return new Result(0, 0, 0, 0, Optional.of(why), dryRun);
        }

        /** The report's line, when there are chunks or the sweep was skipped. */
        Optional<String> line() {
            if (skipped.isPresent()) {
                return Optional.of("kept: every chunk: " + skipped.get());
            }
            if (removed == 0 && kept == 0) {
                return Optional.empty();
            }
            return Optional.of(String.format(Locale.ROOT, "%s: %d chunks no backup names (%s); kept: %d chunks (%s)",
                    dryRun ? "would remove" : "removed", removed, ExpireReport.bytes(removedBytes), kept,
                    ExpireReport.bytes(keptBytes)));
        }
    }

    private final BackupCatalog catalog;
    private final ChunkStore chunks;
    private final Storage storage;
    private final Duration grace;

    ChunkSweep(BackupCatalog catalog, ChunkStore chunks, Storage storage, Duration grace) {
        this.catalog = requireNonNull(catalog, "catalog is null");
        this.chunks = requireNonNull(chunks, "chunks is null");
        this.storage = requireNonNull(storage, "storage is null");
        this.grace = requireNonNull(grace, "grace is null");
    }

    /**
     * Marks from every stored backup but {@code removed} (gone already, or going in a dry run),
     * then sweeps what is older than the grace period at {@code now}; {@code checkHeld} throws
     * when expire's locks were lost, and is called between batches.
     */
    Result run(Set<String> removed, Instant now, boolean dryRun, Runnable checkHeld) {
        try (ChunkMarks marks = ChunkMarks.create()) {
            Optional<String> unreadable = mark(marks, removed);
            if (unreadable.isPresent()) {
                return skipped(unreadable.get(), dryRun);
            }
            checkHeld.run();
            return sweep(marks, now.minus(grace), dryRun, checkHeld);
        } catch (IOException e) {
            return skipped("the marks could not be written or read (" + e.getMessage() + ")", dryRun);
        }
    }

    private static Result skipped(String why, boolean dryRun) {
        LOG.warn("no chunk was removed: {}", why);
        return Result.notRun(why, dryRun);
    }

    /** Marks every chunk a stored manifest names; the reason when one cannot be read. */
    private Optional<String> mark(ChunkMarks marks, Set<String> removed) throws IOException {
        for (BackupCatalog.StoredBackup b : catalog.stored()) {
            if (removed.contains(b.id()) || !b.complete()) {
                continue; // no manifest: it names no chunk
            }
            try {
                catalog.readManifest(b.id(), f -> {
                    if (!f.isChunked()) {
                        return;
                    }
                    try {
                        for (ChunkId c : f.chunks()) {
                            marks.mark(c, 0);
                        }
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                });
            } catch (UncheckedIOException e) {
                throw e.getCause();
            } catch (IOException | RuntimeException e) {
                if (!hasManifest(b.id())) {
                    continue; // a commit record without its manifest names nothing that can be restored
                }
                return Optional.of("the manifest of backup " + b.id() + " cannot be read (" + e.getMessage()
                        + "), so the chunks it names are unknown");
            }
        }
        return Optional.empty();
    }

    private boolean hasManifest(String backupId) {
        return storage.info(catalog.manifestKey(backupId)).isPresent();
    }

    private Result sweep(ChunkMarks marks, Instant olderThan, boolean dryRun, Runnable checkHeld) throws IOException {
        long[] counts = new long[4]; // removed, removedBytes, kept, keptBytes
        List<String> batch = new ArrayList<>();
        Loaded loaded = new Loaded();
        IOException[] failure = new IOException[1];
        chunks.forEach(c -> {
            if (failure[0] != null) {
                return;
            }
            int shard = ChunkMarks.shardOf(c.id());
            if (shard != loaded.shard) {
                try {
                    loaded.marks = marks.shard(shard).keySet();
                } catch (IOException e) {
                    failure[0] = e;
                    return;
                }
                loaded.shard = shard;
            }
            if (loaded.marks.contains(c.id()) || !c.object().lastModified().isBefore(olderThan)) {
                counts[2]++;
                counts[3] += c.object().size();
                return;
            }
            counts[0]++;
            counts[1] += c.object().size();
            if (!dryRun) {
                batch.add(chunks.key(c.id()));
                if (batch.size() >= BATCH) {
                    checkHeld.run();
                    storage.removeAll(batch);
                    batch.clear();
                }
            }
        });
        if (failure[0] != null) {
            throw failure[0];
        }
        if (!batch.isEmpty()) {
            checkHeld.run();
            storage.removeAll(batch);
        }
        if (!dryRun && counts[0] > 0) {
            LOG.debug("removed {} chunks that no backup names ({} bytes)", counts[0], counts[1]);
        }
        return new Result(counts[0], counts[1], counts[2], counts[3], Optional.empty(), dryRun);
    }

    /** The shard whose marks are in memory. */
    private static final class Loaded {
        int shard = -1;
        Set<ChunkId> marks = Set.of();
    }
}
