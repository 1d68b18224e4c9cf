package io.walvault.archiver.backup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.walvault.core.replication.ServerCompression;
import org.junit.jupiter.api.Test;

class ServerCompressionChoiceTest {

    @Test
    void autoAsksForLz4AndAnExplicitChoiceForItself() {
        ServerCompressionChoice auto = ServerCompressionChoice.parse(" Auto ");
        assertTrue(auto.isAuto());
        assertEquals(ServerCompression.Method.LZ4, auto.asked().method());
        assertEquals("auto", auto.toString());
        ServerCompressionChoice off = ServerCompressionChoice.parse("off");
        assertFalse(off.isAuto());
        assertFalse(off.asked().enabled());
        assertEquals("zstd:level=3", ServerCompressionChoice.parse("zstd:3").asked().toString());
        assertThrows(IllegalArgumentException.class, () -> ServerCompressionChoice.parse("fast"));
    }
}
