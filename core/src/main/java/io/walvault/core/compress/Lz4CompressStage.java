package io.walvault.core.compress;

import static io.walvault.core.compress.Lz4Format.*;

import io.walvault.core.pipeline.Sink;
import io.walvault.core.pipeline.Stage;
import java.io.IOException;
import net.jpountz.lz4.LZ4Compressor;
import net.jpountz.lz4.LZ4Factory;
import net.jpountz.xxhash.StreamingXXHash32;
import net.jpountz.xxhash.XXHashFactory;

/**
 * Compresses into one standard LZ4 frame, readable by {@code lz4 -d}: independent blocks of at
 * most 256 KiB (small enough to stay in the CPU cache, large enough that the per-block cost is
 * negligible), a content checksum, no content size (the length is not known in advance). A
 * block that does not shrink is stored as it is. The header is written with the first block
 * (or by {@link #finish} for empty input), the end mark and checksum by {@link #finish}.
 *
 * <p>Memory: one input block and one output block, 512 KiB in all, whatever the input size.
 */
public final class Lz4CompressStage extends Stage {

    private static final LZ4Factory LZ4 = LZ4Factory.fastestInstance();
    private static final XXHashFactory XXHASH = XXHashFactory.fastestInstance();

    private final LZ4Compressor compressor = LZ4.fastCompressor();
    private final StreamingXXHash32 contentHash; // null: no content checksum
    private final int blockSize = blockMaxSize(BD_256KB);
    private final byte[] block = new byte[blockSize];
    private final byte[] out;
    private int filled;
    private boolean headerWritten;

    /** A frame with a content checksum. */
    public Lz4CompressStage(Sink next) {
        this(next, true);
    }

    /**
     * @param contentChecksum whether the frame ends with the xxHash32 of its content: the only
     *                        check of an unencrypted object's bytes, redundant (and ~8% of a WAL
     *                        push's CPU) where AES-GCM authenticates every byte after it
     */
    public Lz4CompressStage(Sink next, boolean contentChecksum) {
        super(next);
        this.contentHash = contentChecksum ? XXHASH.newStreamingHash32(0) : null;
        this.out = new byte[BLOCK_SIZE_FIELD + compressor.maxCompressedLength(blockSize)];
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        checkWritable();
        if (contentHash != null) {
            contentHash.update(b, off, len);
        }
        while (len > 0) {
            if (filled == 0 && len >= blockSize) {
                // a whole block straight from the caller's array: no copy
                writeBlock(b, off, blockSize);
                off += blockSize;
                len -= blockSize;
                continue;
            }
            int n = Math.min(len, blockSize - filled);
            System.arraycopy(b, off, block, filled, n);
            filled += n;
            off += n;
            len -= n;
            if (filled == blockSize) {
                writeBlock(block, 0, blockSize);
                filled = 0;
            }
        }
    }

    private void writeHeader() throws IOException {
        byte[] h = new byte[MAGIC_SIZE + DESCRIPTOR_MIN + HEADER_CHECKSUM_SIZE];
        putIntLE(h, 0, MAGIC);
        h[4] = (byte) (FLG_VERSION_01 | FLG_BLOCK_INDEPENDENCE | (contentHash != null ? FLG_CONTENT_CHECKSUM : 0));
        h[5] = (byte) (BD_256KB << BD_SIZE_SHIFT);
        h[6] = (byte) headerChecksum(XXHASH.hash32(), h, MAGIC_SIZE, DESCRIPTOR_MIN);
        next.write(h, 0, h.length);
        headerWritten = true;
    }

    private void writeBlock(byte[] src, int off, int len) throws IOException {
        if (!headerWritten) {
            writeHeader();
        }
        int max = out.length - BLOCK_SIZE_FIELD;
        int c = compressor.compress(src, off, len, out, BLOCK_SIZE_FIELD, max);
        if (c < len) {
            putIntLE(out, 0, c);
            next.write(out, 0, BLOCK_SIZE_FIELD + c);
        } else {
            putIntLE(out, 0, len | BLOCK_UNCOMPRESSED);
            next.write(out, 0, BLOCK_SIZE_FIELD);
            next.write(src, off, len);
        }
    }

    @Override
    protected void onFinish() throws IOException {
        if (filled > 0) {
            writeBlock(block, 0, filled);
            filled = 0;
        }
        if (!headerWritten) {
            writeHeader();
        }
        byte[] end = new byte[BLOCK_SIZE_FIELD + (contentHash != null ? CHECKSUM_SIZE : 0)];
        putIntLE(end, 0, 0);
        if (contentHash != null) {
            putIntLE(end, BLOCK_SIZE_FIELD, contentHash.getValue());
        }
        next.write(end, 0, end.length);
    }
}
