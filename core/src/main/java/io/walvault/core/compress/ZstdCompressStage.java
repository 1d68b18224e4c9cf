package io.walvault.core.compress;

import com.github.luben.zstd.EndDirective;
import com.github.luben.zstd.ZstdOutputStreamNoFinalizer;
import com.github.luben.zstd.ZstdCompressCtx;
import com.github.luben.zstd.ZstdException;
import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;
import io.walvault.core.pipeline.Sink;
import io.walvault.core.pipeline.Stage;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Compresses into one standard Zstandard frame ({@code zstd -d} reads it) at level 1 with a
 * content checksum, through the reference library (zstd-jni). Streaming: input is staged in a
 * direct buffer of the library's recommended size, and whatever the library produces is passed
 * on at once. Memory: two direct buffers (about 256 KiB) plus the library's context (about
 * 1 MiB at level 1), released by {@link #close()}.
 */
public final class ZstdCompressStage extends Stage {

    /** Level 1: on WAL it compresses 1.65 times better than LZ4 at 60% of its speed. */
    static final int LEVEL = 1;

    private final ZstdCompressCtx ctx = ZstdLibrary.compressCtx();
    private final ByteBuffer in = ByteBuffer.allocateDirect(128 * 1024);
    private final ByteBuffer out = ByteBuffer.allocateDirect((int) ZstdOutputStreamNoFinalizer.recommendedCOutSize());
    private final byte[] copy = new byte[out.capacity()];

    /** A frame with a content checksum. */
    public ZstdCompressStage(Sink next) {
        this(next, true);
    }

    /** @param contentChecksum whether the frame carries the XXH64 of its content (redundant under AES-GCM) */
    public ZstdCompressStage(Sink next, boolean contentChecksum) {
        super(next);
        ctx.setLevel(LEVEL);
        ctx.setChecksum(contentChecksum);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        checkWritable();
        while (len > 0) {
            int n = Math.min(len, in.remaining());
            in.put(b, off, n);
            off += n;
            len -= n;
            if (!in.hasRemaining()) {
                compress(EndDirective.CONTINUE);
            }
        }
    }

    private void compress(EndDirective directive) throws IOException {
        in.flip();
        boolean done;
        do {
            out.clear();
            try {
                done = ctx.compressDirectByteBufferStream(out, in, directive);
            } catch (ZstdException e) {
                throw new WalvaultException(ErrorCode.INTERNAL, "zstd compression failed: " + e.getMessage(), e);
            }
            out.flip();
            int n = out.remaining();
            if (n > 0) {
                out.get(copy, 0, n);
                next.write(copy, 0, n);
            }
        } while (in.hasRemaining() || directive != EndDirective.CONTINUE && !done);
        in.clear();
    }

    @Override
    protected void onFinish() throws IOException {
        compress(EndDirective.END);
    }

    @Override
    protected void release() {
        ctx.close();
    }
}
