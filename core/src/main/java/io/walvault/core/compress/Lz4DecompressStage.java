package io.walvault.core.compress;

import static io.walvault.core.compress.Lz4Format.*;
import static java.util.Objects.requireNonNull;

import io.walvault.core.error.CorruptDataException;
import io.walvault.core.pipeline.Sink;
import io.walvault.core.pipeline.Stage;
import java.io.IOException;
import net.jpountz.lz4.LZ4Exception;
import net.jpountz.lz4.LZ4Factory;
import net.jpountz.lz4.LZ4SafeDecompressor;
import net.jpountz.xxhash.StreamingXXHash32;
import net.jpountz.xxhash.XXHash32;
import net.jpountz.xxhash.XXHashFactory;

/**
 * Decodes one standard LZ4 frame pushed in pieces of any size. Strict: the frame must be
 * complete, every checksum it declares must match, and no byte may follow it; anything else is
 * a {@link CorruptDataException} naming the object. Accepts every block size (64 KiB to 4 MiB)
 * and optional block checksums and content size; refuses dictionaries, and linked blocks, which
 * walvault never writes (such a frame did not come from walvault: {@code lz4 -d} reads it),
 * unless made by {@link #acceptingLinkedBlocks} for a stream PostgreSQL compressed
 * ({@link Lz4LinkedBlocks}).
 *
 * <p>Memory: one compressed and one decompressed block of the frame's block size (linked
 * blocks: 64 KiB plus four decompressed blocks).
 */
public final class Lz4DecompressStage extends Stage {

    private static final LZ4Factory LZ4 = LZ4Factory.fastestInstance();
    private static final XXHashFactory XXHASH = XXHashFactory.fastestInstance();

    private enum State { MAGIC, DESCRIPTOR, BLOCK_SIZE, BLOCK, CONTENT_CHECKSUM, DONE }

    private final String subject;
    private final boolean linkedAllowed;
    private final LZ4SafeDecompressor decompressor = LZ4.safeDecompressor();
    private final XXHash32 hash = XXHASH.hash32();
    private final StreamingXXHash32 contentHash = XXHASH.newStreamingHash32(0);

    private State state = State.MAGIC;
    /** Staging for the field being read; grows to the frame's block size once it is known. */
    private byte[] buf = new byte[MAGIC_SIZE + DESCRIPTOR_MIN + CONTENT_SIZE_SIZE + DICT_ID_SIZE + HEADER_CHECKSUM_SIZE];
    private int need = MAGIC_SIZE;
    private int have;
    private byte[] decoded;
    private int flags;
    private int blockMax;
    private long contentSize = -1;
    private long produced;
    private boolean blockStored;
    private long offset;
    private Lz4LinkedBlocks linked;

    /** @param source the object's key, named in every error */
    public Lz4DecompressStage(Sink next, String source) {
        this(next, "object '" + requireNonNull(source, "source is null") + "'", false);
    }

    private Lz4DecompressStage(Sink next, String subject, boolean linkedAllowed) {
        super(next);
        this.subject = subject;
        this.linkedAllowed = linkedAllowed;
    }

    /**
     * A stage that also decodes frames of linked blocks, as PostgreSQL writes them;
     * {@code subject} names the stream in every error ("archive 'base.tar.lz4' from ...").
     */
    public static Lz4DecompressStage acceptingLinkedBlocks(Sink next, String subject) {
        return new Lz4DecompressStage(next, requireNonNull(subject, "subject is null"), true);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        checkWritable();
        while (len > 0) {
            if (state == State.DONE) {
                throw corrupt("unexpected bytes after the end of the LZ4 frame");
            }
            int n = Math.min(len, need - have);
            System.arraycopy(b, off, buf, have, n);
            have += n;
            off += n;
            len -= n;
            offset += n;
            if (have == need) {
                step();
            }
        }
    }

    /** Handles the field now complete in {@code buf[0..need)} and sets up the next one. */
    private void step() throws IOException {
        switch (state) {
            case MAGIC -> {
                int magic = getIntLE(buf, 0);
                if (magic != MAGIC) {
                    throw corrupt("not an LZ4 frame (magic number " + String.format("0x%08X", magic) + ")");
                }
                expect(State.DESCRIPTOR, DESCRIPTOR_MIN);
            }
            case DESCRIPTOR -> descriptor();
            case BLOCK_SIZE -> {
                int field = getIntLE(buf, 0);
                if (field == 0) {
                    if ((flags & FLG_CONTENT_CHECKSUM) != 0) {
                        expect(State.CONTENT_CHECKSUM, CHECKSUM_SIZE);
                    } else {
                        end();
                    }
                    return;
                }
                int size = field & BLOCK_SIZE_MASK;
                if (size > blockMax) {
                    throw corrupt("LZ4 block of " + size + " bytes exceeds the frame's maximum of " + blockMax);
                }
                blockStored = (field & BLOCK_UNCOMPRESSED) != 0;
                expect(State.BLOCK, size + ((flags & FLG_BLOCK_CHECKSUM) != 0 ? CHECKSUM_SIZE : 0));
            }
            case BLOCK -> block();
            case CONTENT_CHECKSUM -> {
                int expected = getIntLE(buf, 0);
                if (expected != contentHash.getValue()) {
                    throw corrupt("LZ4 content checksum mismatch");
                }
                end();
            }
            default -> throw new IllegalStateException("state " + state);
        }
    }

    private void descriptor() throws IOException {
        if (need == DESCRIPTOR_MIN) {
            flags = buf[0] & 0xFF;
            int bd = buf[1] & 0xFF;
            if ((flags & FLG_VERSION_MASK) != FLG_VERSION_01 || (flags & FLG_RESERVED) != 0 || (bd & BD_RESERVED_MASK) != 0) {
                throw corrupt("unsupported LZ4 frame descriptor (FLG " + String.format("0x%02X", flags)
                        + ", BD " + String.format("0x%02X", bd) + ")");
            }
            if ((flags & FLG_DICT_ID) != 0) {
                throw corrupt("LZ4 frame needs a dictionary, which walvault never writes");
            }
            if ((flags & FLG_BLOCK_INDEPENDENCE) == 0 && !linkedAllowed) {
                throw corrupt("LZ4 frame uses linked blocks, which walvault never writes"
                        + " HINT: decompress it with 'lz4 -d'");
            }
            int code = (bd >> BD_SIZE_SHIFT) & 0x7;
            if (code < 4) {
                throw corrupt("LZ4 frame block size code " + code + " is invalid");
            }
            blockMax = blockMaxSize(code);
            int rest = ((flags & FLG_CONTENT_SIZE) != 0 ? CONTENT_SIZE_SIZE : 0) + HEADER_CHECKSUM_SIZE;
            need = DESCRIPTOR_MIN + rest; // keep FLG and BD in buf: the header checksum covers them
            return;
        }
        int descLen = need - HEADER_CHECKSUM_SIZE;
        if ((buf[descLen] & 0xFF) != headerChecksum(hash, buf, 0, descLen)) {
            throw corrupt("LZ4 frame header checksum mismatch");
        }
        if ((flags & FLG_CONTENT_SIZE) != 0) {
            long size = 0;
            for (int i = 7; i >= 0; i--) {
                size = size << 8 | (buf[DESCRIPTOR_MIN + i] & 0xFF);
            }
            contentSize = size;
        }
        buf = new byte[blockMax + CHECKSUM_SIZE];
        if ((flags & FLG_BLOCK_INDEPENDENCE) == 0) {
            linked = new Lz4LinkedBlocks(blockMax);
        } else {
            decoded = new byte[blockMax];
        }
        expect(State.BLOCK_SIZE, BLOCK_SIZE_FIELD);
    }

    private void block() throws IOException {
        int size = need - ((flags & FLG_BLOCK_CHECKSUM) != 0 ? CHECKSUM_SIZE : 0);
        if ((flags & FLG_BLOCK_CHECKSUM) != 0 && getIntLE(buf, size) != hash.hash(buf, 0, size, 0)) {
            throw corrupt("LZ4 block checksum mismatch");
        }
        if (linked != null) {
            int n;
            try {
                n = blockStored ? linked.stored(buf, 0, size) : linked.decode(buf, 0, size);
            } catch (CorruptDataException e) {
                throw corrupt(e.getMessage() + " ending at byte " + offset);
            }
            emit(linked.window(), linked.start(n), n);
        } else if (blockStored) {
            emit(buf, 0, size);
        } else {
            int n;
            try {
                n = decompressor.decompress(buf, 0, size, decoded, 0, blockMax);
            } catch (LZ4Exception e) {
                throw new CorruptDataException(subject + " is corrupt: malformed LZ4 block ending at byte " + offset, e);
            }
            emit(decoded, 0, n);
        }
        expect(State.BLOCK_SIZE, BLOCK_SIZE_FIELD);
    }

    private void emit(byte[] b, int off, int n) throws IOException {
        if ((flags & FLG_CONTENT_CHECKSUM) != 0) {
            contentHash.update(b, off, n);
        }
        produced += n;
        next.write(b, off, n);
    }

    private void end() {
        if (contentSize >= 0 && contentSize != produced) {
            throw corrupt("LZ4 frame declares " + contentSize + " bytes but holds " + produced);
        }
        state = State.DONE;
        need = 0;
        have = 0;
    }

    private void expect(State s, int n) {
        state = s;
        need = n;
        have = 0;
    }

    @Override
    protected void onFinish() {
        if (state != State.DONE) {
            throw corrupt("truncated LZ4 frame (ends after " + offset + " bytes, in " + state.name().toLowerCase().replace('_', ' ') + ")");
        }
    }

    private CorruptDataException corrupt(String what) {
        return new CorruptDataException(subject + " is corrupt: " + what);
    }
}
