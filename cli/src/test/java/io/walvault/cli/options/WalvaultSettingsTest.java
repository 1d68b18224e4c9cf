package io.walvault.cli.options;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.walvault.cli.Main;
import io.walvault.core.config.Settings;
import io.walvault.core.error.ErrorCode;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The executable knows every module's settings, by the one precedence, and no others. */
class WalvaultSettingsTest {

    @TempDir
    Path dir;

    @Test
    void everyModulesNamesTheCommandsOptionsAndNoOthers() {
        Set<String> expected = new TreeSet<>(CommandSettingNames.NAMES.names());
        expected.addAll(Set.of("repo", "compression", "encryption", "passphrase", "passphrase-file",
                "public-key-file", "private-key-file", "s3-endpoint", "s3-region", "s3-path-style", "s3-storage-class",
                "s3-sse", "s3-kms-key-id", "s3-checksums", "s3-conditional-write", "s3-chunked-encoding", "s3-part-size",
                "s3-part-concurrency", "s3-max-attempts", "s3-access-key-id", "s3-secret-access-key",
                "system-identifier", "archive-push-look-ahead", "archive-push-parallel", "archive-push-queue-max", "backup-server-compression", "archive-get-prefetch", "archive-get-parallel", "archive-get-spool-max", "log-level", "log-file"));
        assertEquals(expected, WalvaultSettings.NAMES.names());
        assertTrue(WalvaultSettings.NAMES.isSecret("passphrase") && WalvaultSettings.NAMES.isSecret("s3-secret-access-key"));
    }

    @Test
    void flagBeatsEnvironmentBeatsConfigFileForEveryModulesSettings() throws Exception {
        Path c = config("repo = file:///r\narchive-push-look-ahead = 8\narchive-push-parallel = 2\narchive-get-prefetch = 4\n");
        Settings s = WalvaultSettings.load(Map.of("archive-push-look-ahead", "16"), c,
                Map.of("WALVAULT_ARCHIVE_PUSH_LOOK_AHEAD", "32", "WALVAULT_ARCHIVE_GET_PREFETCH", "0"));
        assertEquals("16", s.get("archive-push-look-ahead").orElseThrow());
        assertEquals("0", s.get("archive-get-prefetch").orElseThrow());
        assertEquals("WALVAULT_ARCHIVE_GET_PREFETCH", s.source("archive-get-prefetch"));
        assertEquals("2", s.get("archive-push-parallel").orElseThrow());
        assertEquals("file:///r", s.get("repo").orElseThrow());
        assertTrue(s.get("system-identifier").isEmpty());
    }

    @Test
    void anUnknownNameInTheConfigFileIsRefusedByEveryCommand() throws Exception {
        Path c = config("repo = " + dir.resolve("repo").toUri() + "\narchive-push-lookahead = 8\n");
        // archive-push's command line is parsed without picocli (Main's fast path): the same answer
        for (String[] args : new String[][] {{"init", "--config", c.toString()}, {"info", "--config", c.toString()}, {"expire", "--config", c.toString(), "--retain-full", "1"},
                {"archive-push", "--config", c.toString(), "pg_wal/000000010000000000000001"}}) {
            StringWriter out = new StringWriter();
            StringWriter err = new StringWriter();
            int code = Main.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
            assertEquals(ErrorCode.CONFIG.exitCode(), code, args[0] + ": " + err);
            assertTrue(err.toString().contains("walvault: error: config file '" + c + "' line 2: unknown setting"
                    + " 'archive-push-lookahead' HINT: did you mean 'archive-push-look-ahead'?"), args[0] + ": " + err);
        }
    }

    private Path config(String text) throws Exception {
        Path p = dir.resolve("walvault.conf");
        Files.writeString(p, text);
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rw-------"));
        return p;
    }
}
