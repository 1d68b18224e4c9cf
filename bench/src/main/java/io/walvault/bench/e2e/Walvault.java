package io.walvault.bench.e2e;

import static java.util.Objects.requireNonNull;

import io.walvault.testkit.ChildJvm;
import io.walvault.testkit.ServerUser;
import java.io.File;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The built executable as the end-to-end run uses it: {@code bin/walvault} with a copy of the
 * shaded jar in a directory the server user owns (PostgreSQL runs the hooks as that user), a
 * class-data-sharing directory there too, and a repository whose passphrase file and config
 * file live there as well. Also starts child JVMs on the jar for commands whose memory is
 * measured ({@link #childJvm}).
 *
 * <p>Not thread-safe; one per run. {@link #close()} stops the hook workers (archive-push, archive-get) that the
 * servers' hooks started in the pg_wal directories it was told about.
 */
final class Walvault implements AutoCloseable {

    private final Path root;
    private final Path dir;
    private final Path jar;
    private final List<Path> walDirs = new ArrayList<>();

    /**
     * @param root the source tree (bin/walvault, cli/target/walvault.jar)
     * @param dir a fresh directory for the jar copy and the hooks' files; given to the server user
     */
    Walvault(Path root, Path dir) throws IOException {
        this.root = requireNonNull(root, "root is null");
        this.dir = requireNonNull(dir, "dir is null");
        Path built = root.resolve("cli/target/walvault.jar");
        if (!Files.isReadable(built)) {
            throw new IllegalStateException("'" + built + "' is missing; build it with 'mvn -B -q package -DskipTests'");
        }
        Files.createDirectories(dir.resolve("cds"));
        this.jar = Files.copy(built, dir.resolve("walvault.jar"));
    }

    /** bin/walvault. */
    Path executable() {
        return root.resolve("bin/walvault");
    }

    Path jar() {
        return jar;
    }

    Path dir() {
        return dir;
    }

    /** What a server needs in its environment to run the hooks (jar, class-data cache). */
    Map<String, String> serverEnv() {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("WALVAULT_JAR", jar.toString());
        env.put("WALVAULT_CDS_DIR", dir.resolve("cds").toString());
        // the bench's own JVM options for the hooks, if any (a profiler agent, a heap size)
        String opts = System.getenv("WALVAULT_JAVA_OPTS");
        if (opts != null && !opts.isBlank()) {
            env.put("WALVAULT_JAVA_OPTS", opts);
        }
        return env;
    }

    /** Gives the directory to the server user; call after writing files the hooks read. */
    void handToServer() {
        ServerUser.get().adopt(dir);
    }

    /** A pg_wal whose hook workers {@link #close()} stops. */
    void watchedWal(Path pgWal) {
        walDirs.add(pgWal);
    }

    /** Stops the archive-push and archive-get workers of {@code pgWal}, if any run, and waits for them to exit. */
    static void stopWorkers(Path pgWal) {
        for (String role : List.of("push", "get")) {
            workerPid(pgWal, role).flatMap(ProcessHandle::of)
                    .filter(h -> h.info().command().map(c -> c.endsWith("java")).orElse(false)).ifPresent(h -> {
                        h.destroy();
                        try {
                            h.onExit().get(20, TimeUnit.SECONDS);
                        } catch (Exception e) {
                            h.destroyForcibly();
                        }
                    });
        }
    }

    /** The pid a worker of {@code role} wrote into the spool (for operators: it may be stale). */
    private static Optional<Long> workerPid(Path pgWal, String role) {
        try {
            return Optional.of(Long.parseLong(Files.readString(pgWal.resolve(".walvault/" + role + ".pid"),
                    StandardCharsets.UTF_8).trim()));
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    /** Peak RSS (VmHWM) in kB of the running archive-push worker of {@code pgWal}, or -1. */
    static long workerPeakRssKb(Path pgWal) {
        return workerPid(pgWal, "push").map(pid -> ChildJvm.peakRssKb(Path.of("/proc/" + pid + "/status"))).orElse(-1L);
    }

    /** Writes an owner-only file. */
    static Path writePrivate(Path file, String text) throws IOException {
        Files.writeString(file, text, StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        return file;
    }

    /** The outcome of a command. */
    record Run(int exitCode, String output, long nanos) {
    }

    /** Runs {@code cmd} with this environment plus {@link #serverEnv()} and {@code extraEnv}. */
    Run run(List<String> cmd, Map<String, String> extraEnv, Path workDir, long timeoutSeconds)
            throws IOException, InterruptedException {
        Path out = Files.createTempFile("walvault-bench-cmd", ".out");
        try {
            ProcessBuilder pb = new ProcessBuilder(cmd).directory(workDir.toFile()).redirectErrorStream(true)
                    .redirectOutput(out.toFile()).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
            pb.environment().putAll(serverEnv());
            pb.environment().putAll(extraEnv);
            long t0 = System.nanoTime();
            Process p = pb.start();
            try {
                if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                    throw new IllegalStateException("'" + String.join(" ", cmd) + "' did not finish within "
                            + timeoutSeconds + " s");
                }
            } finally {
                if (p.isAlive()) {
                    p.descendants().forEach(ProcessHandle::destroyForcibly);
                    p.destroyForcibly();
                    p.waitFor(10, TimeUnit.SECONDS);
                }
            }
            long nanos = System.nanoTime() - t0;
            awaitClassArchive();
            return new Run(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), nanos);
        } finally {
            Files.deleteIfExists(out);
        }
    }

    /**
     * Waits (up to 30 s) until no command's classes are being learnt in the class-data directory:
     * after a command's first successful run, bin/walvault adds its classes to the class list and
     * dumps a new archive in the background, which must not run beside what the bench times next.
     * A learning in progress shows as a temporary file, {@code .walvault-*}.
     */
    void awaitClassArchive() throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            try (Stream<Path> files = Files.list(dir.resolve("cds"))) {
                if (files.noneMatch(f -> f.getFileName().toString().startsWith(".walvault-"))) {
                    return;
                }
            }
            Thread.sleep(50);
        }
    }

    /**
     * {@code java -Xmx<heap> -cp <jar>:<bench classes> HwmMain <hwm file> io.walvault.cli.Main args}:
     * walvault's own main in a child JVM whose peak RSS is written at exit. Returns the outcome
     * and the VmHWM in kB (-1 if the JVM did not report it).
     */
    ChildResult childJvm(String heap, List<String> args, long timeoutSeconds) throws IOException, InterruptedException {
        Path hwm = Files.createTempFile("walvault-bench-hwm", ".txt");
        try {
            List<String> cmd = new ArrayList<>(List.of(ChildJvm.java(), "-Xmx" + heap));
            cmd.addAll(LAUNCHER_MEMORY);
            cmd.addAll(List.of("-cp", jar + File.pathSeparator + benchClasses(), HwmMain.class.getName(), hwm.toString(),
                    "io.walvault.cli.Main"));
            cmd.addAll(args);
            // restore writes a restore_command naming the launcher, which bin/walvault would have exported
            Run r = run(cmd, Map.of("WALVAULT_LAUNCHER", executable().toString(), "WALVAULT_JAR", jar.toString()), dir, timeoutSeconds);
            String s = Files.readString(hwm, StandardCharsets.UTF_8).trim();
            return new ChildResult(r, s.isEmpty() ? -1 : Long.parseLong(s));
        } finally {
            Files.deleteIfExists(hwm);
        }
    }

    /**
     * The memory flags bin/walvault starts a short-lived command with: its collector
     * ({@code WALVAULT_BENCH_GC} names another, such as {@code -XX:+UseG1GC}, to compare), and
     * transparent huge pages for the heap where the kernel leaves them to the program (madvise).
     * Child JVMs measured in process use them too.
     */
    static final List<String> LAUNCHER_MEMORY = launcherMemory();

    private static List<String> launcherMemory() {
        List<String> flags = new ArrayList<>(List.of(System.getenv().getOrDefault("WALVAULT_BENCH_GC", "-XX:+UseSerialGC")));
        try {
            if (Files.readString(Path.of("/sys/kernel/mm/transparent_hugepage/enabled"), StandardCharsets.US_ASCII)
                    .contains("[madvise]")) {
                flags.add("-XX:+UseTransparentHugePages");
            }
        } catch (IOException e) {
            // no such file: not Linux, or no transparent huge pages; bin/walvault adds nothing either
        }
        return List.copyOf(flags);
    }

    /** A child JVM's outcome and peak RSS. */
    record ChildResult(Run run, long peakRssKb) {
    }

    /**
     * Whether the jar knows {@code command}: {@code walvault COMMAND --help} prints that
     * command's own usage. (For an unknown command picocli prints the top-level usage, also with
     * exit 0, because of --help; without --help it is a usage error, exit 2, "Unmatched argument".)
     */
    boolean knows(String command) throws IOException, InterruptedException {
        Run r = run(List.of(ChildJvm.java(), "-jar", jar.toString(),
                command, "--help"), Map.of(), dir, 120);
        if (r.exitCode() == 0 || r.exitCode() == 2) {
            return r.output().contains("Usage: walvault " + command + " ");
        }
        throw new IllegalStateException("'walvault " + command + " --help' failed (exit " + r.exitCode() + "):\n" + r.output());
    }

    private static String benchClasses() {
        try {
            return Path.of(HwmMain.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        walDirs.forEach(Walvault::stopWorkers);
    }
}
