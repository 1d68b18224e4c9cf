package io.walvault.core.pipeline;

import java.io.IOException;

/** Passes bytes through unchanged and counts them (the size at this point of the pipeline). */
public final class CountingStage extends Stage {

    private long count;

    public CountingStage(Sink next) {
        super(next);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        checkWritable();
        next.write(b, off, len);
        count += len;
    }

    /** Bytes written so far. */
    public long count() {
        return count;
    }
}
