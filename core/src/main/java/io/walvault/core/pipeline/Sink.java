package io.walvault.core.pipeline;

import java.io.IOException;

/**
 * The end of a push pipeline: bytes are written in, then the sink is finished, then closed.
 *
 * <pre>
 *   producer ──write()──▶ Stage ──▶ Stage ──▶ … ──▶ terminal Sink (file, S3 upload, stdout)
 *            ──finish()─▶ flush footers, pass finish() down, publish the result
 *            ──close()──▶ release resources down the chain; abort whatever was not finished
 * </pre>
 *
 * <p><b>Lifecycle.</b> Any number of {@link #write} calls, then at most one {@link #finish},
 * then {@link #close}. {@code finish} completes the data (a compressor writes its footer, a
 * storage sink publishes the object) and must be called explicitly: closing without finishing
 * means "abandon", and a terminal sink then discards what it received (no partial object
 * becomes visible). {@code close} is idempotent, always safe, and must be called (use
 * try-with-resources). Writing after {@code finish} is an error.
 *
 * <p><b>Threads.</b> A sink is used by one thread at a time; implementations are not
 * thread-safe unless they say so.
 *
 * <p><b>Errors.</b> I/O failures are {@link IOException}s; damaged input found by a decoding
 * stage is a {@link io.walvault.core.error.CorruptDataException} naming the object.
 */
public interface Sink extends AutoCloseable {

    /** Pushes {@code len} bytes of {@code b} from {@code off}; the sink does not keep {@code b}. */
    void write(byte[] b, int off, int len) throws IOException;

    default void write(byte[] b) throws IOException {
        write(b, 0, b.length);
    }

    /**
     * Pushes bytes that the destination already holds where they go (read from it, and found to
     * be the source's): a sink that writes a file over an older copy of it may skip writing and
     * comparing them; any other sink takes them as a {@link #write}.
     */
    default void writeInPlace(byte[] b, int off, int len) throws IOException {
        write(b, off, len);
    }

    /** Completes the data and passes {@code finish} down the chain; called at most once. */
    void finish() throws IOException;

    /** Releases resources; abandons the data if {@link #finish} did not complete. Idempotent. */
    @Override
    void close() throws IOException;

    /** What a sink made by {@link #of} does with each write. */
    @FunctionalInterface
    interface Writes {
        void write(byte[] b, int off, int len) throws IOException;
    }

    /**
     * A sink that hands each write to {@code writes} and has nothing to finish or release: bytes
     * watched as they pass (a WAL decoder reading a segment), or passed on to a sink whose
     * finishing is the caller's.
     */
    static Sink of(Writes writes) {
        return new Sink() {
            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                writes.write(b, off, len);
            }

            @Override
            public void finish() {
            }

            @Override
            public void close() {
            }
        };
    }
}
