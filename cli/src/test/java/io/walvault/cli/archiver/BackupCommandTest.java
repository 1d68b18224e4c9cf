package io.walvault.cli.archiver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.walvault.archiver.backup.BackupOptions;
import org.junit.jupiter.api.Test;

class BackupCommandTest {

    @Test
    void maxRateTakesKilobytesOrASuffix() {
        assertEquals(500, BackupCommand.parseRate("500"));
        assertEquals(500, BackupCommand.parseRate("500k"));
        assertEquals(20 * 1024, BackupCommand.parseRate("20M"));
        assertEquals(1048576, BackupCommand.parseRate("1024M"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> BackupCommand.parseRate("31"));
        assertTrue(e.getMessage().contains("outside 32k to 1024M"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> BackupCommand.parseRate("2G"));
        assertThrows(IllegalArgumentException.class, () -> BackupCommand.parseRate("1025M"));
    }

    @Test
    void optionsAreBounded() {
        assertEquals(64L * 1024 * 1024, BackupOptions.defaults().bundleSize());
        assertThrows(IllegalArgumentException.class, () -> BackupOptions.defaults().bundleSize(1000));
        assertThrows(IllegalArgumentException.class, () -> BackupOptions.defaults().uploads(0));
        assertThrows(IllegalArgumentException.class, () -> BackupOptions.defaults().uploads(17));
    }
}
