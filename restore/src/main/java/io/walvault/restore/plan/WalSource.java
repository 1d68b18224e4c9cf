package io.walvault.restore.plan;

import io.walvault.core.pipeline.Sink;
import io.walvault.core.wal.SegmentIndex;
import io.walvault.core.wal.WalFileName;
import java.io.IOException;
import java.util.Optional;

/**
 * Gives the decoded bytes of an archived WAL file (decrypted and decompressed), pushed into a
 * sink as they are decoded: nothing is staged, whatever the segment size. A failed check of the
 * object (a damaged or foreign copy) throws, also after bytes went into the sink: what was read
 * counts only when this returns.
 */
@FunctionalInterface
public interface WalSource {

    /** Writes the decoded bytes of {@code file} into {@code out} and finishes it. */
    void read(WalFileName file, Sink out) throws IOException;

    /**
     * The index stored when {@code file} was archived, when it has one and it can be read; never
     * required (the file itself is the answer).
     */
    default Optional<SegmentIndex> index(WalFileName file) {
        return Optional.empty();
    }
}
