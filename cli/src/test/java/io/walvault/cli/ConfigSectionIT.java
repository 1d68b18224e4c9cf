package io.walvault.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.walvault.core.error.ErrorCode;
import io.walvault.testkit.PgCluster;
import io.walvault.testkit.PgHarness;
import io.walvault.testkit.PgTest;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * A config file with a [cluster NAME] section against a real server: the section's settings are
 * used (its conninfo, its label over the global part's), its first backup records the server's
 * system identifier beside the file, and once the section is another cluster's, backup and
 * check refuse with exit 6 and write nothing.
 */
class ConfigSectionIT {

    private record Run(int exitCode, String out, String err) {
    }

    private static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Run(code, out.toString(), err.toString());
    }

    @PgTest(slot = 1)
    void aSectionServesItsServerAndRefusesAnother(PgHarness harness) throws Exception {
        PgCluster pg = harness.cluster().start();
        pg.execute("CREATE ROLE wv_backup LOGIN REPLICATION PASSWORD 'backup pw'");
        Path dir = harness.scratchDirectory("config");
        Path conf = dir.resolve("main.conf");
        Files.writeString(conf, "repo = " + dir.resolve("repo") + "\nencryption = none\nlabel = global\ncheckpoint = fast\n"
                + "progress = none\n\n[cluster main]\npg = host=127.0.0.1 port=" + pg.port()
                + " user=wv_backup password='backup pw' sslmode=disable\nlabel = from-section\n");
        Files.setPosixFilePermissions(conf, PosixFilePermissions.fromString("rw-------"));
        Run init = run("init", "--config", conf.toString());
        assertEquals(0, init.exitCode(), init.err());

        Run first = run("backup", "--config", conf.toString(), "--cluster", "main");
        assertEquals(0, first.exitCode(), first.out() + first.err());
        String systemId = pg.queryString("SELECT system_identifier FROM pg_control_system()");
        Path identity = dir.resolve("main.conf.identity");
        assertTrue(Files.readString(identity).contains("\nmain " + systemId + "\n"), Files.readString(identity));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(identity)));
        Run info = run("info", "--config", conf.toString(), "--cluster", "main", "--json");
        assertEquals(0, info.exitCode(), info.err());
        assertTrue(info.out().contains("\"label\":\"from-section\""), "the section's label over the global part's: " + info.out());

        // the same file on a server of another cluster: the section's record no longer matches
        String other = Long.toUnsignedString(Long.parseUnsignedLong(systemId) + 1);
        Files.writeString(identity, Files.readString(identity).replace("main " + systemId, "main " + other));
        Run refused = run("backup", "--config", conf.toString(), "--cluster", "main");
        assertEquals(ErrorCode.CLUSTER_MISMATCH.exitCode(), refused.exitCode(), refused.out() + refused.err());
        assertTrue(refused.err().contains("the server is cluster " + systemId + ", but [cluster main] of config file '" + conf
                + "' was first used with cluster " + other), refused.err());
        Run check = run("check", "--config", conf.toString(), "--cluster", "main", "--no-archive-command");
        assertEquals(ErrorCode.CLUSTER_MISMATCH.exitCode(), check.exitCode(), check.out() + check.err());
        Run after = run("info", "--config", conf.toString(), "--json");
        assertEquals(info.out(), after.out(), "the refused backup wrote nothing");
    }
}
