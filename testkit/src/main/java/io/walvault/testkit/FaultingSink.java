package io.walvault.testkit;

import java.io.IOException;
import java.io.OutputStream;

/**
 * The byte-level faults of {@link FaultProxy} on one message on its way out: counts the raw
 * bytes (head, chunk framing and payload) and the payload ("content") bytes written, flips
 * payload bytes in a range, and stops the message with {@link Cut} after a number of raw or
 * payload bytes, having flushed exactly the bytes before the cut.
 */
final class FaultingSink implements BodyRelay.Sink {

    /** The message was cut short on purpose; {@link #reset} says how the connection must end. */
    static final class Cut extends IOException {
        private static final long serialVersionUID = 1L;

        /** True: end the connection with a TCP reset; false: with an orderly close (FIN). */
        final boolean reset;

        Cut(boolean reset, String message) {
            super(message);
            this.reset = reset;
        }
    }

    private final OutputStream out;
    private final long rawLimit;
    private final long contentLimit;
    private final long corruptFrom;
    private final long corruptTo;
    private long raw;
    private long content;
    private long corrupted;

    private FaultingSink(OutputStream out, long rawLimit, long contentLimit, long corruptFrom, long corruptTo) {
        this.out = out;
        this.rawLimit = rawLimit;
        this.contentLimit = contentLimit;
        this.corruptFrom = corruptFrom;
        this.corruptTo = corruptTo;
    }

    /** Passes everything on; {@code out} null drops it. */
    static FaultingSink plain(OutputStream out) {
        return new FaultingSink(out, Long.MAX_VALUE, Long.MAX_VALUE, 0, 0);
    }

    /** Passes {@code rawBytes} bytes on, then cuts with a reset. */
    static FaultingSink resetAfter(OutputStream out, long rawBytes) {
        return new FaultingSink(out, rawBytes, Long.MAX_VALUE, 0, 0);
    }

    /** Passes the head and {@code contentBytes} payload bytes on, then cuts with an orderly close. */
    static FaultingSink truncateAfter(OutputStream out, long contentBytes) {
        return new FaultingSink(out, Long.MAX_VALUE, contentBytes, 0, 0);
    }

    /** Passes everything on with every bit of payload bytes {@code offset} to {@code offset + count - 1} flipped. */
    static FaultingSink corrupt(OutputStream out, long offset, int count) {
        return new FaultingSink(out, Long.MAX_VALUE, Long.MAX_VALUE, offset, offset + count);
    }

    /** Writes a message head (raw bytes, never payload). */
    void head(byte[] head) throws IOException {
        write(head, 0, head.length, false);
    }

    @Override
    public void write(byte[] b, int off, int len, boolean isContent) throws IOException {
        int n = len;
        boolean truncate = false;
        if (isContent) {
            if (content + n > contentLimit) {
                n = (int) (contentLimit - content);
                truncate = true;
            }
            long from = Math.max(content, corruptFrom);
            long to = Math.min(content + n, corruptTo);
            for (long p = from; p < to; p++) {
                b[off + (int) (p - content)] ^= (byte) 0xff;
                corrupted++;
            }
            content += n;
        }
        if (raw + n > rawLimit) {
            int allowed = (int) (rawLimit - raw);
            emit(b, off, allowed);
            flush();
            throw new Cut(true, "reset after " + rawLimit + " bytes");
        }
        emit(b, off, n);
        if (truncate) {
            flush();
            throw new Cut(false, "body cut after " + contentLimit + " bytes");
        }
    }

    private void emit(byte[] b, int off, int n) throws IOException {
        raw += n;
        if (out != null && n > 0) {
            out.write(b, off, n);
        }
    }

    /** Flushes what was written (before a cut, so the peer gets exactly those bytes). */
    void flush() throws IOException {
        if (out != null) {
            out.flush();
        }
    }

    long rawBytes() {
        return raw;
    }

    long contentBytes() {
        return content;
    }

    long corrupted() {
        return corrupted;
    }
}
