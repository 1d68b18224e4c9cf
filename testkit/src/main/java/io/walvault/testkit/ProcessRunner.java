package io.walvault.testkit;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs a server-side program as the {@link ServerUser}, with a clean environment and a time limit. */
final class ProcessRunner {

    /** The outcome of one program run. */
    record Result(List<String> command, int exitCode, String output) {
        boolean ok() {
            return exitCode == 0;
        }

        String describe() {
            return "'" + String.join(" ", command) + "' exited with " + exitCode + ":\n" + output;
        }
    }

    private ProcessRunner() {
    }

    static Result run(List<String> command, Map<String, String> env, Path workDir, Duration timeout) {
        List<String> wrapped = ServerUser.get().wrap(command);
        Path out = null;
        try {
            out = Files.createTempFile("walvault-proc", ".out");
            ProcessBuilder pb = new ProcessBuilder(wrapped)
                    .directory(workDir.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(out.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
            pb.environment().clear();
            pb.environment().putAll(env);
            Process p = pb.start();
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                p.waitFor(10, TimeUnit.SECONDS);
                return new Result(command, -1, Files.readString(out, StandardCharsets.UTF_8)
                        + "\n(timed out after " + timeout + ")");
            }
            return new Result(command, p.exitValue(), Files.readString(out, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + command, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running " + command, e);
        } finally {
            if (out != null) {
                try {
                    Files.deleteIfExists(out);
                } catch (IOException ignored) {
                    // temp file; best effort
                }
            }
        }
    }
}
