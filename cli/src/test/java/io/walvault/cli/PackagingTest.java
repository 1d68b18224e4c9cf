package io.walvault.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * The systemd units in packaging/systemd run command lines walvault accepts: each ExecStart
 * (and ExecStartPost) is parsed by the executable's own command line parser, with systemd's
 * variables replaced by example values, so a renamed command or option breaks this test instead
 * of a server's service. Also the completion script and the "did you mean" of a mistyped command.
 */
class PackagingTest {

    private static final Path UNITS = SourceTree.ROOT.resolve("packaging/systemd");

    @Test
    void everyUnitRunsACommandLineWalvaultAccepts() throws Exception {
        List<Path> units;
        try (Stream<Path> s = Files.list(UNITS)) {
            units = s.filter(p -> p.toString().endsWith(".service")).sorted().toList();
        }
        assertEquals(2, units.size(), units.toString());
        int commands = 0;
        for (Path unit : units) {
            for (String line : Files.readAllLines(unit)) {
                if (!line.startsWith("ExecStart")) {
                    continue;
                }
                String command = line.substring(line.indexOf('=') + 1)
                        .replace("${WALVAULT_SLOT}", "walvault").replace("$WALVAULT_AGENT_OPTS", "--partial-interval 3s")
                        .replace("$WALVAULT_RETENTION", "--retain-window 14d").replace("%i", "main");
                List<String> words = new ArrayList<>(Arrays.asList(command.trim().split("\\s+")));
                assertEquals("/opt/walvault/bin/walvault", words.remove(0), line);
                try {
                    Main.parse(words.toArray(String[]::new)); // parsed in full, nothing run
                } catch (CommandLine.ParameterException e) {
                    throw new AssertionError(unit.getFileName() + ": " + command + ": " + e.getMessage(), e);
                }
                commands++;
            }
        }
        assertEquals(3, commands, "agent; backup and its retention");
    }

    @Test
    void theCompletionScriptKnowsEveryCommandAndAMistypedOneGetsTheNearest() {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        assertEquals(0, Main.run(new String[] {"generate-completion"}, new PrintWriter(out, true), new PrintWriter(err, true)),
                err.toString());
        for (String command : List.of("backup", "restore", "archive-push", "archive-get", "agent", "verify", "expire")) {
            assertTrue(out.toString().contains(command), command + " in the completion script");
        }
        StringWriter typo = new StringWriter();
        int rc = Main.run(new String[] {"bakup"}, new PrintWriter(new StringWriter(), true), new PrintWriter(typo, true));
        assertEquals(2, rc);
        assertTrue(typo.toString().contains("did you mean: backup"), typo.toString());
        assertFalse(typo.toString().contains("\tat "), typo.toString());
    }
}
