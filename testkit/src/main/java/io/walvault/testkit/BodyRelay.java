package io.walvault.testkit;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ProtocolException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Copies one HTTP message body for {@link FaultProxy} as raw bytes, in bounded buffers, from
 * a stream to a {@link Sink}, stopping exactly where the body's framing says it ends (so the
 * next message on a persistent connection stays unread). Chunked bodies are passed on with
 * their framing; the sink is told which bytes are payload ("content") and which are chunk
 * sizes, extensions and trailers, so faults can aim at the payload of either framing.
 */
final class BodyRelay {

    private static final int BUFFER = 64 * 1024;
    private static final int MAX_LINE = 8 * 1024;

    /** Where the bytes go; {@code content} tells payload from chunk framing. */
    interface Sink {
        void write(byte[] b, int off, int len, boolean content) throws IOException;
    }

    /** A sink that drops everything. */
    static final Sink DISCARD = (b, off, len, content) -> { };

    private BodyRelay() {
    }

    /** A sink that writes everything to {@code out}. */
    static Sink to(OutputStream out) {
        return (b, off, len, content) -> out.write(b, off, len);
    }

    /** Copies the body framed by {@code framing} from {@code in} to {@code out}. */
    static void copy(InputStream in, HttpHead.Framing framing, Sink out) throws IOException {
        switch (framing.kind()) {
            case NONE:
                return;
            case LENGTH:
                copyExactly(in, framing.length(), out);
                return;
            case UNTIL_CLOSE:
                byte[] buf = new byte[BUFFER];
                for (int n; (n = in.read(buf)) >= 0; ) {
                    out.write(buf, 0, n, true);
                }
                return;
            case CHUNKED:
                copyChunked(in, out);
                return;
            default:
                throw new IllegalStateException("unknown framing " + framing);
        }
    }

    private static void copyExactly(InputStream in, long length, Sink out) throws IOException {
        byte[] buf = new byte[(int) Math.min(BUFFER, Math.max(length, 1))];
        long left = length;
        while (left > 0) {
            int n = in.read(buf, 0, (int) Math.min(buf.length, left));
            if (n < 0) {
                throw new EOFException("connection closed " + left + " bytes before the end of a body of " + length);
            }
            out.write(buf, 0, n, true);
            left -= n;
        }
    }

    private static void copyChunked(InputStream in, Sink out) throws IOException {
        while (true) {
            byte[] line = readLine(in);
            out.write(line, 0, line.length, false);
            String size = new String(line, StandardCharsets.ISO_8859_1).strip();
            int semicolon = size.indexOf(';');
            if (semicolon >= 0) {
                size = size.substring(0, semicolon).strip();
            }
            long n;
            try {
                n = Long.parseLong(size, 16);
            } catch (NumberFormatException e) {
                throw new ProtocolException("malformed chunk size '" + size + "'");
            }
            if (n < 0) {
                throw new ProtocolException("malformed chunk size '" + size + "'");
            }
            if (n == 0) {
                // trailer fields, then the empty line that ends the body
                while (true) {
                    byte[] trailer = readLine(in);
                    out.write(trailer, 0, trailer.length, false);
                    if (trailer.length <= 2 && (trailer.length == 1 || trailer[0] == '\r')) {
                        return;
                    }
                }
            }
            copyExactly(in, n, out);
            byte[] end = readLine(in);
            if (end.length > 2 || (end.length == 2 && end[0] != '\r')) {
                throw new ProtocolException("chunk of " + n + " bytes not followed by a line end");
            }
            out.write(end, 0, end.length, false);
        }
    }

    /** One line, its CRLF (or LF) included. */
    private static byte[] readLine(InputStream in) throws IOException {
        byte[] b = new byte[128];
        int n = 0;
        while (true) {
            int c = in.read();
            if (c < 0) {
                throw new EOFException("connection closed inside a chunked body");
            }
            if (n == b.length) {
                if (n >= MAX_LINE) {
                    throw new ProtocolException("chunk line longer than " + MAX_LINE + " bytes");
                }
                b = Arrays.copyOf(b, n * 2);
            }
            b[n++] = (byte) c;
            if (c == '\n') {
                return Arrays.copyOf(b, n);
            }
        }
    }
}
