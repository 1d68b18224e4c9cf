package io.walvault.cli;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.walvault.core.error.ErrorCode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** README.md's exit-code table and ErrorCode stay in step: users and scripts rely on the numbers. */
class ExitCodesDocumentedTest {

    @Test
    void everyErrorCodeIsInTheReadmeAndNumbersAreUnique() throws IOException {
        Path readme = Path.of(System.getProperty("user.dir")).getParent().resolve("README.md");
        String text = Files.readString(readme);
        Set<Integer> documented = new HashSet<>();
        Matcher m = Pattern.compile("(?m)^\\| (\\d+) \\|").matcher(text.substring(text.indexOf("## Exit codes")));
        while (m.find()) {
            documented.add(Integer.parseInt(m.group(1)));
        }
        Set<Integer> seen = new HashSet<>();
        for (ErrorCode c : ErrorCode.values()) {
            assertTrue(seen.add(c.exitCode()), "exit code " + c.exitCode() + " is used twice");
            assertTrue(documented.contains(c.exitCode()),
                    "exit code " + c.exitCode() + " (" + c + ") is missing from README.md's exit-code table");
            if (c == ErrorCode.RECOVERY_STOPPED) {
                // the one code meant to be fatal: archive-get stops recovery with it rather than let it end early
                assertTrue(c.exitCode() > 125 && c.exitCode() < 256, "exit code " + c.exitCode() + " of " + c
                        + " must be 126-255: PostgreSQL treats only those from restore_command as fatal");
                continue;
            }
            assertTrue(c.exitCode() > 0 && c.exitCode() < 126,
                    "exit code " + c.exitCode() + " must be 1-125 (PostgreSQL treats >125 from archive/restore commands as fatal)");
        }
    }
}
