package io.walvault.core.pipeline;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.OutputStream;

/**
 * A terminal sink writing to an {@link OutputStream} (stdout, a local file opened by the
 * caller). {@code finish} flushes; {@code close} closes the stream only if this sink owns it.
 */
public final class OutputStreamSink implements Sink {

    private final OutputStream out;
    private final boolean owned;

    /** @param owned whether {@link #close} closes {@code out} */
    public OutputStreamSink(OutputStream out, boolean owned) {
        this.out = requireNonNull(out, "out is null");
        this.owned = owned;
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        out.write(b, off, len);
    }

    @Override
    public void finish() throws IOException {
        out.flush();
    }

    @Override
    public void close() throws IOException {
        if (owned) {
            out.close();
        }
    }
}
