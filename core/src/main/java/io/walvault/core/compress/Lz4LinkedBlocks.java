package io.walvault.core.compress;

import io.walvault.core.error.CorruptDataException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * Decodes the blocks of an LZ4 frame whose blocks are linked (a match may reach up to 64 KiB
 * back into the blocks before it), the mode PostgreSQL's server-side LZ4 compression writes
 * (BASE_BACKUP {@code COMPRESSION 'lz4'}). The LZ4 library walvault uses decodes only
 * independent blocks, so this is a plain, bounds-checked decoder of the LZ4 block format that
 * decodes each block into a window holding the previous 64 KiB.
 *
 * <p>Memory: the window, 64 KiB plus four blocks of the frame's maximum size; decoded bytes are
 * moved to its front only once every four blocks.
 */
final class Lz4LinkedBlocks {

    /** How far back a match may reach (the LZ4 block format's 16-bit offsets). */
    static final int HISTORY = 64 * 1024;
    private static final int MIN_MATCH = 4;
    /** The bytes a short literal run or match is copied in (two longs), scratch included. */
    private static final int WILD = 16;
    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    private final byte[] window;
    private final int blockMax;
    private int pos;

    Lz4LinkedBlocks(int blockMax) {
        this.blockMax = blockMax;
        this.window = new byte[HISTORY + 4 * blockMax];
        this.pos = 0;
    }

    /** Where the window holds what the last call decoded. */
    byte[] window() {
        return window;
    }

    /** Where the {@code n} bytes the last call decoded start in {@link #window()}. */
    int start(int n) {
        return pos - n;
    }

    /** Makes room for the next block; returns where it starts. */
    private int next() {
        if (pos + blockMax > window.length) {
            System.arraycopy(window, pos - HISTORY, window, 0, HISTORY);
            pos = HISTORY;
        }
        return pos;
    }

    /** Appends a block stored uncompressed (it is history for the blocks after it); returns its length. */
    int stored(byte[] src, int off, int len) {
        int at = next();
        System.arraycopy(src, off, window, at, len);
        pos = at + len;
        return len;
    }

    /**
     * Decodes one compressed block from {@code src[off, off + len)} after the blocks before it;
     * returns how many bytes it decoded. A malformed block (a length past either end, a match
     * before the window or with offset 0) is a {@link CorruptDataException} saying what is wrong.
     */
    int decode(byte[] src, int off, int len) {
        int at = next();
        int n = decode(src, off, len, window, at, blockMax, Math.max(0, at - HISTORY));
        pos = at + n;
        return n;
    }

    /**
     * The LZ4 block format: sequences of a token (literal length, match length), the literals,
     * a two-byte little-endian offset and extra match length bytes; the last sequence has
     * literals only. Matches may reach back to {@code low} and may overlap what they write.
     *
     * <p>Most sequences are short (a few literals, a match of a few bytes): those are copied in
     * 8-byte words, which may write a few bytes of scratch past the sequence's end, never past
     * {@code dOff + dMax} (the next sequence overwrites them), and read literals only inside the
     * block; a short match copied so is at least 8 bytes back, so each word reads only bytes
     * written before it. Everything else takes the bounds-checked copies.
     */
    static int decode(byte[] src, int off, int len, byte[] dst, int dOff, int dMax, int low) {
        int s = off;
        int sEnd = off + len;
        int d = dOff;
        int dEnd = dOff + dMax;
        if (len == 0) {
            throw malformed("an empty compressed block");
        }
        while (true) {
            int token = src[s++] & 0xFF;
            int literals = token >>> 4;
            if (literals < 15 && sEnd - s >= WILD && dEnd - d >= WILD) {
                // up to 14 literals, with room on both sides: one 16-byte copy
                LONGS.set(dst, d, (long) LONGS.get(src, s));
                LONGS.set(dst, d + 8, (long) LONGS.get(src, s + 8));
            } else {
                if (literals == 15) {
                    int b;
                    do {
                        if (s >= sEnd) {
                            throw malformed("a literal length past the end of the block");
                        }
                        b = src[s++] & 0xFF;
                        literals += b;
                    } while (b == 255 && literals < dMax);
                }
                if (literals > sEnd - s || literals > dEnd - d) {
                    throw malformed("literals past the end of the block");
                }
                System.arraycopy(src, s, dst, d, literals);
            }
            s += literals;
            d += literals;
            if (s == sEnd) {
                return d - dOff; // the last sequence: literals only
            }
            if (sEnd - s < 2) {
                throw malformed("a match offset past the end of the block");
            }
            int offset = (src[s] & 0xFF) | (src[s + 1] & 0xFF) << 8;
            s += 2;
            if (offset == 0 || d - offset < low) {
                throw malformed("a match " + offset + " bytes back, before the data it may refer to");
            }
            int match = token & 0x0F;
            if (match == 15) {
                int b;
                do {
                    if (s >= sEnd) {
                        throw malformed("a match length past the end of the block");
                    }
                    b = src[s++] & 0xFF;
                    match += b;
                } while (b == 255 && match < dMax);
            }
            match += MIN_MATCH;
            if (match > dEnd - d) {
                throw malformed("a match past the end of the block's maximum size");
            }
            int from = d - offset;
            if (offset >= 8 && match <= WILD + MIN_MATCH && dEnd - d >= WILD + 8) {
                // a short match at least 8 bytes back: each 8-byte copy reads only bytes written before it
                LONGS.set(dst, d, (long) LONGS.get(dst, from));
                LONGS.set(dst, d + 8, (long) LONGS.get(dst, from + 8));
                if (match > WILD) {
                    LONGS.set(dst, d + 16, (long) LONGS.get(dst, from + 16));
                }
            } else if (offset >= match) {
                System.arraycopy(dst, from, dst, d, match);
            } else {
                // overlapping: the bytes repeat with period offset; copy whole periods, doubling
                int copied = 0;
                while (copied < match) {
                    int n = Math.min(offset + copied, match - copied);
                    System.arraycopy(dst, from, dst, d + copied, n);
                    copied += n;
                }
            }
            d += match;
            if (s >= sEnd) {
                throw malformed("a block that ends with a match instead of literals");
            }
        }
    }

    private static CorruptDataException malformed(String what) {
        return new CorruptDataException("malformed LZ4 block (" + what + ")");
    }
}
