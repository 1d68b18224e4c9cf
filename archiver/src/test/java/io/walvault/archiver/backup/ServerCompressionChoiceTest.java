package io.walvault.archiver.backup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.walvault.archiver.ArchiverSettingNames;
import io.walvault.core.config.Settings;
import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;
import io.walvault.core.replication.ServerCompression;
import java.util.Map;
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

    @Test
    void theSettingDefaultsToAutoAndABadValueSaysWhereItCameFrom() {
        assertTrue(ServerCompressionChoice.from(settings(Map.of())).isAuto());
        assertEquals("zstd:level=1,workers=2", ServerCompressionChoice.from(settings(Map.of("WALVAULT_BACKUP_SERVER_COMPRESSION",
                "zstd:level=1,workers=2"))).toString());
        WalvaultException e = assertThrows(WalvaultException.class,
                () -> ServerCompressionChoice.from(settings(Map.of("WALVAULT_BACKUP_SERVER_COMPRESSION", "fast"))));
        assertEquals(ErrorCode.CONFIG, e.code());
        assertTrue(e.getMessage().contains("WALVAULT_BACKUP_SERVER_COMPRESSION") && e.getMessage().contains("HINT: auto, off"),
                e.getMessage());
    }

    private static Settings settings(Map<String, String> environment) {
        return Settings.load(ArchiverSettingNames.NAMES, Map.of(), null, environment);
    }
}
