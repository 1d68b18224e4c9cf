package io.walvault.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.walvault.testkit.ServerUser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * {@code bin/walvault} started as a child process, as a user, a script or PostgreSQL starts it:
 * the one way the tests run the executable. Made with the command's arguments, then given
 * environment changes (applied in order to this JVM's environment), a working directory, the
 * servers' operating-system user and a time limit, and either {@linkplain #run() run to its
 * end} or {@linkplain #start(Path) started} to run beside the test.
 */
public final class WalvaultProcess {

    private final List<String> args;
    private final List<Consumer<Map<String, String>>> environment = new ArrayList<>();
    private Path directory;
    private boolean asServerUser;
    private Duration timeout = Duration.ofSeconds(60);

    private WalvaultProcess(List<String> args) {
        this.args = List.copyOf(args);
    }

    /** The executable of this checkout. */
    public static Path executable() {
        return SourceTree.ROOT.resolve("bin/walvault");
    }

    /** The jar the build packages, which {@link #executable()} runs unless {@code WALVAULT_JAR} names another. */
    public static Path jar() {
        return SourceTree.ROOT.resolve("cli/target/walvault.jar");
    }

    /**
     * A copy of {@link #jar()} that the servers' operating-system user can read, made once per test
     * JVM, beside a class-archive directory ({@link #sharedClassArchives()}) that user may write:
     * the executable learns its class archive once per jar and command (bin/walvault), so the tests
     * that run it as that user share one jar and one archive instead of learning their own.
     */
    public static Path sharedJar() {
        return Shared.DIRECTORY.resolve("walvault.jar");
    }

    /** The {@code WALVAULT_CDS_DIR} to use with {@link #sharedJar()}. */
    public static Path sharedClassArchives() {
        return Shared.DIRECTORY.resolve("cds");
    }

    /** Made on first use; removed when the JVM exits, whatever a background dump still writes into it. */
    private static final class Shared {
        static final Path DIRECTORY = create();

        private static Path create() {
            try {
                Path dir = Files.createTempDirectory("walvault-shared-jar-");
                Files.copy(jar(), dir.resolve("walvault.jar"));
                Files.createDirectories(dir.resolve("cds"));
                ServerUser.get().adopt(dir);
                Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                    try (Stream<Path> all = Files.walk(dir)) {
                        all.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
                    } catch (IOException | UncheckedIOException e) {
                        // a temporary directory: what is left of it, the system's cleanup removes
                    }
                }));
                return dir;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    /** How a command ended: its exit code, and its standard output and error together. */
    public record Result(int exitCode, String out) {
    }

    /** {@code bin/walvault args}. */
    public static WalvaultProcess of(String... args) {
        return new WalvaultProcess(Arrays.asList(args));
    }

    /** {@code bin/walvault args}. */
    public static WalvaultProcess of(List<String> args) {
        return new WalvaultProcess(args);
    }

    /** Sets the environment variable {@code name}. */
    public WalvaultProcess env(String name, String value) {
        environment.add(e -> e.put(name, value));
        return this;
    }

    /** Sets these environment variables. */
    public WalvaultProcess env(Map<String, String> variables) {
        Map<String, String> copy = Map.copyOf(variables);
        environment.add(e -> e.putAll(copy));
        return this;
    }

    /** Removes the environment variable {@code name}. */
    public WalvaultProcess withoutEnv(String name) {
        environment.add(e -> e.remove(name));
        return this;
    }

    /** Removes every environment variable whose name starts with {@code prefix} ({@code WALVAULT_}: no setting inherited). */
    public WalvaultProcess withoutEnvStartingWith(String prefix) {
        environment.add(e -> e.keySet().removeIf(k -> k.startsWith(prefix)));
        return this;
    }

    /** Runs it in {@code directory} (else this JVM's). */
    public WalvaultProcess in(Path directory) {
        this.directory = directory;
        return this;
    }

    /** Runs it as the operating-system user the test servers run as (as a DBA would), not as this process's. */
    public WalvaultProcess asServerUser() {
        this.asServerUser = true;
        return this;
    }

    /** How long {@link #run()} waits for the end (default 60 s). */
    public WalvaultProcess timeout(Duration timeout) {
        this.timeout = timeout;
        return this;
    }

    /** Runs the command to its end; fails the test if it does not end within the time limit. */
    public Result run() throws IOException, InterruptedException {
        Process p = builder().redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("walvault " + String.join(" ", args) + " did not finish within " + timeout + ":\n" + out);
        }
        return new Result(p.exitValue(), out);
    }

    /** Starts the command beside the test, its standard output and error together on the process's input stream. */
    public Process start() throws IOException {
        return builder().redirectErrorStream(true).start();
    }

    /** Starts the command beside the test, its standard output and error written to {@code log}. */
    public Process start(Path log) throws IOException {
        return builder().redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    /** Sends {@code signal} ({@code INT}, {@code TERM}) to {@code p}: bin/walvault execs Java, so the JVM gets it. */
    public static void signal(Process p, String signal) throws IOException, InterruptedException {
        assertEquals(0, new ProcessBuilder("kill", "-" + signal, Long.toString(p.pid())).start().waitFor());
    }

    private ProcessBuilder builder() {
        List<String> cmd = new ArrayList<>();
        cmd.add(executable().toString());
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(asServerUser ? ServerUser.get().wrap(cmd) : cmd);
        if (directory != null) {
            pb.directory(directory.toFile());
        }
        environment.forEach(change -> change.accept(pb.environment()));
        return pb;
    }
}
