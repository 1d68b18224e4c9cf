package io.walvault.testkit;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.ProtocolException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The head of one HTTP/1.1 message (start line and header fields) exactly as it came off the
 * wire, for {@link FaultProxy}: {@link #raw()} is forwarded unchanged (SigV4 signs the Host
 * header and others), the parsed fields only decide how the body is framed.
 */
final class HttpHead {

    /** Longer heads are refused: S3 requests and answers stay far below. */
    static final int MAX_HEAD = 64 * 1024;

    /** How a message body is delimited. */
    enum Kind { NONE, LENGTH, CHUNKED, UNTIL_CLOSE }

    /** A body's framing: {@code length} counts for {@link Kind#LENGTH} only. */
    record Framing(Kind kind, long length) {
        static final Framing NONE = new Framing(Kind.NONE, 0);

        boolean hasBody() {
            return kind != Kind.NONE;
        }
    }

    private final byte[] raw;
    private final String startLine;
    private final List<String[]> fields;

    private HttpHead(byte[] raw, String startLine, List<String[]> fields) {
        this.raw = raw;
        this.startLine = startLine;
        this.fields = fields;
    }

    /**
     * Reads one head up to and including its empty line; null when the stream ends before the
     * first byte (the peer closed an idle connection).
     */
    static HttpHead read(InputStream in) throws IOException {
        ByteArrayOutputStream buf = new ByteArrayOutputStream(512);
        int c = in.read();
        while (c == '\r' || c == '\n') { // empty lines before a request line are allowed
            c = in.read();
        }
        if (c < 0) {
            return null;
        }
        int lineLength = 0;
        while (true) {
            if (c < 0) {
                throw new EOFException("connection closed inside an http head after " + buf.size() + " bytes");
            }
            buf.write(c);
            if (buf.size() > MAX_HEAD) {
                throw new ProtocolException("http head longer than " + MAX_HEAD + " bytes");
            }
            if (c == '\n') {
                if (lineLength == 0) {
                    break;
                }
                lineLength = 0;
            } else if (c != '\r') {
                lineLength++;
            }
            c = in.read();
        }
        return parse(buf.toByteArray());
    }

    static HttpHead parse(byte[] raw) throws ProtocolException {
        String text = new String(raw, StandardCharsets.ISO_8859_1);
        String[] lines = text.split("\r?\n");
        if (lines.length == 0 || lines[0].isEmpty()) {
            throw new ProtocolException("http head without a start line");
        }
        List<String[]> fields = new ArrayList<>();
        for (int i = 1; i < lines.length; i++) {
            String line = lines[i];
            if (line.isEmpty()) {
                continue;
            }
            int colon = line.indexOf(':');
            if (colon <= 0) {
                throw new ProtocolException("malformed http header line '" + line + "'");
            }
            fields.add(new String[] {line.substring(0, colon).strip(), line.substring(colon + 1).strip()});
        }
        return new HttpHead(raw, lines[0], fields);
    }

    /** The bytes as read, empty line included. */
    byte[] raw() {
        return raw;
    }

    String startLine() {
        return startLine;
    }

    /** The first value of header {@code name} (any case), or null. */
    String header(String name) {
        for (String[] f : fields) {
            if (f[0].equalsIgnoreCase(name)) {
                return f[1];
            }
        }
        return null;
    }

    /** Whether some {@code name} header lists {@code token} (comma-separated, any case). */
    boolean hasToken(String name, String token) {
        for (String[] f : fields) {
            if (f[0].equalsIgnoreCase(name)) {
                for (String t : f[1].split(",")) {
                    if (t.strip().equalsIgnoreCase(token)) {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    /** The request method (request heads only). */
    String method() {
        int sp = startLine.indexOf(' ');
        return sp < 0 ? startLine : startLine.substring(0, sp);
    }

    /** The request target as sent, path and query (request heads only). */
    String target() {
        String[] parts = startLine.split(" ");
        return parts.length < 2 ? "" : parts[1];
    }

    /** The status code (response heads only). */
    int status() throws ProtocolException {
        String[] parts = startLine.split(" ", 3);
        if (parts.length < 2 || !parts[0].startsWith("HTTP/")) {
            throw new ProtocolException("malformed http status line '" + startLine + "'");
        }
        try {
            return Integer.parseInt(parts[1]);
        } catch (NumberFormatException e) {
            throw new ProtocolException("malformed http status line '" + startLine + "'");
        }
    }

    /** HTTP/1.0 on the start line (persistent connections only when asked for). */
    boolean http10() {
        return startLine.startsWith("HTTP/1.0") || startLine.endsWith("HTTP/1.0");
    }

    /** Whether the sender closes the connection after this message. */
    boolean closes() {
        return hasToken("Connection", "close") || (http10() && !hasToken("Connection", "keep-alive"));
    }

    boolean expectsContinue() {
        return hasToken("Expect", "100-continue");
    }

    /** How the body of a request with this head is framed (RFC 9112, 6.3). */
    Framing requestFraming() throws ProtocolException {
        if (chunked()) {
            return new Framing(Kind.CHUNKED, 0);
        }
        long length = contentLength();
        return length > 0 ? new Framing(Kind.LENGTH, length) : Framing.NONE;
    }

    /** How the body of a response with this head is framed, {@code requestMethod} being the request's. */
    Framing responseFraming(String requestMethod) throws ProtocolException {
        int status = status();
        if ("HEAD".equals(requestMethod) || status < 200 || status == 204 || status == 304) {
            return Framing.NONE;
        }
        if (chunked()) {
            return new Framing(Kind.CHUNKED, 0);
        }
        long length = contentLength();
        if (length >= 0) {
            return length == 0 ? Framing.NONE : new Framing(Kind.LENGTH, length);
        }
        return new Framing(Kind.UNTIL_CLOSE, 0);
    }

    /** The head with {@code Connection: close} in place of any Connection header. */
    byte[] withConnectionClose() {
        StringBuilder b = new StringBuilder(raw.length + 24).append(startLine).append("\r\n");
        for (String[] f : fields) {
            if (!f[0].equalsIgnoreCase("Connection")) {
                b.append(f[0]).append(": ").append(f[1]).append("\r\n");
            }
        }
        return b.append("Connection: close\r\n\r\n").toString().getBytes(StandardCharsets.ISO_8859_1);
    }

    private boolean chunked() {
        String te = header("Transfer-Encoding");
        if (te == null) {
            return false;
        }
        String[] codings = te.split(",");
        return codings[codings.length - 1].strip().toLowerCase(Locale.ROOT).equals("chunked");
    }

    private long contentLength() throws ProtocolException {
        String cl = header("Content-Length");
        if (cl == null) {
            return -1;
        }
        try {
            long n = Long.parseLong(cl.strip());
            if (n < 0) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            throw new ProtocolException("malformed Content-Length '" + cl + "'");
        }
    }

    @Override
    public String toString() {
        return startLine;
    }
}
