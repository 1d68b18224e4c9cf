package io.walvault.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.walvault.core.Version;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** bin/walvault runs the packaged jar as a user would. */
class WalvaultExecutableIT {

    private static final Path ROOT = Path.of(System.getProperty("walvault.root", "..")).toAbsolutePath().normalize();

    private record Result(int exitCode, String out) {
    }

    private static Result walvault(String... args) throws IOException, InterruptedException {
        List<String> cmd = new java.util.ArrayList<>();
        cmd.add(ROOT.resolve("bin/walvault").toString());
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        return new Result(p.exitValue(), out);
    }

    @Test
    void helpAndVersionFromTheExecutable() throws Exception {
        Result help = walvault("--help");
        assertEquals(0, help.exitCode(), help.out());
        assertTrue(help.out().startsWith("Usage: walvault"), help.out());

        Result version = walvault("--version");
        assertEquals(0, version.exitCode(), version.out());
        assertTrue(version.out().contains("walvault " + Version.get()), version.out());
    }

    @Test
    void aMissingJarIsAConfigurationErrorWithAHint() throws Exception {
        ProcessBuilder pb = new ProcessBuilder(ROOT.resolve("bin/walvault").toString(), "--help").redirectErrorStream(true);
        pb.environment().put("WALVAULT_JAR", "/nonexistent/walvault.jar");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(3, p.exitValue(), out);
        assertTrue(out.contains("HINT: build it with"), out);
    }
}
