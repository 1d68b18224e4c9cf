package io.walvault.archiver.backup;

import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;
import java.io.IOException;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The first failure of a backup's upload threads (bundles, chunks), rethrown on the stream
 * thread as the type it had, so that its exit code and message survive the hand-over.
 */
final class UploadFailure {

    private final AtomicReference<Throwable> first = new AtomicReference<>();
    private final String what;

    /** @param what the uploads, for an unexpected failure's message ("a bundle upload") */
    UploadFailure(String what) {
        this.what = what;
    }

    /** Records {@code t} unless a failure came first. */
    void set(Throwable t) {
        first.compareAndSet(null, t);
    }

    boolean happened() {
        return first.get() != null;
    }

    /** Throws the first failure, if there was one. */
    void rethrow() throws IOException {
        Throwable t = first.get();
        if (t == null) {
            return;
        }
        if (t instanceof IOException io) {
            throw new IOException(io.getMessage(), io);
        }
        if (t instanceof WalvaultException w) {
            throw new WalvaultException(w.code(), w.getMessage(), w);
        }
        throw new WalvaultException(ErrorCode.INTERNAL, what + " failed: " + t, t);
    }
}
