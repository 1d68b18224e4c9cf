package io.walvault.cli.agent;

import io.walvault.cli.WalvaultProcess;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@code bin/walvault agent} as a child process, its standard output and error in a file; its
 * log lines go to its own default log file, {@code log/agent.log} in its spool.
 */
final class AgentProcess implements AutoCloseable {

    private final Process process;
    private final Path log;
    private final Path spool;
    final int metricsPort;

    private AgentProcess(Process process, Path log, Path spool, int metricsPort) {
        this.process = process;
        this.log = log;
        this.spool = spool;
        this.metricsPort = metricsPort;
    }

    /** Starts {@code walvault agent} with {@code args} after the repository, connection and spool. */
    static AgentProcess start(Path work, String repoUri, String conninfo, String slot, String... args) throws IOException {
        return start(work, repoUri, conninfo, slot, freePort(), args);
    }

    /** As {@link #start(Path, String, String, String, String...)}, serving metrics on {@code port}. */
    static AgentProcess start(Path work, String repoUri, String conninfo, String slot, int port, String... args) throws IOException {
        Path spool = work.resolve("spool-" + slot);
        List<String> cmd = new ArrayList<>(List.of("agent", "--repo", repoUri,
                "--pg", conninfo, "--slot", slot, "--spool", spool.toString(),
                "--metrics-listen", "127.0.0.1:" + port, "--reconnect-max", "2s"));
        cmd.addAll(List.of(args));
        Files.createDirectories(work);
        Path log = Files.createTempFile(work, "agent-", ".log");
        Process p = WalvaultProcess.of(cmd).env("WALVAULT_JAVA_OPTS", "-Xmx256m -XX:TieredStopAtLevel=1").start(log);
        return new AgentProcess(p, log, spool, port);
    }

    long pid() {
        return process.pid();
    }

    /** What the agent wrote: its standard output and error, then its log file. */
    String output() {
        return processOutput() + "\n--- " + logFile() + ":\n" + read(logFile());
    }

    /** Its standard output and error alone. */
    String processOutput() {
        return read(log);
    }

    /** Its default log file. */
    Path logFile() {
        return spool.resolve("log").resolve("agent.log");
    }

    private static String read(Path file) {
        try {
            return Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "(none)";
        } catch (IOException e) {
            return e.toString();
        }
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** SIGTERM and the exit code. */
    int terminate() throws InterruptedException {
        process.destroy();
        return waitFor(Duration.ofSeconds(90));
    }

    /** SIGKILL. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    int waitFor(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError("agent did not exit within " + timeout + ":\n" + output());
        }
        return process.exitValue();
    }

    /** GET {@code path} on the metrics port: status and body. */
    HttpResponse<String> get(String path) throws IOException, InterruptedException {
        HttpClient c = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        return c.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + metricsPort + path)).timeout(Duration.ofSeconds(10))
                .build(), HttpResponse.BodyHandlers.ofString());
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            kill();
        }
    }
}
