package io.walvault.core.replication.wire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.walvault.core.replication.ProtocolException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class MessageReaderTest {

    private static MessageReader reader(byte... bytes) {
        return new MessageReader(Unpooled.wrappedBuffer(bytes), "Test");
    }

    @Test
    void readsBigEndianFieldsAndStrings() {
        ByteBuf b = Unpooled.buffer().writeByte(7).writeShort(-2).writeInt(0x01020304).writeLong(-5L)
                .writeBytes("abc\0".getBytes(StandardCharsets.UTF_8)).writeBytes(new byte[] {9, 8});
        MessageReader r = new MessageReader(b, "Test");
        assertEquals(7, r.int8("a"));
        assertEquals(-2, r.int16("b"));
        assertEquals(0x01020304, r.int32("c"));
        assertEquals(-5L, r.int64("d"));
        assertEquals("abc", r.cstring("e"));
        assertEquals(2, r.remaining());
        assertEquals(9, r.slice(1, "f").getByte(0));
        r.bytes(1, "g");
        r.end();
    }

    @Test
    void missingBytesAreAProtocolError() {
        ProtocolException e = assertThrows(ProtocolException.class, () -> reader((byte) 1, (byte) 2, (byte) 3).int32("length"));
        assertTrue(e.getMessage().startsWith("Test message too short: length needs 4 bytes, 3 left"), e.getMessage());
        assertThrows(ProtocolException.class, () -> reader().int8("x"));
        assertThrows(ProtocolException.class, () -> reader(new byte[7]).int64("x"));
        assertThrows(ProtocolException.class, () -> reader((byte) 1).bytes(2, "x"));
        assertThrows(ProtocolException.class, () -> reader((byte) 1).slice(-1, "x"), "a negative length from the wire");
    }

    @Test
    void unterminatedStringIsAProtocolError() {
        ProtocolException e = assertThrows(ProtocolException.class, () -> reader((byte) 'a', (byte) 'b').cstring("name"));
        assertTrue(e.getMessage().contains("unterminated string in name"), e.getMessage());
    }

    @Test
    void leftoverBytesAreAProtocolError() {
        MessageReader r = reader((byte) 0, (byte) 1, (byte) 0xAB);
        r.int16("x");
        ProtocolException e = assertThrows(ProtocolException.class, r::end);
        assertTrue(e.getMessage().contains("1 unexpected bytes at its end (ab)"), e.getMessage());
    }
}
