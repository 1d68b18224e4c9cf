package io.walvault.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.walvault.testkit.PgCluster;
import io.walvault.testkit.PgHarness;
import io.walvault.testkit.PgTest;
import io.walvault.testkit.ServerUser;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * README.md's "Setting up a server" and its incident runbook, run as written against a real
 * server: every shell line of those sections in a shell as root (the lines with
 * {@code sudo -u postgres} as the server's OS user), every SQL statement through JDBC as the
 * database superuser. What a test machine must change, and nothing else:
 * <ul>
 *   <li>paths: {@code /opt/walvault} is this build tree, {@code /etc/walvault},
 *       {@code /var/lib/walvault} and root's {@code ~/walvault-main.key} are in a scratch directory, {@code /usr/lib/postgresql/15/bin} the
 *       test server's binaries;</li>
 *   <li>the OS user {@code postgres} is the one the test servers run as, and {@code sudo} a
 *       stand-in that runs the command as that user with its home, as sudo does;</li>
 *   <li>the server's port and the password file reach the commands as {@code PGPORT} and
 *       {@code PGPASSFILE} (a real server listens on 5432 and the file is {@code ~postgres/.pgpass});
 *       {@code 5433} is a free port; the role's password is the test's own;</li>
 *   <li>the install line ({@code git clone ... mvn package}) is not run: the build under test is
 *       the install; {@code psql} lines (the test servers have no psql) run their {@code -c} SQL
 *       through JDBC as the superuser on their {@code -p} port and {@code -d} database, and the
 *       wait for promotion polls its query the same way;</li>
 *   <li>the runbook's target time is the moment before this test's own {@code DELETE}.</li>
 * </ul>
 * A line that fails fails the test with its output, so a README that drifts from the product
 * fails here.
 */
class ReadmeSetupIT {

    private static final Pattern FENCE = Pattern.compile("```(sh|sql)\\n(.*?)```", Pattern.DOTALL);
    private static final Pattern PSQL = Pattern.compile("sudo -u postgres psql(?: -p (\\d+))? -d (\\w+) -c \"(.*)\"");
    private static final Pattern PSQL_UNTIL = Pattern.compile("until \\[ \"\\$\\(sudo -u postgres psql -p (\\d+) -d (\\w+) -Atc"
            + " '(.*)'\\)\" = f \\]; do sleep 1; done");
    private static final String README_TARGET = "2026-11-21 09:59:59+00";
    private static final String ROLE_PASSWORD = "readme pw";

    @PgTest(slot = 0)
    void theSetUpAndTheRunbookRunAsWritten(PgHarness harness) throws Exception {
        String readme = Files.readString(SourceTree.ROOT.resolve("README.md"), StandardCharsets.UTF_8);
        String setUp = section(readme, "## Setting up a server", "### Incident runbook");
        // the first runbook (rows deleted at 10:00) runs as written; the next one's commands need a lost segment
        String runbook = section(readme, "### Incident runbook: rows deleted", "### Incident runbook: a WAL segment");

        Path scratch = harness.scratchDirectory("readme");
        ServerUser.get().adopt(scratch); // the server's user reaches /etc/walvault and /var/lib/walvault through it
        Path etc = scratch.resolve("etc");
        Path var = scratch.resolve("var");
        Path shims = Files.createDirectories(scratch.resolve("shims"));
        Files.createDirectories(scratch.resolve("root-home"));
        PgCluster pg = harness.cluster().name("readme")
                .hba("host all walvault 127.0.0.1/32 scram-sha-256")
                .hba("host replication walvault 127.0.0.1/32 scram-sha-256").start();
        String user = ServerUser.get().name();
        Path bin = pg.installation().bin("pg_ctl").getParent();
        int copyPort = freePort();
        Map<String, String> paths = new LinkedHashMap<>();
        paths.put("/opt/walvault", SourceTree.ROOT.toString());
        paths.put("/etc/walvault", etc.toString());
        paths.put("/var/lib/walvault", var.toString());
        paths.put("/usr/lib/postgresql/15/bin", bin.toString());
        paths.put("-p 5433", "-p " + copyPort);
        paths.put("~/walvault-main.key", scratch.resolve("root-home/walvault-main.key").toString());
        sudoShim(shims, user);
        Path passFile = scratch.resolve("pgpass");
        Files.writeString(passFile, "127.0.0.1:*:*:walvault:" + ROLE_PASSWORD + "\n");
        Files.setPosixFilePermissions(passFile, PosixFilePermissions.fromString("rw-------"));
        ServerUser.get().adopt(passFile);
        Shell shell = new Shell(scratch, Map.of("PATH", shims + ":" + System.getenv("PATH"), "PGPORT", Integer.toString(pg.port()),
                "PGPASSFILE", passFile.toString()));

        // setting up: every block in order, as written
        List<Block> blocks = blocks(setUp);
        assertTrue(blocks.size() >= 3, "the set-up has its shell and SQL blocks: " + blocks);
        for (Block b : blocks) {
            if (b.sql()) {
                for (String statement : statements(b.text())) {
                    pg.execute(statement.replace("PASSWORD '...'", "PASSWORD '" + ROLE_PASSWORD + "'").replace("/opt/walvault",
                            SourceTree.ROOT.toString()).replace("/etc/walvault", etc.toString()));
                }
                pg.restart(); // "takes a restart"
                pg.execute("CREATE DATABASE app");
                try (Connection c = connect(pg.port(), "app"); Statement s = c.createStatement()) {
                    s.execute("CREATE TABLE orders (id int PRIMARY KEY, item text)");
                    s.execute("INSERT INTO orders SELECT g, 'item ' || g FROM generate_series(1, 5000) g");
                }
                continue;
            }
            for (String line : lines(b.text())) {
                if (line.startsWith("git clone ")) {
                    continue; // the install: the build under test
                }
                shell.run(substitute(line, paths));
            }
        }
        assertEquals("0600", mode(etc.resolve("main.pass")), "the passphrase file is owner-only");
        assertEquals("0600", mode(scratch.resolve("root-home/walvault-main.key")), "the private key is owner-only");
        assertTrue(Files.exists(var.resolve("repo-pk").resolve("walvault.json")), "the public-key repository exists");
        assertEquals(user, Files.getOwner(etc.resolve("main.conf")).getName());
        assertTrue(shell.lastOutput().contains("backup"), "info lists the backup:\n" + shell.lastOutput());

        // the incident: rows deleted at "10:00"; the WAL holding the DELETE reaches the repository
        try (Connection c = connect(pg.port(), "app"); Statement s = c.createStatement()) {
            s.execute("UPDATE orders SET item = item || ' (updated)' WHERE id <= 100");
        }
        Thread.sleep(1100);
        String target = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ssx").withZone(ZoneOffset.UTC).format(Instant.now());
        Thread.sleep(1100);
        try (Connection c = connect(pg.port(), "app"); Statement s = c.createStatement()) {
            s.execute("DELETE FROM orders WHERE id > 10"); // the wrong WHERE clause
            s.execute("INSERT INTO orders VALUES (100001, 'after the incident')");
        }
        String last = pg.queryString("SELECT pg_walfile_name(pg_current_wal_lsn())");
        pg.execute("SELECT pg_switch_wal()");
        pg.awaitArchived(last, Duration.ofSeconds(60));

        paths.put("'" + README_TARGET + "'", "'" + target + "'");
        List<Block> steps = blocks(runbook);
        assertEquals(1, steps.size(), "one shell block: " + steps);
        for (String line : lines(steps.get(0).text())) {
            Matcher until = PSQL_UNTIL.matcher(line);
            if (until.matches()) {
                awaitFalse(copyPort, until.group(2), until.group(3), line);
                continue;
            }
            Matcher psql = PSQL.matcher(line);
            if (psql.matches()) {
                int port = psql.group(1) == null ? pg.port() : copyPort;
                try (Connection c = connect(port, psql.group(2)); Statement s = c.createStatement()) {
                    s.execute(substitute(psql.group(3), paths));
                }
                continue;
            }
            shell.run(substitute(line, paths));
        }
        try (Connection c = connect(pg.port(), "app"); Statement s = c.createStatement()) {
            var rs = s.executeQuery("SELECT count(*), count(*) FILTER (WHERE item LIKE '%(updated)'),"
                    + " count(*) FILTER (WHERE id = 100001) FROM orders");
            rs.next();
            assertEquals(5001, rs.getLong(1), "every row is back, and the one written after the incident stays");
            assertEquals(100, rs.getLong(2), "the rows as they were at the target, updates included");
            assertEquals(1, rs.getLong(3));
        }
        assertFalse(Files.exists(var.resolve("restored")), "the runbook removes the copy");
    }

    private record Block(boolean sql, String text) {
    }

    private static String section(String readme, String from, String to) {
        int start = readme.indexOf(from);
        int end = readme.indexOf(to, start + 1);
        assertTrue(start >= 0 && end > start, "README sections '" + from + "' .. '" + to + "'");
        return readme.substring(start, end);
    }

    private static List<Block> blocks(String section) {
        List<Block> out = new ArrayList<>();
        Matcher m = FENCE.matcher(section);
        while (m.find()) {
            out.add(new Block(m.group(1).equals("sql"), m.group(2)));
        }
        return out;
    }

    /** Shell lines, continuations joined, comments and blank lines left out. */
    private static List<String> lines(String block) {
        List<String> out = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        for (String raw : block.split("\n")) {
            String line = raw.strip();
            if (current.isEmpty() && (line.isEmpty() || line.startsWith("#"))) {
                continue;
            }
            if (line.endsWith("\\")) {
                current.append(line, 0, line.length() - 1).append(' ');
                continue;
            }
            out.add(current.append(line).toString());
            current.setLength(0);
        }
        return out;
    }

    /** SQL statements, one per line up to its semicolon; a comment after the semicolon is left out. */
    private static List<String> statements(String block) {
        List<String> out = new ArrayList<>();
        for (String line : block.split("\n")) {
            String code = line.strip();
            if (!code.isEmpty() && !code.startsWith("--")) {
                assertTrue(code.contains(";"), "one statement per line, ended by ';': " + line);
                out.add(code.substring(0, code.lastIndexOf(';')));
            }
        }
        return out;
    }

    private static String substitute(String line, Map<String, String> paths) {
        String s = line;
        for (Map.Entry<String, String> e : paths.entrySet()) {
            s = s.replace(e.getKey(), e.getValue());
        }
        String user = ServerUser.get().name();
        return s.replace("-u postgres ", "-u " + user + " ").replace("-o postgres -g postgres", "-o " + user + " -g " + user);
    }

    /** {@code sudo -u USER CMD...} for a machine without sudo: the command as USER, with USER's home, as sudo runs it. */
    private static void sudoShim(Path dir, String user) throws IOException {
        Path sudo = dir.resolve("sudo");
        String asUser = ServerUser.jvmIsRoot()
                ? "exec setpriv --reuid=\"$u\" --regid=\"$u\" --init-groups env HOME=\"$(getent passwd \"$u\" | cut -d: -f6)\""
                + " USER=\"$u\" LOGNAME=\"$u\" \"$@\""
                : "exec \"$@\"";
        Files.writeString(sudo, "#!/bin/sh\n[ \"$1\" = -u ] || { echo 'sudo stand-in: only -u USER' >&2; exit 1; }\n"
                + "u=$2; shift 2\n" + asUser + "\n");
        Files.setPosixFilePermissions(sudo, PosixFilePermissions.fromString("rwxr-xr-x"));
        if (!ServerUser.jvmIsRoot()) {
            assertEquals(System.getProperty("user.name"), user);
        }
    }

    /** The runbook's wait loop: until {@code sql} answers false (connections refused meanwhile count as not yet). */
    private static void awaitFalse(int port, String database, String sql, String line) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(300);
        while (true) {
            try (Connection c = connect(port, database); Statement s = c.createStatement(); var rs = s.executeQuery(sql)) {
                rs.next();
                if (!rs.getBoolean(1)) {
                    return;
                }
            } catch (SQLException e) {
                // starting up
            }
            assertTrue(System.nanoTime() < deadline, "never true: " + line);
            Thread.sleep(1000);
        }
    }

    private static Connection connect(int port, String database) throws Exception {
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/" + database + "?user="
                + PgCluster.SUPERUSER + "&sslmode=disable");
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            return s.getLocalPort();
        }
    }

    private static String mode(Path p) throws IOException {
        int m = 0;
        for (var perm : Files.getPosixFilePermissions(p)) {
            m |= 1 << (8 - perm.ordinal());
        }
        return String.format("%04o", m);
    }

    /** Runs lines in {@code sh -c} as this JVM's user (root in CI), each with the given environment. */
    private static final class Shell {
        private final Path cwd;
        private final Map<String, String> env;
        private String lastOutput = "";

        Shell(Path cwd, Map<String, String> env) {
            this.cwd = cwd;
            this.env = env;
        }

        void run(String line) throws Exception {
            ProcessBuilder pb = new ProcessBuilder("sh", "-c", line).directory(cwd.toFile()).redirectErrorStream(true);
            pb.environment().keySet().removeIf(k -> k.startsWith("WALVAULT_") || k.startsWith("PG"));
            pb.environment().putAll(env);
            long started = System.nanoTime();
            Process p = pb.start();
            byte[] out = p.getInputStream().readAllBytes();
            assertTrue(p.waitFor(600, TimeUnit.SECONDS), "timed out: " + line);
            lastOutput = new String(out, StandardCharsets.UTF_8);
            System.out.printf("README line (%.1f s): %s%n%s%n", (System.nanoTime() - started) / 1e9, line, lastOutput);
            assertEquals(0, p.exitValue(), "README line failed: " + line + "\n" + lastOutput);
        }

        String lastOutput() {
            return lastOutput;
        }
    }
}
