package io.walvault.archiver.push;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;

/**
 * {@code archive-push-queue-max}: how much WAL may wait in pg_wal while the repository cannot
 * take it, before the oldest is given up (acknowledged to PostgreSQL unarchived, so the disk
 * does not fill and the server does not stop). Off unless set: by default nothing is ever
 * acknowledged before it is durable. Pure: the worker asks it, and records and reports loudly
 * what it gives up.
 *
 * @param maxBytes the limit, if set
 */
record QueueLimit(OptionalLong maxBytes) {

    QueueLimit {
        if (maxBytes.isPresent() && maxBytes.getAsLong() < 0) {
            throw new IllegalArgumentException("negative queue limit");
        }
    }

    /** A file waiting to be archived, and its size. */
    record Waiting(Path file, long bytes) {
    }

    /**
     * The files to give up, oldest first: none unless the limit is set and the repository is
     * failing ({@code storeFailing}: the oldest file could not be pushed); then the oldest ones
     * until what is left fits the limit. A working repository is never overtaken: files that
     * are merely queued are pushed, however many.
     */
    List<Waiting> toGiveUp(List<Waiting> waiting, boolean storeFailing) {
        if (maxBytes.isEmpty() || !storeFailing) {
            return List.of();
        }
        long total = waiting.stream().mapToLong(Waiting::bytes).sum();
        List<Waiting> out = new ArrayList<>();
        for (Waiting w : waiting) {
            if (total <= maxBytes.getAsLong()) {
                break;
            }
            out.add(w);
            total -= w.bytes();
        }
        return out;
    }
}
