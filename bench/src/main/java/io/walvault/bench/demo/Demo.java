package io.walvault.bench.demo;

import io.walvault.restore.recovery.ShellQuote;
import io.walvault.testkit.PgCluster;
import io.walvault.testkit.PgVersion;
import io.walvault.testkit.ServerUser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * walvault's main job end to end, on the embedded defaults (a local repository directory and a
 * PostgreSQL server from the embedded binaries the build downloaded): archiving through
 * {@code archive_command}, a base backup, writes, an accidental {@code DELETE}, then a
 * point-in-time restore to the moment before it, started and compared with the data of that
 * moment. Every walvault command is run through {@code bin/walvault} and printed as a DBA would
 * type it. {@code bin/demo [--pg 14..18] [--keep]}; exit 0 when the restored data is exactly
 * the data before the incident.
 */
public final class Demo {

    private static final String CHECKSUM = "SELECT count(*) || ' rows, md5 ' || md5(string_agg(a::text, ',' ORDER BY id)) FROM accounts a";

    private final Path root;
    private final Path scratch;
    private final Path jar;
    private final Path launcher;
    private final Path config;
    private final PgVersion version;

    private Demo(Path root, Path scratch, PgVersion version) throws IOException {
        this.root = root;
        this.scratch = scratch;
        this.version = version;
        // the server runs archive_command and restore_command as its own user: the jar must be readable by it
        // (and so must the launcher, wherever this checkout is)
        this.jar = Files.copy(root.resolve("cli/target/walvault.jar"), scratch.resolve("walvault.jar"));
        this.launcher = Files.copy(root.resolve("bin/walvault"), Files.createDirectories(scratch.resolve("bin")).resolve("walvault"));
        Path passphrase = scratch.resolve("passphrase");
        Files.writeString(passphrase, "demo passphrase: keep a real one in a safe place\n");
        this.config = scratch.resolve("walvault.conf");
        Files.writeString(config, "repo = " + scratch.resolve("repository").toUri() + "\nencryption = passphrase\npassphrase-file = "
                + passphrase + "\n");
        for (Path p : List.of(passphrase, config)) {
            Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rw-------"));
        }
    }

    public static void main(String[] args) throws Exception {
        int major = PgVersion.newest().major();
        boolean keep = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--pg" -> major = Integer.parseInt(args[++i]);
                case "--keep" -> keep = true;
                default -> {
                    System.err.println("demo: unknown argument '" + args[i] + "'\nusage: bin/demo [--pg 14..18] [--keep]");
                    System.exit(2);
                }
            }
        }
        Path root = Path.of(System.getProperty("walvault.root", ".")).toAbsolutePath().normalize();
        if (!Files.isRegularFile(root.resolve("cli/target/walvault.jar"))) {
            System.err.println("demo: '" + root.resolve("cli/target/walvault.jar") + "' is missing\nHINT: build first: mvn -B -q package -DskipTests");
            System.exit(2);
        }
        Path scratch = Files.createTempDirectory("walvault-demo-");
        Instant started = Instant.now();
        boolean ok = false;
        try {
            ok = new Demo(root, scratch, PgVersion.of(major)).run();
        } catch (Exception e) {
            System.out.println();
            System.out.println("demo FAILED: " + e.getMessage());
        } finally {
            if (keep) {
                System.out.println("kept: " + scratch);
            } else {
                deleteTree(scratch);
            }
        }
        System.out.printf(Locale.ROOT, "%n%s (%.0f s)%n", ok ? "demo passed: the restored data is exactly the data before the incident"
                : "demo FAILED", Duration.between(started, Instant.now()).toMillis() / 1e3);
        System.exit(ok ? 0 : 1);
    }

    private boolean run() throws Exception {
        ServerUser.get().adopt(scratch);
        step("a repository in a local directory, encrypted with a passphrase");
        walvault("init", "--config", config.toString());
        String archiveCommand = "'" + launcher + "' archive-push --config '" + config + "' %p";
        try (PgCluster pg = PgCluster.builder(version).name("demo-primary")
                .setting("archive_mode", "on")
                .setting("archive_command", archiveCommand)
                .env("WALVAULT_JAR", jar.toString())
                .env("WALVAULT_CDS_DIR", "off") // no class archive learnt in the background into a directory removed at the end
                .start()) {
            step("PostgreSQL " + pg.queryString("SHOW server_version") + " on 127.0.0.1:" + pg.port()
                    + ", archive_command = " + archiveCommand);
            pg.execute("CREATE ROLE walvault LOGIN REPLICATION PASSWORD 'demo'",
                    "CREATE TABLE accounts (id int PRIMARY KEY, balance bigint NOT NULL)",
                    "INSERT INTO accounts SELECT g, 1000 FROM generate_series(1, 100000) g");

            step("a base backup over the replication protocol, as a role with REPLICATION only");
            walvault("backup", "--config", config.toString(), "--pg", "host=127.0.0.1 port=" + pg.port()
                    + " user=walvault password=demo sslmode=disable", "--checkpoint", "fast", "--label", "demo", "--progress", "lines");

            step("business as usual: 20 transactions changing balances");
            for (int i = 0; i < 2000; i += 100) {
                pg.execute("UPDATE accounts SET balance = balance + (id % 7) - 3 WHERE id BETWEEN " + (i * 50 + 1) + " AND " + (i * 50 + 5000));
            }
            String before = pg.queryString(CHECKSUM);
            String targetTime = pg.queryString("SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00'");
            System.out.println("   the data at " + targetTime + ": " + before);
            Thread.sleep(100);

            step("the incident: DELETE FROM accounts WHERE balance > 1000 (the WHERE clause was wrong)");
            pg.execute("DELETE FROM accounts WHERE balance > 1000", "UPDATE accounts SET balance = 0 WHERE id % 2 = 0");
            System.out.println("   the data now: " + pg.queryString(CHECKSUM));
            String last = pg.queryString("SELECT pg_walfile_name(pg_current_wal_lsn())");
            pg.execute("SELECT pg_switch_wal()");
            pg.awaitArchived(last, Duration.ofMinutes(2));
            System.out.println("   archived up to " + last + " by walvault archive-push");

            step("what the repository can restore");
            walvault("info", "--config", config.toString());

            step("restore to the moment before the incident (the plan is printed first, every file is verified)");
            Path data = scratch.resolve("restored");
            walvault("restore", "--config", config.toString(), "--pgdata", data.toString(), "--target-time", targetTime,
                    "--target-action", "promote", "--archive-mode", "off");

            step("start PostgreSQL on the restored directory: it replays the WAL through walvault archive-get");
            try (PgCluster restored = PgCluster.builder(version).name("demo-restored").dataDirectory(data)
                    .env("WALVAULT_JAR", jar.toString()).env("WALVAULT_CDS_DIR", "off").create()) {
                restored.startNoWait();
                PgCluster.RecoveryOutcome outcome = restored.awaitRecoveryEnd(Duration.ofMinutes(5));
                System.out.println("   recovery ended: " + outcome);
                if (outcome != PgCluster.RecoveryOutcome.PROMOTED) {
                    System.out.println(restored.logSinceStart());
                    return false;
                }
                String after = restored.queryString(CHECKSUM);
                System.out.println("   the restored data: " + after);
                if (!after.equals(before)) {
                    System.out.println("   expected:          " + before);
                    return false;
                }
                return true;
            }
        }
    }

    private static void step(String what) {
        System.out.println();
        System.out.println("== " + what);
    }

    /** Runs {@code bin/walvault} with {@code args}, echoing the command and its output; fails the demo on a non-zero exit. */
    private void walvault(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(launcher.toString());
        cmd.addAll(List.of(args));
        System.out.println("$ walvault " + String.join(" ", List.of(args).stream().map(ShellQuote::word).toList()));
        // as the OS user PostgreSQL runs as, like every walvault command on a database host
        ProcessBuilder pb = new ProcessBuilder(ServerUser.get().wrap(cmd)).directory(scratch.toFile()).redirectErrorStream(true);
        pb.environment().put("WALVAULT_JAR", jar.toString());
        pb.environment().put("WALVAULT_CDS_DIR", "off");
        Process p = pb.start();
        try (var in = p.getInputStream()) {
            in.transferTo(System.out);
        }
        if (!p.waitFor(10, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new IllegalStateException("walvault " + args[0] + " did not finish in 10 minutes");
        }
        if (p.exitValue() != 0) {
            throw new IllegalStateException("walvault " + args[0] + " failed with exit code " + p.exitValue());
        }
    }

    private static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) {
            return;
        }
        try (Stream<Path> s = Files.walk(p)) {
            for (Path q : (Iterable<Path>) s.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(q);
            }
        }
    }
}
