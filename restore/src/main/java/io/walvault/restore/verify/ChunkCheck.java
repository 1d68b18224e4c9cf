package io.walvault.restore.verify;

import static java.util.Objects.requireNonNull;

import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;
import io.walvault.core.repo.ChunkId;
import io.walvault.core.repo.ChunkMarks;
import io.walvault.core.repo.ChunkStore;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.stream.Collectors;

/**
 * Checks every chunk the verified backups name, once however many of them share it: read whole
 * (authenticated decryption, decompression checksums) and named again from its plaintext
 * ({@link ChunkStore#check}), which proves it is the content each manifest listed it for. A
 * chunk that is missing or damaged is reported with every backup that holds it. One shard of
 * {@link ChunkMarks} at a time, {@code jobs} chunks at once: memory is one shard's names.
 */
final class ChunkCheck {

    /**
     * What was checked.
     *
     * @param chunks distinct chunks checked
     * @param bytes  their plaintext bytes
     * @param failed chunks that failed
     */
    record Result(long chunks, long bytes, long failed) {
    }

    private final ChunkStore store;
    private final ExecutorService pool;

    ChunkCheck(ChunkStore store, ExecutorService pool) {
        this.store = requireNonNull(store, "store is null");
        this.pool = requireNonNull(pool, "pool is null");
    }

    /** Checks each marked chunk; {@code backups} maps a mark's tag to its backup id; failures are added to {@code failures}. */
    Result run(ChunkMarks marks, List<String> backups, List<String> failures) throws IOException {
        long chunks = 0;
        long bytes = 0;
        long failed = 0;
        for (int shard = 0; shard < ChunkMarks.SHARDS; shard++) {
            Map<ChunkId, List<Integer>> names = marks.shard(shard);
            List<ChunkId> ids = new ArrayList<>(names.keySet());
            List<Future<Long>> checks = new ArrayList<>(ids.size());
            for (ChunkId id : ids) {
                checks.add(pool.submit(() -> store.check(id)));
            }
            for (int i = 0; i < ids.size(); i++) {
                chunks++;
                try {
                    bytes += checks.get(i).get();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new WalvaultException(ErrorCode.INTERRUPTED, "verify interrupted");
                } catch (ExecutionException e) {
                    failed++;
                    Throwable c = e.getCause();
                    String holders = names.get(ids.get(i)).stream().map(t -> "backup '" + backups.get(t) + "'")
                            .collect(Collectors.joining(", "));
                    failures.add(holders + (names.get(ids.get(i)).size() > 1 ? " hold" : " holds") + " chunk '"
                            + store.key(ids.get(i)) + "', which cannot be used: " + (c.getMessage() == null ? c.toString()
                            : c.getMessage()));
                }
            }
        }
        return new Result(chunks, bytes, failed);
    }
}
