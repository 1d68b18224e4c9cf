package io.walvault.core.pipeline;

/** A terminal sink that keeps nothing: for reading an object only to verify or hash it. */
public final class DiscardSink implements Sink {

    @Override
    public void write(byte[] b, int off, int len) {
    }

    @Override
    public void finish() {
    }

    @Override
    public void close() {
    }
}
