package io.walvault.core.replication.wire;

import static java.util.Objects.requireNonNull;

import io.netty.buffer.ByteBuf;

/**
 * One message from the server: its type byte and its body (without the length word). Holds a
 * reference to a Netty buffer: the receiver {@link #close() closes} it when done; the body is
 * not valid afterwards.
 */
public final class BackendMessage implements AutoCloseable {

    private final byte type;
    private final ByteBuf body;

    public BackendMessage(byte type, ByteBuf body) {
        this.type = type;
        this.body = requireNonNull(body, "body is null");
    }

    /** The type byte, such as {@code 'D'} for DataRow. */
    public char type() {
        return (char) type;
    }

    /** The body; its reader index advances as it is read. */
    public ByteBuf body() {
        return body;
    }

    /** A strict reader over the body, naming the message {@code what} in errors. */
    public MessageReader reader(String what) {
        return new MessageReader(body, what);
    }

    @Override
    public void close() {
        if (body.refCnt() > 0) {
            body.release();
        }
    }

    @Override
    public String toString() {
        return "'" + type() + "' (" + body.readableBytes() + " bytes)";
    }
}
