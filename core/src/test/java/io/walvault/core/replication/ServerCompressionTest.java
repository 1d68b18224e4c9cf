package io.walvault.core.replication;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ServerCompressionTest {

    @Test
    void readsPgBasebackupsDetailForms() {
        assertFalse(ServerCompression.parse("off").enabled());
        assertEquals("", ServerCompression.parse("off").commandOptions());
        assertEquals(", COMPRESSION 'lz4'", ServerCompression.parse("lz4").commandOptions());
        assertEquals(", COMPRESSION 'lz4', COMPRESSION_DETAIL 'level=3'", ServerCompression.parse("LZ4:3").commandOptions());
        assertEquals(", COMPRESSION 'zstd', COMPRESSION_DETAIL 'level=1,workers=2'",
                ServerCompression.parse("zstd:level=1,workers=2").commandOptions());
        assertEquals(", COMPRESSION 'gzip', COMPRESSION_DETAIL 'level=1'", ServerCompression.parse("gzip:level=1").commandOptions());
        assertEquals("zstd:level=1,workers=2", ServerCompression.parse("zstd:level=1,workers=2").toString());
        assertEquals("lz4", ServerCompression.parse("lz4").toString());
        assertEquals(".zst", ServerCompression.parse("zstd").method().suffix());
    }

    @Test
    void badValuesSayWhatIsWrong() {
        for (String bad : new String[] {"brotli", "lz4:13", "gzip:0", "lz4:workers=2", "zstd:level=x", "zstd:speed=3",
                "zstd:level=23"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ServerCompression.parse(bad), bad);
            assertTrue(e.getMessage().length() > 10, e.getMessage());
        }
    }

    @Test
    void onlyFifteenAndNewerAreAskedToCompress() {
        BaseBackupOptions o = BaseBackupOptions.defaults().compression(ServerCompression.parse("lz4"));
        assertTrue(o.command(15).contains("COMPRESSION 'lz4'"), o.command(15));
        assertFalse(o.command(14).contains("COMPRESSION"), o.command(14));
        assertFalse(o.compressionFor(14).enabled());
    }
}
