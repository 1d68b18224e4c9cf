package io.walvault.cli.archiver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ArchivePushCommandTest {

    @Test
    void plainCommandLinesAreParsedWithoutPicocli() {
        ArchivePushCommand.Direct d = ArchivePushCommand.parseDirect(new String[] {"--repo", "file:///r", "--look-ahead=8",
                "--system-identifier", "74", "--s3-region=eu-west-1", "--config", "/etc/w.conf", "pg_wal/000000010000000000000001"})
                .orElseThrow();
        assertEquals(Path.of("pg_wal/000000010000000000000001"), d.file());
        assertEquals(Path.of("/etc/w.conf"), d.config());
        assertEquals(Map.of("repo", "file:///r", "archive-push-look-ahead", "8", "system-identifier", "74",
                "s3-region", "eu-west-1"), d.settings());
        ArchivePushCommand.Direct fileFirst = ArchivePushCommand.parseDirect(new String[] {"f", "--parallel", "2"}).orElseThrow();
        assertEquals(Path.of("f"), fileFirst.file());
        assertEquals(Map.of("archive-push-parallel", "2"), fileFirst.settings());
        assertEquals(null, fileFirst.config());
    }

    @Test
    void anythingElseIsLeftToPicocli() {
        for (String[] args : new String[][] {
                {}, {"--help"}, {"-h", "f"}, {"--version"}, {"--watch", "f"}, {"f", "--watch"}, {"--repo", "x"},
                {"--repo"}, {"--repo", "x", "--repo", "y", "f"}, {"--no-such-option", "x", "f"}, {"f", "g"},
                {"--repo", "-x", "f"}, {"--passphrase", "secret", "f"}, {"--", "f"}, {"-repo", "x", "f"}}) {
            assertTrue(ArchivePushCommand.parseDirect(args).isEmpty(), String.join(" ", args));
        }
    }
}
