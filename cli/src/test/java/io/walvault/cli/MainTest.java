package io.walvault.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.walvault.core.Version;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

class MainTest {

    private record Run(int exitCode, String out, String err) {
    }

    private static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void versionNamesWalvaultAndItsVersion() {
        Run r = run("--version");
        assertEquals(0, r.exitCode());
        assertTrue(r.out().startsWith("walvault " + Version.get()), r.out());
        assertFalse(Version.get().contains("${"), "version was filtered by the build: " + Version.get());
    }

    @Test
    void helpListsCommandsAndExitCodes() {
        Run r = run("--help");
        assertEquals(0, r.exitCode());
        assertTrue(r.out().contains("Commands:"), r.out());
        assertTrue(r.out().contains("Exit codes:"), r.out());
        for (io.walvault.core.error.ErrorCode c : io.walvault.core.error.ErrorCode.values()) {
            assertTrue(r.out().contains(String.format("%2d  %s", c.exitCode(), c.summary())), c + " listed: " + r.out());
        }
    }

    @Test
    void unknownOptionIsAUsageErrorWithAHint() {
        Run r = run("--no-such-option");
        assertEquals(2, r.exitCode());
        assertTrue(r.err().contains("Unknown option: '--no-such-option'"), r.err());
        assertTrue(r.err().contains("HINT: run 'walvault --help'"), r.err());
        assertFalse(r.err().contains("\tat "), "no stack trace for a usage error: " + r.err());
    }
}
