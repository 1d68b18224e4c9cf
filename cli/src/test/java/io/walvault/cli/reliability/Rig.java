package io.walvault.cli.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.walvault.cli.WalvaultProcess;
import io.walvault.restore.recovery.ShellQuote;
import io.walvault.testkit.CommitLog;
import io.walvault.testkit.FaultRule;
import io.walvault.testkit.PgCluster;
import io.walvault.testkit.PgHarness;
import io.walvault.testkit.S3Bucket;
import io.walvault.testkit.ServerUser;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * What every reliability scenario needs: a repository (local or S3, reached through whatever
 * endpoint the scenario chose), a primary archiving into it with {@code walvault archive-push},
 * the truth ({@link CommitLog}), the built executable run as the servers' OS user (as a DBA
 * would run it beside them), restores started as PostgreSQL servers and compared with the
 * truth, and the scenario's {@link ScenarioRecord}.
 */
final class Rig {

    static final Path ROOT = Path.of(System.getProperty("walvault.root", "..")).toAbsolutePath().normalize();
    static final String WALVAULT = ROOT.resolve("bin/walvault").toString();
    /** A longer run: data sizes multiplied ({@code -Dwalvault.reliability.soak=N}, default 1). */
    static final int SOAK = Integer.getInteger("walvault.reliability.soak", 1);
    static final String PASSPHRASE = "reliability is a feature, not a phase";
    static final String TABLE = "truth";
    static final String BACKUP_PG = "user=wv_backup password='backup pw' sslmode=disable";

    final PgHarness pg;
    final ScenarioRecord record;
    final Path scratch;
    final Path jar;
    final Path conf;
    final String repoUri;
    /** The repository's directory, for a local repository; null for S3. */
    final Path repoDir;
    PgCluster primary;
    CommitLog truth;

    private Rig(PgHarness pg, ScenarioRecord record, Path scratch, String repoUri, Path repoDir, String configLines)
            throws Exception {
        this.pg = pg;
        this.record = record;
        this.scratch = scratch;
        this.repoUri = repoUri;
        this.repoDir = repoDir;
        this.jar = WalvaultProcess.sharedJar();
        Path pass = scratch.resolve("passphrase");
        Files.writeString(pass, PASSPHRASE + "\n");
        conf = scratch.resolve("walvault.conf");
        Files.writeString(conf, configLines + "encryption = passphrase\npassphrase-file = " + pass + "\n");
        for (Path p : List.of(pass, conf)) {
            Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rw-------"));
        }
        ServerUser.get().adopt(scratch);
        Result init = walvault("init");
        assertEquals(0, init.code(), init.output());
    }

    /** A rig with an encrypted local repository in {@code repoDir} (null: in the scratch directory). */
    static Rig local(PgHarness pg, ScenarioRecord record, Path repoDir, String... extraSettings) throws Exception {
        Path scratch = pg.scratchDirectory(record.id());
        Path dir = repoDir != null ? repoDir : scratch.resolve("repo");
        return new Rig(pg, record, scratch, dir.toUri().toString(), dir, "repo = " + dir.toUri() + "\n" + lines(extraSettings));
    }

    /** A rig with an encrypted repository in {@code bucket} (reached at its endpoint: a proxy's, if so given). */
    static Rig s3(PgHarness pg, ScenarioRecord record, S3Bucket bucket, String... extraSettings) throws Exception {
        Path scratch = pg.scratchDirectory(record.id());
        return new Rig(pg, record, scratch, bucket.repo("r"), null, bucket.config("r") + lines(extraSettings));
    }

    private static String lines(String... settings) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i + 1 < settings.length; i += 2) {
            sb.append(settings[i]).append(" = ").append(settings[i + 1]).append('\n');
        }
        return sb.toString();
    }

    /** archive_command for the primary: the executable with this rig's configuration. */
    String archiveCommand() {
        // --repo as well: the launcher acknowledges what its watcher pushed without a JVM only for a repository it can see
        return ShellQuote.word(WALVAULT) + " archive-push --config " + ShellQuote.word(conf.toString()) + " --repo "
                + ShellQuote.word(repoUri) + " %p";
    }

    /**
     * archive_command with the configuration file only: every call PostgreSQL makes runs Java
     * (the launcher's no-JVM path needs the repository on the command line).
     */
    String archiveCommandConfigOnly() {
        return ShellQuote.word(WALVAULT) + " archive-push --config " + ShellQuote.word(conf.toString()) + " %p";
    }

    /** Starts the primary archiving with {@link #archiveCommand()} (or {@code archiveCommand}), and the truth's table. */
    PgCluster startPrimary(String archiveCommand, Map<String, String> settings) {
        PgCluster.Builder b = pg.cluster().name("primary")
                .setting("archive_mode", archiveCommand == null ? "off" : "on")
                .setting("wal_keep_size", "1GB")
                .env("WALVAULT_JAR", jar.toString())
                .env("WALVAULT_CDS_DIR", WalvaultProcess.sharedClassArchives().toString());
        if (archiveCommand != null) {
            b.setting("archive_command", archiveCommand);
        }
        settings.forEach(b::setting);
        primary = b.start();
        primary.execute("CREATE ROLE wv_backup LOGIN REPLICATION PASSWORD 'backup pw'");
        truth = CommitLog.create(primary, TABLE, 1800);
        return primary;
    }

    PgCluster startPrimary() {
        return startPrimary(archiveCommand(), Map.of());
    }

    String backupConninfo() {
        return "host=127.0.0.1 port=" + primary.port() + " " + BACKUP_PG;
    }

    /** {@code walvault backup} of the primary (fast checkpoint), which must succeed; returns the new backup's id. */
    String backup(String label, String... extra) throws Exception {
        List<String> args = new ArrayList<>(List.of("backup", "--pg", backupConninfo(), "--checkpoint", "fast", "--label", label));
        args.addAll(List.of(extra));
        Result r = walvault(args.toArray(String[]::new));
        assertEquals(0, r.code(), "backup " + label + ":\n" + r.output());
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("backup (\\S+) complete").matcher(r.output());
        assertTrue(m.find(), r.output());
        record.lap("backup " + label);
        return m.group(1);
    }

    /** The ids of the restorable backups {@code info --json} lists, oldest first. */
    List<String> backups() throws Exception {
        JsonNode cluster = info();
        List<String> ids = new ArrayList<>();
        if (cluster != null) {
            cluster.get("backups").forEach(b -> ids.add(b.get("id").asText()));
        }
        return ids;
    }

    /** {@code info --json}'s only cluster (null if there is none yet). */
    JsonNode info() throws Exception {
        Result r = walvault("info", "--json");
        assertEquals(0, r.code(), "info --json:\n" + r.output());
        String json = r.output().substring(r.output().indexOf('{'));
        JsonNode clusters = new ObjectMapper().readTree(json).get("clusters");
        return clusters == null || clusters.isEmpty() ? null : clusters.get(0);
    }

    /** Switches the primary to a new segment and waits until everything written so far is archived. */
    String archiveAll(Duration timeout) {
        String last = primary.queryString("SELECT pg_walfile_name(pg_current_wal_lsn() - 1)");
        primary.execute("SELECT pg_switch_wal()");
        primary.awaitArchived(last, timeout);
        record.lap("archived to " + last);
        return last;
    }

    /**
     * {@code segments} WAL segments of acknowledged commits: {@code rows} commits each, then a
     * switch to the next segment (so WAL spans many segments at little cost). Returns the last
     * segment written.
     */
    String writeSegments(int segments, int rows) throws Exception {
        String last = null;
        for (int i = 0; i < segments; i++) {
            truth.write(rows);
            last = currentSegment();
            primary.execute("SELECT pg_switch_wal()");
        }
        record.lap("wrote " + segments + " segments");
        return last;
    }

    /** The segment the primary writes now. */
    String currentSegment() {
        return primary.queryString("SELECT pg_walfile_name(pg_current_wal_lsn())");
    }

    long systemId() {
        return Long.parseUnsignedLong(primary.queryString("SELECT system_identifier FROM pg_control_system()"));
    }

    /** A new, not yet existing data directory for a restore named {@code name}. */
    Path newDataDirectory(String name) {
        return pg.scratchDirectory("restore-" + name).resolve("data");
    }

    /** {@code walvault restore --pgdata data --archive-mode off} with {@code args}. */
    Result restore(Path data, String... args) throws Exception {
        List<String> all = new ArrayList<>(List.of("restore", "--pgdata", data.toString(), "--archive-mode", "off"));
        all.addAll(List.of(args));
        Result r = walvault(all.toArray(String[]::new));
        record.lap("restore into " + data.getParent().getFileName().toString().replaceAll("-[0-9]+$", ""));
        return r;
    }

    /** A server on a restored data directory, started without waiting (recovery may stop it). */
    PgCluster startRestored(String name, Path data, String... env) {
        PgCluster.Builder b = pg.cluster().name(name).dataDirectory(data).env("WALVAULT_JAR", jar.toString())
                .env("WALVAULT_CDS_DIR", WalvaultProcess.sharedClassArchives().toString());
        for (int i = 0; i + 1 < env.length; i += 2) {
            b.env(env[i], env[i + 1]);
        }
        PgCluster c = b.create();
        c.startNoWait();
        record.lap("started " + name);
        return c;
    }

    /** A restore (which must succeed) started until recovery ends, which must be by promotion. */
    PgCluster restoreAndPromote(String name, String... args) throws Exception {
        Path data = newDataDirectory(name);
        Result r = restore(data, args);
        assertEquals(0, r.code(), "restore " + name + ":\n" + r.output());
        PgCluster restored = startRestored(name, data);
        PgCluster.RecoveryOutcome outcome = restored.awaitRecoveryEnd(Duration.ofSeconds(180));
        assertEquals(PgCluster.RecoveryOutcome.PROMOTED, outcome, "restore " + name + ":\n" + restored.logSinceStart());
        record.lap("recovered " + name);
        return restored;
    }

    /**
     * Compares {@code restored} with every acknowledged commit, records it, and fails unless it
     * is exactly the truth ({@code exact}), or holds every acknowledged commit and nothing never
     * written (commits in flight allowed).
     */
    CommitLog.Comparison compare(String name, String how, PgCluster restored, boolean exact) throws Exception {
        CommitLog.Comparison c = truth.compare(restored);
        boolean ok = exact ? c.exact() : c.complete();
        record.restore(name, how, c, ok);
        record.lap("compared " + name);
        assertTrue(ok, "restore " + name + " (" + how + ") differs from the truth: " + c + "\n" + restored.logTail(40));
        return c;
    }

    /** Records a fault rule and fails if it never fired. */
    void fired(String kind, FaultRule rule) {
        record.fault(kind, rule);
        assertTrue(rule.fired() > 0, "fault never fired: " + rule);
    }

    record Result(int code, String output) {
    }

    /** Runs the executable with this rig's configuration, as the servers' OS user, and waits for it. */
    Result walvault(String... args) throws IOException, InterruptedException {
        return walvault(Map.of(), args);
    }

    Result walvault(Map<String, String> env, String... args) throws IOException, InterruptedException {
        Process p = start(env, args);
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(5, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new AssertionError("walvault " + String.join(" ", args) + " did not finish:\n" + out);
        }
        return new Result(p.exitValue(), out);
    }

    /** Starts the executable (command, then {@code --config}, then {@code args}) as the servers' OS user. */
    Process start(Map<String, String> env, String... args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(WALVAULT);
        cmd.add(args[0]);
        cmd.add("--config");
        cmd.add(conf.toString());
        cmd.addAll(List.of(args).subList(1, args.length));
        ProcessBuilder pb = new ProcessBuilder(ServerUser.get().wrap(cmd)).directory(scratch.toFile()).redirectErrorStream(true);
        pb.environment().put("WALVAULT_JAR", jar.toString());
        pb.environment().put("WALVAULT_CDS_DIR", WalvaultProcess.sharedClassArchives().toString());
        pb.environment().putAll(env);
        return pb.start();
    }

    /** Starts the executable as {@link #start} does, its output appended to {@code log}. */
    Process startLogged(Path log, Map<String, String> env, String... args) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(WALVAULT);
        cmd.add(args[0]);
        cmd.add("--config");
        cmd.add(conf.toString());
        cmd.addAll(List.of(args).subList(1, args.length));
        ProcessBuilder pb = new ProcessBuilder(ServerUser.get().wrap(cmd)).directory(scratch.toFile()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        pb.environment().put("WALVAULT_JAR", jar.toString());
        pb.environment().put("WALVAULT_CDS_DIR", WalvaultProcess.sharedClassArchives().toString());
        pb.environment().putAll(env);
        return pb.start();
    }

    /** Flips one byte in the middle of {@code file}; returns its original content. */
    static byte[] flipByte(Path file) throws IOException {
        byte[] original = Files.readAllBytes(file);
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            long at = f.length() / 2;
            f.seek(at);
            int b = f.read();
            f.seek(at);
            f.write(b ^ 0x20);
        }
        return original;
    }

    /** The repository object (local repository) whose file name starts with {@code prefix} under {@code under}. */
    Path object(String under, String prefix) throws IOException {
        try (Stream<Path> s = Files.walk(repoDir.resolve("clusters"))) {
            return s.filter(Files::isRegularFile)
                    .filter(p -> p.toString().contains(under) && p.getFileName().toString().startsWith(prefix))
                    .findFirst().orElseThrow(() -> new AssertionError("no object " + under + "..." + prefix + " in " + repoDir));
        }
    }

    /** Every regular file under {@code dir}, relative names, sorted. */
    static List<String> files(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).map(p -> dir.relativize(p).toString()).sorted().toList();
        }
    }

    /** Waits for {@code condition}, failing with {@code what} after {@code timeout}. */
    static void await(BooleanSupplier condition, Duration timeout, Supplier<String> what) throws InterruptedException {
        Instant deadline = Instant.now().plus(timeout);
        while (!condition.getAsBoolean()) {
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError("timed out after " + timeout + ": " + what.get());
            }
            Thread.sleep(50);
        }
    }

    /** Settings as a map, in order. */
    static Map<String, String> settings(String... kv) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i + 1 < kv.length; i += 2) {
            m.put(kv[i], kv[i + 1]);
        }
        return m;
    }
}
