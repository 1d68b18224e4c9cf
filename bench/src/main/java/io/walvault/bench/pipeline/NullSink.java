package io.walvault.bench.pipeline;

import io.walvault.core.pipeline.Sink;

/** The end of a benchmarked pipeline: counts bytes, so nothing is optimised away, and keeps nothing. */
final class NullSink implements Sink {

    long bytes;

    @Override
    public void write(byte[] b, int off, int len) {
        bytes += len;
    }

    @Override
    public void finish() {
    }

    @Override
    public void close() {
    }
}
