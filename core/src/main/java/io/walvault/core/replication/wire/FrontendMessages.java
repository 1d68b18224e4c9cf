package io.walvault.core.replication.wire;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * Encodes the messages walvault sends (protocol 3.0). Each method returns a new buffer that the
 * caller hands to {@link Transport#send}. Big-endian, lengths include themselves.
 */
public final class FrontendMessages {

    /** Protocol 3.0: all of PostgreSQL 14 to 18 speak it. */
    public static final int PROTOCOL_3_0 = 196608;
    /** The SSLRequest code. */
    public static final int SSL_REQUEST_CODE = 80877103;

    private FrontendMessages() {
    }

    private static ByteBufAllocator alloc() {
        return ByteBufAllocator.DEFAULT;
    }

    public static ByteBuf sslRequest() {
        return alloc().buffer(8).writeInt(8).writeInt(SSL_REQUEST_CODE);
    }

    /** StartupMessage with the given parameters (user, replication, application_name...). */
    public static ByteBuf startup(Map<String, String> parameters) {
        ByteBuf b = alloc().buffer();
        b.writeInt(0).writeInt(PROTOCOL_3_0);
        parameters.forEach((k, v) -> {
            cstring(b, k);
            cstring(b, v);
        });
        b.writeByte(0);
        b.setInt(0, b.readableBytes());
        return b;
    }

    /** PasswordMessage ('p'): a cleartext or md5 password. */
    public static ByteBuf password(String password) {
        ByteBuf b = typed('p');
        cstring(b, password);
        return finish(b);
    }

    /** SASLInitialResponse ('p'): mechanism and the client-first message. */
    public static ByteBuf saslInitialResponse(String mechanism, byte[] clientFirst) {
        ByteBuf b = typed('p');
        cstring(b, mechanism);
        b.writeInt(clientFirst.length).writeBytes(clientFirst);
        return finish(b);
    }

    /** SASLResponse ('p'): the client-final message. */
    public static ByteBuf saslResponse(byte[] clientFinal) {
        ByteBuf b = typed('p');
        b.writeBytes(clientFinal);
        return finish(b);
    }

    /** Query ('Q'): one simple-protocol command. */
    public static ByteBuf query(String sql) {
        ByteBuf b = typed('Q');
        cstring(b, sql);
        return finish(b);
    }

    /** CopyData ('d') wrapping {@code payload}, which is released. */
    public static ByteBuf copyData(ByteBuf payload) {
        ByteBuf b = alloc().buffer(5 + payload.readableBytes());
        b.writeByte('d').writeInt(4 + payload.readableBytes()).writeBytes(payload);
        payload.release();
        return b;
    }

    /** CopyData ('d') carrying {@code len} bytes of {@code data} from {@code off}. */
    public static ByteBuf copyData(byte[] data, int off, int len) {
        ByteBuf b = alloc().buffer(5 + len);
        b.writeByte('d').writeInt(4 + len).writeBytes(data, off, len);
        return b;
    }

    public static ByteBuf copyDone() {
        return alloc().buffer(5).writeByte('c').writeInt(4);
    }

    public static ByteBuf terminate() {
        return alloc().buffer(5).writeByte('X').writeInt(4);
    }

    /**
     * The standby status update ('r') CopyData payload: write, flush and apply positions (the
     * byte after the last one), the client clock (microseconds since 2000-01-01) and whether the
     * server should answer at once.
     */
    public static ByteBuf standbyStatusUpdate(long write, long flush, long apply, long clockMicros, boolean replyRequested) {
        ByteBuf p = alloc().buffer(34);
        p.writeByte('r').writeLong(write).writeLong(flush).writeLong(apply).writeLong(clockMicros)
                .writeByte(replyRequested ? 1 : 0);
        return copyData(p);
    }

    private static ByteBuf typed(char type) {
        return alloc().buffer().writeByte(type).writeInt(0);
    }

    private static ByteBuf finish(ByteBuf b) {
        b.setInt(1, b.readableBytes() - 1);
        return b;
    }

    private static void cstring(ByteBuf b, String s) {
        b.writeCharSequence(s, StandardCharsets.UTF_8);
        b.writeByte(0);
    }
}
