package io.walvault.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.walvault.cli.options.CommandSettingNames;
import io.walvault.cli.options.WalvaultSettings;
import io.walvault.core.error.ErrorCode;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/** One configuration: every option in the file, its sections, and errors that say where a value came from. */
class ConfigurationTest {

    /** The options that are a module's setting under a longer name (archive-push --look-ahead: archive-push-look-ahead). */
    private static final Set<String> RENAMED = Set.of("look-ahead", "parallel", "queue-max", "prefetch", "server-compression");

    @TempDir
    Path dir;

    private record Run(int exitCode, String out, String err) {
    }

    private static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Run(code, out.toString(), err.toString());
    }

    private Path config(String text) throws Exception {
        Path p = dir.resolve("main.conf");
        Files.writeString(p, text);
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rw-------"));
        return p;
    }

    @Test
    void everyOptionOfEveryCommandIsASettingAndEverySettingAnOption() {
        Set<String> options = new TreeSet<>();
        collect(Main.all(), options);
        Set<String> missing = new TreeSet<>();
        for (String o : options) {
            if (!WalvaultSettings.NAMES.contains(o) && !RENAMED.contains(o) && !CommandSettingNames.NOT_SETTINGS.contains(o)) {
                missing.add(o);
            }
        }
        assertEquals(Set.of(), missing, "options that are no setting: add them to CommandSettingNames");
        Set<String> stale = new TreeSet<>(CommandSettingNames.NAMES.names());
        stale.removeAll(options);
        assertEquals(Set.of(), stale, "CommandSettingNames names no option");
    }

    private static void collect(CommandLine cl, Set<String> into) {
        for (OptionSpec o : cl.getCommandSpec().options()) {
            if (!o.hidden() && o.longestName().startsWith("--")) {
                into.add(o.longestName().substring(2));
            }
        }
        cl.getSubcommands().values().forEach(c -> collect(c, into));
    }

    @Test
    void aFlagSetInTheFileIsSetByItsOptionAndClearedByItsNegation() throws Exception {
        Path c = config("repo = " + dir.resolve("repo") + "\nencryption = none\njson = true\n");
        assertEquals(0, run("init", "--config", c.toString()).exitCode());
        Run fromFile = run("info", "--config", c.toString());
        assertTrue(fromFile.out().startsWith("{"), "json = true in the file: " + fromFile.out());
        // the flag on the command line agrees with the file (a picocli default of true would make it toggle to false)
        Run flag = run("info", "--config", c.toString(), "--json");
        assertTrue(flag.out().startsWith("{"), "--json over json = true: " + flag.out());
        Run negated = run("info", "--config", c.toString(), "--no-json");
        assertEquals(0, negated.exitCode(), negated.err());
        assertTrue(!negated.out().startsWith("{") && !negated.out().isBlank(), "--no-json over json = true: " + negated.out());
    }

    @Test
    void everyFlagIsSetByItsOptionWhateverItsDefault() {
        List<String> wrong = new ArrayList<>();
        flags(Main.all(), wrong);
        assertEquals(List.of(), wrong, "boolean options need fallbackValue = \"true\" (and negatable = true unless hidden or"
                + " named --no-...): a value of true from the file or the environment would otherwise make the flag set false");
    }

    private static void flags(CommandLine cl, List<String> wrong) {
        for (OptionSpec o : cl.getCommandSpec().options()) {
            if (o.type() != boolean.class || o.usageHelp() || o.versionHelp()) {
                continue;
            }
            boolean negatable = o.hidden() || o.longestName().startsWith("--no-") || o.negatable();
            if (!"true".equals(o.fallbackValue()) || !negatable) {
                wrong.add(cl.getCommandName() + " " + o.longestName());
            }
        }
        cl.getSubcommands().values().forEach(c -> flags(c, wrong));
    }

    @Test
    void aFileHoldingEveryCommandsSettingsServesInitAndInfo() throws Exception {
        Path c = config("repo = " + dir.resolve("repo") + "\nencryption = none\n# the agent's and backup's, unused by init and info\n"
                + "slot = walvault\nspool = " + dir.resolve("spool") + "\nmetrics-listen = 127.0.0.1:9187\ncheckpoint = fast\n"
                + "retain-window = 14d\n[cluster main]\npg = host=db1 user=walvault\nlabel = nightly\n");
        Run init = run("init", "--config", c.toString());
        assertEquals(0, init.exitCode(), init.err());
        Run info = run("--config", c.toString(), "--cluster", "main", "info");
        assertEquals(0, info.exitCode(), info.err());
    }

    @Test
    void aBadValueFromASectionIsAConfigurationErrorNamingItsLine() throws Exception {
        Path c = config("repo = " + dir.resolve("repo") + "\nencryption = none\ncheckpoint = fast\n[cluster main]\n"
                + "checkpoint = sometimes\nuploads = many\n[cluster other]\nuploads = 2\n");
        Run bad = run("backup", "--config", c.toString(), "--cluster", "main", "--uploads", "2");
        assertEquals(ErrorCode.CONFIG.exitCode(), bad.exitCode(), bad.err());
        assertTrue(bad.err().contains("--checkpoint 'sometimes' is not fast or spread (--checkpoint is 'checkpoint' in [cluster main]"
                + " of config file '" + c + "' line 5)"), bad.err());
        // picocli's own conversion of a value from the file: the same
        Run notInt = run("backup", "--config", c.toString(), "--cluster", "main", "--checkpoint", "fast");
        assertEquals(ErrorCode.CONFIG.exitCode(), notInt.exitCode(), notInt.err());
        assertTrue(notInt.err().contains("'many'") && notInt.err().contains("--uploads is 'uploads' in [cluster main] of config file '"
                + c + "' line 6"), notInt.err());
        // typed on the command line, the same mistake is a usage error, without a source
        Run typed = run("backup", "--config", c.toString(), "--cluster", "other", "--checkpoint", "sometimes");
        assertEquals(ErrorCode.USAGE.exitCode(), typed.exitCode(), typed.err());
        assertTrue(typed.err().contains("--checkpoint 'sometimes' is not fast or spread") && !typed.err().contains("config file"),
                typed.err());
    }

    @Test
    void aMalformedServerFromTheFileNamesItsLineAndNotItsPassword() throws Exception {
        Path c = config("repo = " + dir.resolve("repo") + "\nencryption = none\n[cluster main]\n"
                + "pg = postgresql://walvault:s3cret@[::1/postgres\n");
        assertEquals(0, run("init", "--config", c.toString()).exitCode());
        for (String command : new String[] {"backup", "check", "status"}) {
            Run bad = run(command, "--config", c.toString(), "--cluster", "main");
            assertEquals(ErrorCode.CONFIG.exitCode(), bad.exitCode(), command + ": " + bad.err());
            assertTrue(bad.err().contains("--pg: invalid connection settings: missing \"]\"")
                    && bad.err().contains("(--pg is 'pg' in [cluster main] of config file '" + c + "' line 4)"), command + ": " + bad.err());
            assertTrue(!bad.err().contains("s3cret"), command + ": " + bad.err());
        }
    }

    @Test
    void aServerThatIsNotThereIsSaidSoNotBlamedOnTheRolesRights() throws Exception {
        Path c = config("repo = " + dir.resolve("repo") + "\nencryption = none\n");
        assertEquals(0, run("init", "--config", c.toString()).exitCode());
        Path sockets = Files.createDirectories(dir.resolve("sockets"));
        Run r = run("check", "--config", c.toString(), "--pg", "host=" + sockets + " port=5999 user=walvault", "--archive-timeout", "1");
        assertEquals(ErrorCode.CHECK_FAILED.exitCode(), r.exitCode(), r.out() + r.err());
        assertTrue(r.out().contains("FAILED  replication connection: cannot connect to '" + sockets.resolve(".s.PGSQL.5999")
                + "': no socket file there: no server listens on that port in that directory"), r.out());
        assertTrue(r.out().contains("HINT: check the port and the socket directory"), r.out());
        assertTrue(!r.out().contains("LOGIN and REPLICATION") && !r.out().contains("CONNECT on database"), r.out());
    }

    @Test
    void aRequiredOptionMayComeFromTheFile() throws Exception {
        Path c = config("repo = " + dir.resolve("repo") + "\nencryption = none\n[cluster main]\npgdata = " + dir.resolve("data") + "\n");
        assertEquals(0, run("init", "--config", c.toString()).exitCode());
        Run r = run("restore", "--config", c.toString(), "--cluster", "main", "--dry-run");
        assertTrue(!r.err().contains("Missing required option"), r.err());
        assertEquals(ErrorCode.CLUSTER_AMBIGUOUS.exitCode(), r.exitCode(), "an empty repository: " + r.err());
        Run without = run("restore", "--config", c.toString(), "--dry-run");
        assertEquals(ErrorCode.USAGE.exitCode(), without.exitCode(), "pgdata is in the section only: " + without.err());
    }

    @Test
    void aMistypedClusterIsNamedWithTheSectionsThereAre() throws Exception {
        Path c = config("repo = " + dir.resolve("repo") + "\n[cluster main]\n");
        Run r = run("info", "--config", c.toString(), "--cluster", "mian");
        assertEquals(ErrorCode.CONFIG.exitCode(), r.exitCode(), r.err());
        assertTrue(r.err().contains("has no [cluster mian] section (cluster from --cluster) HINT: did you mean 'main'?"), r.err());
    }
}
