package io.walvault.core.repo;

import io.walvault.core.pipeline.CountingStage;
import io.walvault.core.pipeline.DigestStage;
import io.walvault.core.pipeline.Sink;
import java.io.IOException;

/**
 * The head of one object's write pipeline ({@link ObjectCodec#newWriter}): write the plaintext,
 * then {@link #finishWithResult()} to publish and learn its checksum; close without finishing
 * to abandon (nothing becomes visible). One thread at a time.
 */
public final class ObjectWriter implements Sink {

    private final String key;
    private final CountingStage head;
    private final DigestStage digest;
    private final CountingStage stored;
    private ObjectResult result;

    ObjectWriter(String key, CountingStage head, DigestStage digest, CountingStage stored) {
        this.key = key;
        this.head = head;
        this.digest = digest;
        this.stored = stored;
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        head.write(b, off, len);
    }

    @Override
    public void finish() throws IOException {
        head.finish();
        result = new ObjectResult(key, head.count(), digest == null ? null : digest.hex(), stored.count());
    }

    /** {@link #finish()} and the result. */
    public ObjectResult finishWithResult() throws IOException {
        finish();
        return result;
    }

    /** The plaintext SHA-256 once the pipeline has finished, even if publishing then failed (hex). */
    String plainSha256IfKnown() {
        if (digest == null) {
            return null;
        }
        try {
            return digest.hex();
        } catch (IllegalStateException e) {
            return null;
        }
    }

    /** Plaintext bytes written so far. */
    long plainSize() {
        return head.count();
    }

    /** The result, after {@link #finish()}. */
    public ObjectResult result() {
        if (result == null) {
            throw new IllegalStateException("not finished");
        }
        return result;
    }

    @Override
    public void close() throws IOException {
        head.close();
    }
}
