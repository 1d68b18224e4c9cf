package io.walvault.bench.e2e;

import static java.util.Objects.requireNonNull;

import io.walvault.core.config.RepositorySettings;
import io.walvault.core.config.Settings;
import io.walvault.core.repo.Repositories;
import io.walvault.core.wal.Lsn;
import io.walvault.restore.recovery.RecoveryConfigWriter;
import io.walvault.restore.recovery.RecoverySettings;
import io.walvault.restore.recovery.RecoveryTarget;
import io.walvault.restore.recovery.ShellQuote;
import io.walvault.restore.recovery.TargetAction;
import io.walvault.restore.recovery.TargetTimeline;
import io.walvault.testkit.PgCluster;
import io.walvault.testkit.PgVersion;
import io.walvault.testkit.ServerUser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.temporal.ChronoField;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The WAL figures, on a second, small server with archiving on: archive-push as PostgreSQL's
 * archive_command under a steady write load (per-call wall time, peak RSS), one cold push, how
 * fast a backlog drains, and how long a recovery takes to replay WAL through archive-get
 * (restore and start to promoted, with a time target) compared with the same WAL already in pg_wal.
 *
 * <p>archive_command is a small wrapper around {@code bin/walvault archive-push} that appends
 * "start_ns end_ns exit_code" of every call to a file and runs the push under
 * {@code /usr/bin/time -f %M} for its peak RSS. The server and its hooks run as the
 * {@link ServerUser}. The repository is local, LZ4 and passphrase-encrypted, like the backups'.
 *
 * <p>One run, one thread: {@link #open} starts the server, the figure methods run in the order
 * {@link BenchMain} calls them, {@link #close()} stops the server and the hooks' workers.
 */
final class WalBench implements AutoCloseable {

    private static final Path TIME = Path.of("/usr/bin/time");
    private static final long SEGMENT = 16L * 1024 * 1024;

    private final Report report;
    private final Walvault walvault;
    private final PgCluster pg;
    private final String repoUri;
    private final Path config;
    private final Path pushScript;
    private int scale;
    /** The largest VmHWM seen of an archive-push worker (sampled while waiting), kB. */
    private long workerKb = -1;
    private Path base;
    private String baseFirstSegment;

    private WalBench(Report report, Walvault walvault, PgCluster pg, String repoUri, Path config, Path pushScript) {
        this.report = report;
        this.walvault = walvault;
        this.pg = pg;
        this.repoUri = repoUri;
        this.config = config;
        this.pushScript = pushScript;
    }

    /**
     * Creates the WAL repository and the hook script in {@code walvault}'s directory and starts
     * the server (archive_mode on, archive_command {@code /bin/true} until a figure sets its own).
     */
    static WalBench open(Report report, Walvault walvault, int pgMajor) throws IOException {
        Path dir = walvault.dir();
        Path pass = Walvault.writePrivate(dir.resolve("passphrase"), "a long enough bench passphrase\n");
        Path conf = Walvault.writePrivate(dir.resolve("wal.conf"), "encryption = passphrase\npassphrase-file = " + pass + "\n");
        String uri = dir.resolve("repo").toUri().toString();
        Repositories.create(settings(uri, conf)).close();
        Path script = dir.resolve("push.sh");
        String walvaultCall = ShellQuote.word(walvault.executable().toString()) + " archive-push --repo " + ShellQuote.word(uri)
                + " --config " + ShellQuote.word(conf.toString()) + " \"$@\"";
        Files.writeString(script, String.join("\n",
                "#!/bin/bash",
                "# archive_command of the bench: $1 is a file that gets \"start_ns end_ns exit_code\" of every call",
                "# (and, in $1.rss, the peak RSS in kB of each call); the rest goes to walvault archive-push",
                "log=\"$1\"; shift",
                "s=$(date +%s%N)",
                Files.isExecutable(TIME) ? "/usr/bin/time -f %M -a -o \"$log.rss\" " + walvaultCall : walvaultCall,
                "rc=$?",
                "e=$(date +%s%N)",
                "echo \"$s $e $rc\" >> \"$log\"",
                "exit $rc",
                ""));
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwx------"));
        walvault.handToServer();
        PgCluster.Builder b = PgCluster.builder(PgVersion.of(pgMajor)).name("bench-wal")
                .setting("fsync", "on")
                .setting("shared_buffers", "128MB")
                .setting("max_wal_size", "4GB")
                .setting("wal_keep_size", "64GB") // the local replay copies segments out of pg_wal
                .setting("checkpoint_timeout", "30min")
                .setting("archive_mode", "on")
                .setting("archive_command", "/bin/true");
        walvault.serverEnv().forEach(b::env);
        PgCluster pg = b.start();
        walvault.watchedWal(pg.dataDirectory().resolve("pg_wal"));
        return new WalBench(report, walvault, pg, uri, conf, script);
    }

    static RepositorySettings settings(String repoUri, Path conf) {
        return RepositorySettings.from(Settings.load(Map.of("repo", repoUri), conf, Map.of()));
    }

    PgCluster cluster() {
        return pg;
    }

    /** Builds the small dataset (pgbench tables and random bytes) and returns its size in bytes. */
    long dataset(long bytes) throws Exception {
        try (Connection c = pg.connect()) {
            scale = Dataset.create(c, bytes);
            return Dataset.size(c);
        }
    }

    private Path pgWal() {
        return pg.dataDirectory().resolve("pg_wal");
    }

    private void archiveCommand(String command) throws InterruptedException {
        pg.execute("ALTER SYSTEM SET archive_command = '" + command.replace("'", "''") + "'", "SELECT pg_reload_conf()");
        Thread.sleep(500); // the archiver picks the new setting up on its next loop
    }

    private String plainPush() {
        return ShellQuote.word(walvault.executable().toString()) + " archive-push --repo " + ShellQuote.word(repoUri)
                + " --config " + ShellQuote.word(config.toString()) + " %p";
    }

    private String timedPush(Path times) {
        return ShellQuote.word(pushScript.toString()) + " " + ShellQuote.word(times.toString()) + " %p";
    }

    /**
     * archive_push_p50_ms / p90 / peak RSS: the timed wrapper as archive_command while two
     * clients write as fast as they can for {@code seconds}; then until nothing is left to archive.
     */
    void pushUnderLoad(int seconds) throws Exception {
        try (Stream<Path> s = Files.list(pgWal())) {
            untimedPush("load-warm", s.map(p -> p.getFileName().toString()).filter(n -> n.matches("[0-9A-F]{24}")).sorted()
                    .findFirst().orElseThrow(() -> new IllegalStateException("no segment in pg_wal")));
        }
        Path times = walvault.dir().resolve("times-load");
        archiveCommand(timedPush(times));
        Lsn before = lsn();
        long t0 = System.nanoTime();
        workerKb = -1;
        try (WalLoad load = WalLoad.start(pg.jdbcUrl("postgres"), PgCluster.SUPERUSER, scale, 2, 0)) {
            long end = t0 + seconds * 1_000_000_000L;
            while (System.nanoTime() < end) {
                Thread.sleep(500);
                workerKb = Math.max(workerKb, Walvault.workerPeakRssKb(pgWal())); // workers come and go
            }
        }
        double loadSeconds = (System.nanoTime() - t0) / 1e9;
        double walMB = lsn().minus(before) / 1e6;
        pg.execute("SELECT pg_switch_wal()");
        awaitNoReady(Duration.ofMinutes(10));
        List<Double> ms = new ArrayList<>();
        int failed = 0;
        for (String line : Files.readAllLines(times)) {
            String[] f = line.trim().split(" ");
            if (f.length == 3 && f[2].equals("0")) {
                ms.add((Long.parseLong(f[1]) - Long.parseLong(f[0])) / 1e6);
            } else if (f.length == 3) {
                failed++;
            }
        }
        if (ms.isEmpty()) {
            throw new IllegalStateException("no successful archive_command call under load; server log:\n" + pg.logTail(40));
        }
        String how = String.format(Locale.ROOT, "wall time of each archive_command call as PostgreSQL runs it (a wrapper"
                + " script's `date +%%s%%N` around `bin/walvault archive-push`, push worker on), %d calls"
                + " while 2 clients wrote %.0f MB of WAL in %.0f s, %d failed calls retried by PostgreSQL",
                ms.size(), walMB, loadSeconds, failed);
        report.add("archive_push_p50_ms", Percentiles.of(ms, 50), "ms", "median " + how);
        report.add("archive_push_p90_ms", Percentiles.of(ms, 90), "ms", "90th percentile (nearest rank) " + how);
        List<Long> rss = rssKb(times.resolveSibling(times.getFileName() + ".rss"));
        if (rss.size() >= 2) {
            report.add("archive_push_peak_rss_MB", rss.subList(1, rss.size()).stream().mapToLong(Long::longValue).max()
                    .orElseThrow() / 1024.0, "MB", "largest `/usr/bin/time -f %M` (max RSS) of the archive_command calls"
                    + " under load but the first: the JVM of a call that pushed its own segment, not the detached worker");
            report.add("archive_push_first_call_rss_MB", rss.get(0) / 1024.0, "MB", "max RSS of the first call under load"
                    + " (the class-data archive already learnt, by an untimed push before the load)");
        } else {
            report.unavailable("archive_push_peak_rss_MB", "MB", Files.isExecutable(TIME) ? "fewer than 2 calls"
                    : "/usr/bin/time is missing", "max RSS of archive_command calls");
        }
        if (workerKb > 0) {
            report.add("archive_push_worker_peak_rss_MB", workerKb / 1024.0, "MB",
                    "largest VmHWM of the detached archive-push worker, sampled during the load and until the backlog was archived");
        } else {
            report.unavailable("archive_push_worker_peak_rss_MB", "MB", "no worker ran during the load and its catch-up",
                    "VmHWM of the detached archive-push worker");
        }
    }

    /**
     * archive_drain_segments_per_s: archiving stopped (an empty archive_command: PostgreSQL 14-18
     * keep every finished segment as .ready, waiting for one), {@code segments} segments written,
     * then the real command set back and the time until all are archived.
     */
    void drain(int segments) throws Exception {
        // the machine's limit first: the same backlog archived by PostgreSQL calling /bin/true
        backlog(segments);
        Drained limit = drainWith("/bin/true");
        report.add("archive_drain_limit_segments_per_s", limit.perSecond(), "segments/s", String.format(Locale.ROOT,
                "the machine's limit: a backlog of %d .ready segments archived by PostgreSQL with archive_command ="
                        + " /bin/true (its archiver's own cost per file: a shell, the status rename and its fsyncs), %.1f s",
                limit.files(), limit.seconds()));
        backlog(segments);
        // one untimed call first, on a copy of a backlog segment (earlier sections have made the
        // class archive, unless --only left them out)
        try (Stream<Path> s = Files.list(pgWal())) {
            untimedPush("drain-warm", s.map(p -> p.getFileName().toString()).filter(n -> n.matches("[0-9A-F]{24}")).sorted()
                    .filter(n -> Files.exists(pgWal().resolve("archive_status").resolve(n + ".ready"))).findFirst()
                    .orElseThrow(() -> new IllegalStateException("no ready segment in the backlog")));
        }
        // the plain hook, as a server runs it: the timing wrapper's own processes (a shell, two dates,
        // /usr/bin/time) would cost PostgreSQL's serial archiver more than the answered calls do
        Drained d = drainWith(plainPush());
        report.add("archive_drain_segments_per_s", d.perSecond(), "segments/s", String.format(Locale.ROOT,
                "a backlog of %d full .ready segments (written with archive_command empty, worker stopped) archived after"
                        + " archive_command was set to plain `bin/walvault archive-push` (no timing wrapper): segments /"
                        + " seconds until pg_stat_archiver counted them all (%.1f s)", d.files(), d.seconds()));
        report.add("archive_drain_vs_limit", d.perSecond() / limit.perSecond(), "ratio",
                "archive_drain_segments_per_s / archive_drain_limit_segments_per_s");
    }

    private record Drained(int files, double seconds) {
        double perSecond() {
            return files / seconds;
        }
    }

    /** About {@code segments} .ready segments written with archiving stopped (an empty archive_command). */
    private void backlog(int segments) throws Exception {
        archiveCommand("");
        Walvault.stopWorkers(pgWal()); // a running worker would push the backlog ahead of PostgreSQL
        try (WalLoad load = WalLoad.start(pg.jdbcUrl("postgres"), PgCluster.SUPERUSER, scale, 2, 0)) {
            Thread.sleep(2000);
            Walvault.stopWorkers(pgWal()); // one started by a call that was running when the command was emptied
            long deadline = System.nanoTime() + Duration.ofMinutes(20).toNanos();
            while (readyCount() < segments && System.nanoTime() < deadline) {
                Thread.sleep(250);
            }
        }
        pg.execute("SELECT pg_switch_wal()");
        Thread.sleep(500);
    }

    /** Sets {@code command} as archive_command and waits until the backlog is archived. */
    private Drained drainWith(String command) throws Exception {
        int backlog = readyCount();
        long archivedBefore = archivedCount();
        long t0 = System.nanoTime();
        archiveCommand(command);
        long deadline = t0 + Duration.ofMinutes(20).toNanos();
        while (archivedCount() - archivedBefore < backlog) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the backlog of " + backlog + " segments did not drain in 20 minutes");
            }
            Thread.sleep(50);
        }
        return new Drained(backlog, (System.nanoTime() - t0) / 1e9);
    }

    /**
     * The whole point-in-time recovery against the machine's limit: a backup of the server
     * (`walvault backup` into the WAL repository), about {@code gb} GB of WAL written and
     * archived after it, a time target a few seconds before its end; then
     * <ul>
     *   <li>PITR: {@code walvault restore --target-time T --target-action promote} and the
     *       server started until it is promoted (accepts connections, writable), every segment
     *       through {@code restore_command = bin/walvault archive-get};</li>
     *   <li>local: the same backup restored ({@code --target immediate}: no target to resolve),
     *       the same WAL copied into pg_wal (not timed), the same time target with
     *       {@code restore_command = /bin/false}, and the server started until promoted.</li>
     * </ul>
     */
    void replay(double gb, String conninfo) throws Exception {
        String exe = walvault.executable().toString();
        baseFirstSegment = pg.queryString("SELECT pg_walfile_name(pg_current_wal_lsn())");
        archiveCommand(timedPush(walvault.dir().resolve("times-replay")));
        Walvault.Run backup = walvault.run(ServerUser.get().wrap(List.of(exe, "backup", "--checkpoint", "fast", "--pg", conninfo,
                "--repo", repoUri, "--config", config.toString())), Map.of(), walvault.dir(), 3600);
        if (backup.exitCode() != 0) {
            throw new IllegalStateException("walvault backup failed (exit " + backup.exitCode() + "):\n" + backup.output());
        }
        Lsn before = lsn();
        String target;
        try (WalLoad load = WalLoad.start(pg.jdbcUrl("postgres"), PgCluster.SUPERUSER, scale, 2, 0)) {
            long deadline = System.nanoTime() + Duration.ofMinutes(20).toNanos();
            while (lsn().minus(before) < gb * 1e9 && System.nanoTime() < deadline) {
                Thread.sleep(250);
            }
            target = pg.queryString("SELECT clock_timestamp()::text");
            Thread.sleep(3000); // WAL past the target: recovery must stop inside the archive, not at its end
        }
        String last = pg.queryString("SELECT pg_walfile_name(pg_current_wal_lsn())");
        pg.execute("SELECT pg_switch_wal()");
        awaitArchived(last, Duration.ofMinutes(20));
        double walMB = lsn().minus(before) / 1e6;
        pg.stop();
        Walvault.stopWorkers(pgWal());

        // one untimed archive-get of the first segment after the backup, as the server's
        // restore_command runs it but without a worker: the first successful run of a command
        // adds its classes to the class-data archive, dumped in the background, not beside redo
        Path warm = Files.createDirectories(walvault.dir().resolve("get-warm"));
        ServerUser.get().adopt(warm);
        Walvault.Run get = walvault.run(ServerUser.get().wrap(List.of(exe, "archive-get", "--repo", repoUri, "--config",
                config.toString(), "--prefetch", "0", baseFirstSegment, warm.resolve(baseFirstSegment).toString())), Map.of(), warm, 300);
        if (get.exitCode() != 0) {
            throw new IllegalStateException("archive-get of '" + baseFirstSegment + "' failed (exit " + get.exitCode() + "):\n"
                    + get.output());
        }
        Path pitrData = walvault.dir().resolve("bench-pitr").resolve("data");
        Walvault.Run pitrRestore = restore(exe, pitrData, List.of("--target-time", target, "--target-action", "promote"));
        Recovery pitr = start("bench-pitr", pitrData);
        Path localData = walvault.dir().resolve("bench-local").resolve("data");
        Walvault.Run localRestore = restore(exe, localData, List.of("--target", "immediate"));
        try (Stream<Path> s = Files.list(pgWal())) {
            for (Path p : (Iterable<Path>) s::iterator) {
                String n = p.getFileName().toString();
                if (n.matches("[0-9A-F]{24}") && n.compareTo(baseFirstSegment) >= 0 && n.compareTo(last) <= 0) {
                    Files.copy(p, localData.resolve("pg_wal").resolve(n), StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
        ServerUser.get().adopt(localData.resolve("pg_wal"));
        RecoveryConfigWriter.write(localData, new RecoverySettings("/bin/false", "", new RecoveryTarget.Time(
                Instant.from(PG_TIMESTAMP.parse(target))), true, TargetAction.PROMOTE, TargetTimeline.latest(), true));
        Recovery local = start("bench-local", localData);

        double pitrRestoreS = pitrRestore.nanos() / 1e9;
        double localRestoreS = localRestore.nanos() / 1e9;
        double pitrWhole = pitrRestoreS + pitr.wallSeconds();
        double localWhole = localRestoreS + local.wallSeconds();
        report.add("replay_wal_MB", walMB, "MB", "WAL written after the backup by 2 clients of 1000-row range UPDATEs,"
                + " and archived by archive-push; the time target lies 3 s before its end");
        report.add("pitr_restore_s", pitrRestoreS, "s", "`walvault restore --target-time T --target-action promote`"
                + " of that backup (extraction, and the target resolved from the archived WAL)");
        report.add("local_restore_s", localRestoreS, "s", "`walvault restore --target immediate` of the same backup"
                + " (extraction alone)");
        report.add("pitr_start_s", pitr.wallSeconds(), "s", "server start to promoted (accepting connections, writable),"
                + " WAL through `restore_command = bin/walvault archive-get`");
        report.add("local_start_s", local.wallSeconds(), "s", "server start to promoted, the same WAL already in pg_wal"
                + " (`restore_command = /bin/false`), the same time target");
        report.add("pitr_whole_s", pitrWhole, "s", "pitr_restore_s + pitr_start_s");
        report.add("local_whole_s", localWhole, "s", "local_restore_s + local_start_s");
        report.add("pitr_vs_local_whole", pitrWhole / localWhole, "ratio", "pitr_whole_s / local_whole_s");
        report.add("pitr_replay_s", pitr.redoSeconds(), "s", "redo phase of that PITR (server log: \"redo starts at\" to"
                + " \"redo done at\")");
        report.add("local_replay_s", local.redoSeconds(), "s", "the same redo phase of the local recovery");
        report.add("pitr_vs_local_replay", pitr.redoSeconds() / local.redoSeconds(), "ratio", "pitr_replay_s / local_replay_s");
        report.add("pitr_outside_redo_over_local_s", (pitrWhole - pitr.redoSeconds()) - (localWhole - local.redoSeconds()),
                "s", "(pitr_whole_s - pitr_replay_s) - (local_whole_s - local_replay_s): what walvault adds outside redo");
        report.add("pitr_segments_restored", pitr.restored(), "files", "segments the server restored through archive-get"
                + " in that recovery (its \"restored log file\" lines)");
        report.add("pitr_segments_fetched_by_calls", pitr.byJava(), "files", "of those, fetched by a Java archive-get call"
                + " itself (the others were renamed out of the worker's spool by the launcher, without a JVM)");
        pg.start();
    }

    /** PostgreSQL's text form of a timestamptz, as {@code clock_timestamp()::text} prints it. */
    private static final DateTimeFormatter PG_TIMESTAMP = new DateTimeFormatterBuilder()
            .appendPattern("yyyy-MM-dd HH:mm:ss").optionalStart().appendFraction(ChronoField.NANO_OF_SECOND, 0, 9, true)
            .optionalEnd().appendPattern("x").toFormatter(Locale.ROOT);

    private Walvault.Run restore(String exe, Path data, List<String> target) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(exe, "restore", "--pgdata", data.toString(), "--repo", repoUri, "--config",
                config.toString()));
        cmd.addAll(target);
        Walvault.Run r = walvault.run(ServerUser.get().wrap(cmd), Map.of(), walvault.dir(), 3600);
        if (r.exitCode() != 0) {
            throw new IllegalStateException("walvault restore failed (exit " + r.exitCode() + "):\n" + r.output());
        }
        return r;
    }

    private record Recovery(double redoSeconds, double wallSeconds, int restored, int byJava) {
    }

    private Recovery start(String name, Path data) throws Exception {
        PgCluster.Builder b = PgCluster.builder(pg.version()).name(name).dataDirectory(data);
        walvault.serverEnv().forEach(b::env);
        try (PgCluster r = b.create()) {
            long t0 = System.nanoTime();
            r.startNoWait();
            PgCluster.RecoveryOutcome outcome = r.awaitRecoveryEnd(Duration.ofMinutes(30));
            double wall = (System.nanoTime() - t0) / 1e9;
            String log = r.logSinceStart();
            if (outcome != PgCluster.RecoveryOutcome.PROMOTED) {
                throw new IllegalStateException(name + ": recovery ended " + outcome + "\n" + r.logTail(40));
            }
            if (!log.contains("recovery stopping before commit") && !log.contains("recovery stopping after commit")) {
                throw new IllegalStateException(name + ": recovery did not stop at the time target\n" + r.logTail(40));
            }
            double redo = RedoLog.redoPhase(log).map(d -> d.toMillis() / 1e3).orElse(wall);
            return new Recovery(redo, wall, RedoLog.restoredFromArchive(log), RedoLog.fetchedByJavaCalls(log));
        } finally {
            Walvault.stopWorkers(data.resolve("pg_wal"));
        }
    }

    /**
     * archive_push_cold_ms: segments the repository has never seen, each alone in a pg_wal-like
     * directory (.ready in archive_status, nothing to look ahead at), pushed by one
     * {@code bin/walvault archive-push} call (fresh JVM, no worker) into a fresh repository.
     */
    void coldPush(int calls) throws Exception {
        Path dir = walvault.dir();
        String coldUri = dir.resolve("cold-repo").toUri().toString();
        Repositories.create(settings(coldUri, config)).close();
        List<String> segments = new ArrayList<>();
        try (Stream<Path> s = Files.list(pgWal().resolve("archive_status"))) {
            s.map(p -> p.getFileName().toString()).filter(n -> n.matches("[0-9A-F]{24}\\.done")).sorted()
                    .forEach(n -> segments.add(n.substring(0, 24)));
        }
        // one call more, first and untimed: the first successful run of a command adds its classes
        // to the class-data archive (earlier sections have, unless --only left them out)
        if (segments.size() < calls + 2) {
            throw new IllegalStateException("only " + segments.size() + " archived segments in pg_wal");
        }
        List<String> chosen = segments.subList(segments.size() - calls - 2, segments.size() - 1);
        List<Double> ms = new ArrayList<>();
        long rssKb = -1;
        for (int i = 0; i < chosen.size(); i++) {
            Path work = dir.resolve("cold-" + i);
            Walvault.Run r = pushAlone(work, dir.resolve("cold-repo"), chosen.get(i));
            if (i == 0) {
                continue;
            }
            ms.add(r.nanos() / 1e6);
            rssKb = Math.max(rssKb, rssKb(work.resolve("rss")).stream().mapToLong(Long::longValue).max().orElse(-1));
        }
        report.add("archive_push_cold_ms", Percentiles.median(ms), "ms", String.format(Locale.ROOT, "median of %d"
                + " `bin/walvault archive-push` calls (fresh JVM, --look-ahead 0: no worker, class-data archive"
                + " already dumped, by an untimed call before them), each on a real 16 MiB segment alone in its pg_wal, into a fresh repository;"
                + " all: %s ms", ms.size(), ms.stream().map(WalBench::fmt).toList()));
        if (rssKb > 0) {
            report.add("archive_push_cold_peak_rss_MB", rssKb / 1024.0, "MB", "largest max RSS of those cold calls");
        }
    }

    /**
     * One {@code bin/walvault archive-push --look-ahead 0} call (no worker) as the server user on a copy of
     * {@code segment}, alone in {@code work/pg_wal} with its .ready, into the local repository
     * {@code repo}; its max RSS goes to {@code work/rss} when /usr/bin/time is there.
     */
    /**
     * One untimed archive-push of a copy of {@code segment} into a repository of its own: the first
     * successful run of a command adds its classes to the class-data archive and a new archive is
     * dumped in the background (bin/walvault), which must happen before the timed calls, not
     * among them.
     */
    private void untimedPush(String name, String segment) throws Exception {
        Path scratch = walvault.dir().resolve(name + "-repo");
        Repositories.create(settings(scratch.toUri().toString(), config)).close();
        pushAlone(walvault.dir().resolve(name), scratch, segment);
    }

    private Walvault.Run pushAlone(Path work, Path repo, String segment) throws Exception {
        Path wal = Files.createDirectories(work.resolve("pg_wal").resolve("archive_status")).getParent();
        Files.copy(pgWal().resolve(segment), wal.resolve(segment));
        Files.createFile(wal.resolve("archive_status").resolve(segment + ".ready"));
        ServerUser.get().adopt(work);
        ServerUser.get().adopt(repo);
        List<String> cmd = new ArrayList<>();
        if (Files.isExecutable(TIME)) {
            cmd.addAll(List.of(TIME.toString(), "-f", "%M", "-o", work.resolve("rss").toString()));
        }
        cmd.addAll(List.of(walvault.executable().toString(), "archive-push", "--repo", repo.toUri().toString(), "--config",
                config.toString(), "--look-ahead", "0", "pg_wal/" + segment));
        Walvault.Run r = walvault.run(ServerUser.get().wrap(cmd), Map.of(), work, 300);
        if (r.exitCode() != 0) {
            throw new IllegalStateException("archive-push of '" + segment + "' failed (exit " + r.exitCode() + "):\n" + r.output());
        }
        return r;
    }

    /**
     * agent_rpo_s: {@code walvault agent} streams into a fresh repository while two clients
     * write; the server is killed (SIGKILL) at a random moment 20-40 s in; once the agent had
     * time to ship its .partial, the commit timestamp of the last commit record in the newest WAL
     * of the repository is compared with the time the client saw its last commit acknowledged.
     * The server is left stopped.
     */
    void agentRpo(String conninfo) throws Exception {
        Path dir = walvault.dir();
        String agentUri = dir.resolve("agent-repo").toUri().toString();
        Repositories.create(settings(agentUri, config)).close();
        archiveCommand("/bin/true");
        pg.execute("SELECT pg_create_physical_replication_slot('wv_bench_agent', true)");
        long systemId = Long.parseUnsignedLong(pg.queryString("SELECT system_identifier FROM pg_control_system()"));
        Path spool = Files.createDirectories(dir.resolve("agent-spool"));
        Path log = dir.resolve("agent.log");
        ProcessBuilder pb = new ProcessBuilder(walvault.executable().toString(), "agent", "--pg", conninfo,
                "--slot", "wv_bench_agent", "--spool", spool.toString(), "--repo", agentUri, "--config", config.toString(),
                "--log-file", "-")
                .redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().putAll(walvault.serverEnv());
        Process agent = pb.start();
        long lastCommit;
        long killedAfterMs;
        try {
            Thread.sleep(5000);
            if (!agent.isAlive()) {
                throw new IllegalStateException("walvault agent exited with " + agent.exitValue() + ":\n" + Files.readString(log));
            }
            killedAfterMs = 20_000 + ThreadLocalRandom.current().nextLong(20_000);
            WalLoad load = WalLoad.start(pg.jdbcUrl("postgres"), PgCluster.SUPERUSER, scale, 2, 0);
            try {
                Thread.sleep(killedAfterMs);
                pg.killPostmaster();
                lastCommit = load.lastCommitMillis();
            } finally {
                load.close();
            }
            Thread.sleep(15_000); // the agent ships its .partial every few seconds
        } finally {
            agent.descendants().forEach(ProcessHandle::destroy);
            agent.destroy();
            if (!agent.waitFor(20, TimeUnit.SECONDS)) {
                agent.descendants().forEach(ProcessHandle::destroyForcibly);
                agent.destroyForcibly();
                agent.waitFor(10, TimeUnit.SECONDS);
            }
        }
        Optional<Instant> newest = AgentWal.lastCommit(settings(agentUri, config), systemId);
        if (newest.isEmpty()) {
            throw new IllegalStateException("no commit record in the agent's repository; agent log:\n" + Files.readString(log));
        }
        double rpo = Math.max(0, (lastCommit - newest.get().toEpochMilli()) / 1e3);
        report.add("agent_rpo_s", rpo, "s", String.format(Locale.ROOT, "`walvault agent` streaming while 2 clients wrote;"
                + " server killed with SIGKILL %.0f s in; last commit the client saw acknowledged minus the commit"
                + " timestamp of the last commit record in the newest WAL file (segment or .partial) of the repository,"
                + " read 15 s after the kill", killedAfterMs / 1e3));
    }

    private Lsn lsn() {
        return Lsn.parse(pg.queryString("SELECT pg_current_wal_lsn()"));
    }

    private long archivedCount() {
        return Long.parseLong(pg.queryString("SELECT archived_count FROM pg_stat_archiver"));
    }

    private int readyCount() throws IOException {
        try (Stream<Path> s = Files.list(pgWal().resolve("archive_status"))) {
            return (int) s.filter(p -> p.getFileName().toString().endsWith(".ready")).count();
        }
    }

    private void awaitNoReady(Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (readyCount() > 0) {
            workerKb = Math.max(workerKb, Walvault.workerPeakRssKb(pgWal()));
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("WAL was not archived within " + timeout + "\n" + pg.logTail(40));
            }
            Thread.sleep(100);
        }
    }

    private void awaitArchived(String segment, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (pg.queryString("SELECT coalesce(last_archived_wal, '') FROM pg_stat_archiver").compareTo(segment) < 0) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("'" + segment + "' was not archived within " + timeout + "\n" + pg.logTail(40));
            }
            Thread.sleep(100);
        }
    }

    /** The numbers on their own lines of a {@code /usr/bin/time -f %M} output file (one per call), in order. */
    static List<Long> rssKb(Path file) throws IOException {
        if (!Files.exists(file)) {
            return List.of();
        }
        return Files.readAllLines(file, StandardCharsets.UTF_8).stream().map(String::trim).filter(l -> l.matches("[0-9]+"))
                .map(Long::parseLong).toList();
    }

    static String fmt(double v) {
        return String.format(Locale.ROOT, "%.1f", v);
    }

    @Override
    public void close() {
        try {
            Walvault.stopWorkers(pgWal());
        } finally {
            pg.close();
        }
    }
}
