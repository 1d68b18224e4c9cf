package io.walvault.core.repo;

import io.walvault.core.pipeline.CountingStage;
import io.walvault.core.pipeline.DigestStage;
import io.walvault.core.pipeline.Sink;
import java.io.IOException;

/**
 * The head of one object's write pipeline ({@link ObjectCodec#newWriter}): write the plaintext,
 * then {@link #finishWithResult()} to publish and learn its checksum; close without finishing
 * to abandon (nothing becomes visible). A held writer ({@link ObjectCodec#newHeldWriter}) only
 * encodes on finish; {@link #publish()} publishes, and a close before it abandons. One thread at
 * a time (a held writer may be handed to another thread to publish).
 */
public final class ObjectWriter implements Sink {

    private final String key;
    private final CountingStage head;
    private final DigestStage digest;
    private final CountingStage stored;
    private final Held held;
    private ObjectResult result;

    ObjectWriter(String key, CountingStage head, DigestStage digest, CountingStage stored, Held held) {
        this.key = key;
        this.head = head;
        this.digest = digest;
        this.stored = stored;
        this.held = held;
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

    /**
     * Publishes what a held writer encoded (after {@link #finish()}): the store's write finishes,
     * with its errors ({@link io.walvault.core.storage.ObjectExistsException} when the key exists
     * in a create mode).
     */
    public void publish() throws IOException {
        if (held == null) {
            throw new IllegalStateException("not a held writer: finish published it");
        }
        if (result == null) {
            throw new IllegalStateException("publish before finish");
        }
        held.release();
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

    /**
     * The store's write under a held writer: the chain's finish stops here (everything is
     * written into the store's write), {@link #release()} passes it on.
     */
    static final class Held implements Sink {
        private final Sink store;
        private boolean finished;

        Held(Sink store) {
            this.store = store;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            store.write(b, off, len);
        }

        @Override
        public void finish() {
            finished = true;
        }

        void release() throws IOException {
            if (!finished) {
                throw new IllegalStateException("the object's encoding did not finish");
            }
            store.finish();
        }

        @Override
        public void close() throws IOException {
            store.close();
        }
    }
}
