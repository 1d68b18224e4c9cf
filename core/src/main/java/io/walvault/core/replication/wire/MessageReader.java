package io.walvault.core.replication.wire;

import static java.util.Objects.requireNonNull;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.walvault.core.replication.ProtocolException;
import java.nio.charset.StandardCharsets;

/**
 * Strict, bounds-checked reading of one message body (or CopyData payload): every read checks
 * that the bytes are there, and {@link #end()} checks that none are left over. Any violation is a
 * {@link ProtocolException} naming the message ({@code "DataRow"}, {@code "XLogData"}...).
 * In the style of pg_basebackup's {@code GetCopyData*} functions.
 *
 * <p>Reads from the buffer's reader index; does not own or release it. Not thread-safe.
 */
public final class MessageReader {

    private final ByteBuf buf;
    private final String what;

    public MessageReader(ByteBuf buf, String what) {
        this.buf = requireNonNull(buf, "buf is null");
        this.what = requireNonNull(what, "what is null");
    }

    private void need(int n, String field) {
        if (n < 0 || buf.readableBytes() < n) {
            throw new ProtocolException(what + " message too short: " + field + " needs " + n
                    + " bytes, " + buf.readableBytes() + " left");
        }
    }

    public int int8(String field) {
        need(1, field);
        return buf.readUnsignedByte();
    }

    public int int16(String field) {
        need(2, field);
        return buf.readShort();
    }

    public int int32(String field) {
        need(4, field);
        return buf.readInt();
    }

    public long int64(String field) {
        need(8, field);
        return buf.readLong();
    }

    /** A NUL-terminated UTF-8 string. */
    public String cstring(String field) {
        int nul = buf.indexOf(buf.readerIndex(), buf.writerIndex(), (byte) 0);
        if (nul < 0) {
            throw new ProtocolException(what + " message has an unterminated string in " + field);
        }
        String s = buf.toString(buf.readerIndex(), nul - buf.readerIndex(), StandardCharsets.UTF_8);
        buf.readerIndex(nul + 1);
        return s;
    }

    /** The next {@code n} bytes as a slice of the same buffer (not retained). */
    public ByteBuf slice(int n, String field) {
        need(n, field);
        return buf.readSlice(n);
    }

    public byte[] bytes(int n, String field) {
        need(n, field);
        byte[] out = new byte[n];
        buf.readBytes(out);
        return out;
    }

    /** Everything that is left, as a slice (not retained). */
    public ByteBuf rest() {
        return buf.readSlice(buf.readableBytes());
    }

    public int remaining() {
        return buf.readableBytes();
    }

    /** Checks that the message has been read completely. */
    public void end() {
        if (buf.isReadable()) {
            int n = Math.min(16, buf.readableBytes());
            throw new ProtocolException(what + " message has " + buf.readableBytes() + " unexpected bytes at its end ("
                    + ByteBufUtil.hexDump(buf, buf.readerIndex(), n) + (n < buf.readableBytes() ? "..." : "") + ")");
        }
    }
}
