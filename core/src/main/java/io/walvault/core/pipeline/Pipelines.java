package io.walvault.core.pipeline;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.InputStream;

/** Helpers to drive a pipeline from a stream, and to feed one as a stream. */
public final class Pipelines {

    /** The copy buffer: large enough to amortise per-call costs, small enough to stay in cache. */
    public static final int BUFFER_SIZE = 64 * 1024;

    private Pipelines() {
    }

    /**
     * Copies {@code in} to {@code sink} until end of stream and returns the byte count. Does not
     * finish or close the sink: the caller decides whether the data is complete.
     */
    public static long copy(InputStream in, Sink sink) throws IOException {
        requireNonNull(in, "in is null");
        requireNonNull(sink, "sink is null");
        byte[] buf = new byte[BUFFER_SIZE];
        long total = 0;
        for (int n; (n = in.read(buf)) != -1; ) {
            sink.write(buf, 0, n);
            total += n;
        }
        return total;
    }
}
