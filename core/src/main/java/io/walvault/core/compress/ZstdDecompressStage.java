package io.walvault.core.compress;

import static java.util.Objects.requireNonNull;

import com.github.luben.zstd.ZstdInputStreamNoFinalizer;
import com.github.luben.zstd.ZstdDecompressCtx;
import com.github.luben.zstd.ZstdException;
import io.walvault.core.error.CorruptDataException;
import io.walvault.core.pipeline.Sink;
import io.walvault.core.pipeline.Stage;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Decodes one Zstandard frame pushed in pieces of any size. Strict like
 * {@link Lz4DecompressStage}: the frame must be complete, its content checksum (which walvault
 * always writes) must match, and nothing may follow it; the library's own errors (bad magic,
 * corrupt blocks, checksum mismatch) become {@link CorruptDataException}s naming the object.
 */
public final class ZstdDecompressStage extends Stage {

    private final String subject;
    private final ZstdDecompressCtx ctx = ZstdLibrary.decompressCtx();
    private final ByteBuffer in = ByteBuffer.allocateDirect((int) ZstdInputStreamNoFinalizer.recommendedDInSize());
    private final ByteBuffer out = ByteBuffer.allocateDirect((int) ZstdInputStreamNoFinalizer.recommendedDOutSize());
    private final byte[] copy = new byte[out.capacity()];
    private boolean frameDone;
    private boolean sawInput;
    private long offset;

    /** @param source the object's key, named in every error */
    public ZstdDecompressStage(Sink next, String source) {
        this(next, "object '" + requireNonNull(source, "source is null") + "'", 0);
    }

    private ZstdDecompressStage(Sink next, String subject, int ignored) {
        super(next);
        this.subject = subject;
    }

    /** A stage for a stream that is not a repository object; {@code subject} names it in every error. */
    public static ZstdDecompressStage forStream(Sink next, String subject) {
        return new ZstdDecompressStage(next, requireNonNull(subject, "subject is null"), 0);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        checkWritable();
        if (len > 0) {
            sawInput = true;
        }
        while (len > 0) {
            if (frameDone) {
                throw corrupt("unexpected bytes after the end of the zstd frame");
            }
            int n = Math.min(len, in.remaining());
            in.put(b, off, n);
            off += n;
            len -= n;
            decompress();
        }
    }

    private void decompress() throws IOException {
        in.flip();
        boolean outputFull;
        do {
            out.clear();
            int before = in.position();
            try {
                frameDone = ctx.decompressDirectByteBufferStream(out, in);
            } catch (ZstdException e) {
                throw new CorruptDataException(subject + " is corrupt: zstd: " + e.getMessage()
                        + " (near byte " + (offset + in.position()) + ")", e);
            }
            offset += in.position() - before;
            out.flip();
            outputFull = !out.hasRemaining() ? false : out.remaining() == out.capacity();
            int n = out.remaining();
            if (n > 0) {
                out.get(copy, 0, n);
                next.write(copy, 0, n);
            }
            if (frameDone && in.hasRemaining()) {
                throw corrupt("unexpected bytes after the end of the zstd frame");
            }
        } while (!frameDone && (in.hasRemaining() || outputFull));
        in.compact();
    }

    @Override
    protected void onFinish() throws IOException {
        if (!frameDone && sawInput) {
            decompress(); // flush what the library still holds
        }
        if (!frameDone) {
            throw corrupt("truncated zstd frame (ends after " + offset + " bytes)");
        }
    }

    @Override
    protected void release() {
        ctx.close();
    }

    private CorruptDataException corrupt(String what) {
        return new CorruptDataException(subject + " is corrupt: " + what);
    }
}
