package io.walvault.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.walvault.core.Version;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
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
    void theLauncherKnowsEveryCommandsName() throws java.io.IOException {
        // bin/walvault finds the command's name on the line to choose the JVM's flags
        String launcher = java.nio.file.Files.readString(java.nio.file.Path.of("..", "bin", "walvault"));
        String known = launcher.lines().filter(l -> l.strip().startsWith("init|")).findFirst().orElseThrow();
        String help = run("--help").out();
        List<String> names = help.substring(help.indexOf("Commands:")).lines().skip(1)
                .takeWhile(l -> !l.isBlank()).filter(l -> l.matches("  [a-z].*")).map(l -> l.strip().split(" ")[0]).toList();
        assertTrue(names.contains("status") && names.contains("restore"), names.toString());
        List<String> listed = List.of(known.strip().replace(")", "").split("\\|"));
        for (String name : names) {
            assertTrue(listed.contains(name), name + " missing from: " + known);
        }
    }

    @Test
    void theS3OptionsAreListedOnceInTheTopLevelHelpAndNotInEveryCommands() {
        String top = run("--help").out();
        for (String option : List.of("--s3-endpoint=URL", "--s3-region=REGION", "--s3-sse=MODE", "--s3-access-key-id=ID")) {
            assertEquals(top.indexOf(option), top.lastIndexOf(option), option + " once: " + top);
            assertTrue(top.contains(option), option + ": " + top);
        }
        assertTrue(top.indexOf("S3 options") < top.indexOf("Exit codes:"), top);
        for (String command : List.of("backup", "restore", "archive-push", "info")) {
            String help = run(command, "--help").out();
            assertFalse(help.contains("--s3-endpoint") || help.contains("--s3-sse"), command + " --help repeats the S3 options: "
                    + help);
            assertTrue(help.replaceAll("\\s+", " ").contains("listed once, in 'walvault --help'"), command + ": " + help);
        }
        // hidden from the help, not from the command line
        Run parsed = run("info", "--repo", "s3://bucket/x", "--s3-region", "eu-west-1", "--s3-max-attempts", "x");
        assertTrue(parsed.err().contains("s3-max-attempts"), parsed.err());
    }

    @Test
    void logOptionsAreTakenAnywhereOnTheLineAndBadOnesSayWhatIsWrong() {
        LogOptions o = LogOptions.extract(new String[] {"--log-level", "DEBUG", "info", "--repo", "x", "--log-file=/tmp/w.log"},
                Map.of());
        assertEquals(List.of("info", "--repo", "x"), List.of(o.args()));
        assertEquals("debug", o.level());
        assertTrue(o.debug());
        assertEquals(Path.of("/tmp/w.log"), o.file().orElseThrow());
        LogOptions env = LogOptions.extract(new String[] {"info", "--", "--log-level"}, Map.of("WALVAULT_LOG_LEVEL", "warn"));
        assertEquals("warn", env.level());
        assertEquals(List.of("info", "--", "--log-level"), List.of(env.args()), "after -- nothing is taken");
        assertFalse(env.debug());

        Run bad = run("--log-level", "loud", "--version");
        assertEquals(2, bad.exitCode());
        assertTrue(bad.err().contains("log level 'loud' (--log-level) is not error, warn, info, debug or trace"), bad.err());
        Run ok = run("--version", "--log-level", "error");
        assertEquals(0, ok.exitCode(), ok.err());
        assertTrue(run("--help").out().contains("--log-level"), "the top-level help names the log options");
    }

    @Test
    void logOptionsMayStandInTheConfigFileWithTheOtherSettingsPrecedence(@org.junit.jupiter.api.io.TempDir Path dir)
            throws Exception {
        Path conf = dir.resolve("main.conf");
        java.nio.file.Files.writeString(conf, "log-level = warn\nlog-file = " + dir.resolve("all.log") + "\n"
                + "[cluster main]\nlog-level = debug\n[cluster other]\nlog-level = loud\n");
        java.nio.file.Files.setPosixFilePermissions(conf, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        LogOptions global = LogOptions.extract(new String[] {"info", "--config", conf.toString()}, Map.of());
        assertEquals("warn", global.level());
        assertEquals(dir.resolve("all.log"), global.file().orElseThrow());
        assertEquals(List.of("info", "--config", conf.toString()), List.of(global.args()), "the command reads --config again");
        LogOptions section = LogOptions.extract(new String[] {"--cluster=main", "info"}, Map.of("WALVAULT_CONFIG", conf.toString()));
        assertEquals("debug", section.level(), "the section's line before the lines above the first section");
        assertEquals("error", LogOptions.extract(new String[] {"info", "--config", conf.toString(), "--cluster", "main"},
                Map.of("WALVAULT_LOG_LEVEL", "error")).level(), "the environment before the file");
        assertEquals("trace", LogOptions.extract(new String[] {"info", "--config", conf.toString(), "--log-level", "trace"},
                Map.of("WALVAULT_LOG_LEVEL", "error")).level(), "the command line before all");
        io.walvault.core.error.WalvaultException bad = org.junit.jupiter.api.Assertions.assertThrows(
                io.walvault.core.error.WalvaultException.class,
                () -> LogOptions.extract(new String[] {"info", "--config", conf.toString(), "--cluster", "other"}, Map.of()));
        assertTrue(bad.getMessage().contains("log level 'loud' ('log-level' in [cluster other] of config file '" + conf
                + "' line 6) is not"), bad.getMessage());
        // a file the command will refuse does not stop the log options: the command says what is wrong with it
        assertEquals("info", LogOptions.extract(new String[] {"info", "--config", dir.resolve("missing.conf").toString()},
                Map.of()).level());
    }

    @Test
    void theAgentLogsIntoItsSpoolUnlessToldOtherwise(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        Path spool = dir.resolve("spool");
        assertEquals(spool.resolve("log/agent.log"), LogOptions.extract(new String[] {"--repo", "x", "agent", "--spool",
                spool.toString()}, Map.of()).file().orElseThrow());
        Path conf = dir.resolve("main.conf");
        java.nio.file.Files.writeString(conf, "[cluster main]\nspool = " + spool + "\n");
        java.nio.file.Files.setPosixFilePermissions(conf, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        assertEquals(spool.resolve("log/agent.log"), LogOptions.extract(new String[] {"agent", "--config", conf.toString(),
                "--cluster", "main"}, Map.of()).file().orElseThrow(), "the spool from the file");
        assertEquals(dir.resolve("elsewhere.log"), LogOptions.extract(new String[] {"agent", "--spool", spool.toString(),
                "--log-file", dir.resolve("elsewhere.log").toString()}, Map.of()).file().orElseThrow());
        assertTrue(LogOptions.extract(new String[] {"agent", "--spool", spool.toString(), "--log-file", "-"}, Map.of())
                .file().isEmpty(), "- is standard error");
        assertTrue(LogOptions.extract(new String[] {"backup", "--spool", spool.toString()}, Map.of()).file().isEmpty(),
                "other commands log to standard error");
        assertTrue(LogOptions.extract(new String[] {"agent", "--help"}, Map.of()).file().isEmpty());
        // the file and its directory are created owner-only, an oversized one is rotated first
        LogOptions agent = LogOptions.extract(new String[] {"agent", "--spool", spool.toString()}, Map.of());
        java.nio.file.Files.createDirectories(spool.resolve("log"));
        java.nio.file.Files.write(spool.resolve("log/agent.log"), new byte[2 * 1024 * 1024]);
        String before = System.getProperty("org.slf4j.simpleLogger.logFile");
        try {
            agent.apply();
            assertEquals(0, java.nio.file.Files.size(spool.resolve("log/agent.log")));
            assertEquals(2 * 1024 * 1024, java.nio.file.Files.size(spool.resolve("log/agent.log.1")));
        } finally {
            if (before == null) {
                System.clearProperty("org.slf4j.simpleLogger.logFile");
            } else {
                System.setProperty("org.slf4j.simpleLogger.logFile", before);
            }
        }
        LogOptions fresh = LogOptions.extract(new String[] {"agent", "--spool", dir.resolve("new/spool").toString()}, Map.of());
        try {
            fresh.apply();
            assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(
                    java.nio.file.Files.getPosixFilePermissions(dir.resolve("new/spool/log/agent.log"))));
            assertEquals("rwx------", java.nio.file.attribute.PosixFilePermissions.toString(
                    java.nio.file.Files.getPosixFilePermissions(dir.resolve("new/spool/log"))));
        } finally {
            if (before == null) {
                System.clearProperty("org.slf4j.simpleLogger.logFile");
            } else {
                System.setProperty("org.slf4j.simpleLogger.logFile", before);
            }
        }
    }

    @Test
    void optionsMayStandBeforeTheCommandsName() {
        assertEquals(List.of("info", "--repo", "file:///x", "--json"),
                List.of(Main.commandFirst(new String[] {"--repo", "file:///x", "info", "--json"})));
        assertEquals(List.of("--version"), List.of(Main.commandFirst(new String[] {"--version"})));
        Run r = run("--repo", "file:///nonexistent-walvault-repo", "info");
        assertEquals(io.walvault.core.error.ErrorCode.REPOSITORY_NOT_FOUND.exitCode(), r.exitCode(),
                "parsed as 'info --repo ...', then the repository is looked for: " + r.err());
    }

    @Test
    void everyCommandsHelpShowsAnExampleThatParses() {
        // every command and subcommand the parser knows (help's own aside), so a new one cannot go without
        List<List<String>> commands = new java.util.ArrayList<>();
        Main.all().getSubcommands().forEach((name, sub) -> {
            if (!name.equals("help")) {
                commands.add(List.of(name));
                sub.getSubcommands().keySet().forEach(s -> commands.add(List.of(name, s)));
            }
        });
        assertTrue(commands.contains(List.of("status")) && commands.contains(List.of("key", "retire")), commands.toString());
        for (List<String> path : commands) {
            String command = String.join(" ", path);
            List<String> args = new java.util.ArrayList<>(path);
            args.add("--help");
            // picocli warns on the process's standard error about a help text it cannot format (a lone % in it)
            java.io.ByteArrayOutputStream warnings = new java.io.ByteArrayOutputStream();
            java.io.PrintStream stderr = System.err;
            Run help;
            System.setErr(new java.io.PrintStream(warnings, true, java.nio.charset.StandardCharsets.UTF_8));
            try {
                help = run(args.toArray(String[]::new));
            } finally {
                System.setErr(stderr);
            }
            assertEquals("", warnings.toString(java.nio.charset.StandardCharsets.UTF_8), command + " --help");
            assertEquals(0, help.exitCode(), command);
            String out = help.out();
            assertTrue(out.contains("Example:"), command + ": " + out);
            // one example per line beginning "walvault" or a setting; the help wraps long ones onto more lines
            List<String> lines = new java.util.ArrayList<>();
            for (String l : out.substring(out.indexOf("Example:") + "Example:".length()).strip().split("\n")) {
                l = l.strip();
                if (l.startsWith("walvault ") || l.contains("_command = ") || lines.isEmpty()) {
                    lines.add(l);
                } else {
                    String last = lines.remove(lines.size() - 1);
                    lines.add((last.endsWith("\\") ? last.substring(0, last.length() - 1) : last) + " " + l);
                }
            }
            for (String line : lines) {
                if (line.contains("_command = ")) {
                    assertTrue(line.contains(" %p'") || line.contains(" %f %p'"), command + ": PostgreSQL's placeholders: " + line);
                }
                if (!line.startsWith("walvault ")) {
                    continue; // a postgresql.conf line, as for the hooks
                }
                List<String> words = shellWords(line.substring("walvault ".length()));
                try {
                    Main.parse(words.toArray(String[]::new));
                } catch (picocli.CommandLine.ParameterException e) {
                    throw new AssertionError(command + "'s example does not parse: " + line + ": " + e.getMessage(), e);
                }
            }
        }
    }

    /** Words of a shell command line with single quotes. */
    private static List<String> shellWords(String line) {
        List<String> words = new java.util.ArrayList<>();
        StringBuilder w = new StringBuilder();
        boolean quoted = false;
        boolean any = false;
        for (char c : line.toCharArray()) {
            if (c == '\'') {
                quoted = !quoted;
                any = true;
            } else if (Character.isWhitespace(c) && !quoted) {
                if (any) {
                    words.add(w.toString());
                    w.setLength(0);
                    any = false;
                }
            } else {
                w.append(c);
                any = true;
            }
        }
        if (any) {
            words.add(w.toString());
        }
        return words;
    }

    @Test
    void unknownOptionIsAUsageErrorWithAHint() {
        Run r = run("--no-such-option");
        assertEquals(2, r.exitCode());
        assertTrue(r.err().contains("Unknown option: '--no-such-option'"), r.err());
        assertTrue(r.err().contains("HINT: run 'walvault --help'"), r.err());
        assertFalse(r.err().contains("\tat "), "no stack trace for a usage error: " + r.err());
    }

    @Test
    void expireRefusesToRunWithoutAnExplicitRetention(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
        String repo = dir.resolve("repo").toUri().toString();
        assertEquals(0, run("init", "--repo", repo, "--encryption", "none").exitCode());
        Run r = run("expire", "--repo", repo, "--system-identifier", "7400000000000000001");
        assertEquals(63, r.exitCode(), r.err());
        assertTrue(r.err().contains("no retention given") && r.err().contains("HINT: pass --retain-full N"), r.err());
        Run bad = run("expire", "--repo", repo, "--retain-window", "7 days");
        assertEquals(2, bad.exitCode(), bad.err());
        assertTrue(bad.err().contains("'7 days' is not a duration"), bad.err());
        assertEquals(2, run("expire", "--repo", repo, "--retain-full", "0").exitCode());
    }

    @Test
    void expireOfAnEmptyClusterRemovesNothingAndSaysWhy(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
        String repo = dir.resolve("repo").toUri().toString();
        assertEquals(0, run("init", "--repo", repo, "--encryption", "none").exitCode());
        Run none = run("expire", "--repo", repo, "--retain-full", "1");
        assertEquals(3, none.exitCode(), "no cluster to choose: " + none.err());
        assertTrue(none.err().contains("holds no cluster") && none.err().contains("--system-identifier"), none.err());
        Run r = run("expire", "--repo", repo, "--retain-full", "2", "--retain-window", "36h", "--dry-run",
                "--system-identifier", "7400000000000000001");
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().contains("dry run: nothing removed; cluster 7400000000000000001, retention: newest 2 full backups"
                + " and a 36h recovery window"), r.out());
        assertTrue(r.out().contains("no restorable backup: no backup or WAL is removed"), r.out());
    }

    @Test
    void expireHelpSaysBothPoliciesKeepWhatEitherKeeps() {
        Run r = run("expire", "--help");
        assertEquals(0, r.exitCode());
        String text = r.out().replaceAll("\\s+", " "); // help is wrapped
        assertTrue(text.contains("with both, a backup either of them keeps is kept"), r.out());
        assertTrue(r.out().contains("--[no-]dry-run") && r.out().contains("--orphan-grace"), r.out());
    }
}
