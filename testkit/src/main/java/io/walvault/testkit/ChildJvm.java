package io.walvault.testkit;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A main class run in a JVM of its own, a child of this one with its class path: what the
 * memory tests and the benchmarks start when a heap must be capped and a peak resident size
 * read apart from the test's own JVM. And that peak, as Linux reports it.
 */
public final class ChildJvm {

    private ChildJvm() {
    }

    /** The {@code java} executable of this JVM. */
    public static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /**
     * {@code java -Xmx<heap> <jvmOptions> -cp <this JVM's class path> <main> <args>}, its standard
     * output and error together (redirect them as needed before starting it).
     */
    public static ProcessBuilder builder(String heap, List<String> jvmOptions, Class<?> main, String... args) {
        List<String> cmd = new ArrayList<>(List.of(java(), "-Xmx" + heap));
        cmd.addAll(jvmOptions);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), main.getName()));
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd).redirectErrorStream(true);
    }

    /** This process's peak resident set size so far (VmHWM), in kB, or -1 where the system does not say. */
    public static long peakRssKb() {
        return peakRssKb(Path.of("/proc/self/status"));
    }

    /** The peak resident set size (VmHWM) in a {@code /proc/PID/status} file, in kB, or -1. */
    public static long peakRssKb(Path status) {
        try {
            return Files.readAllLines(status).stream().filter(l -> l.startsWith("VmHWM:"))
                    .mapToLong(l -> Long.parseLong(l.replaceAll("[^0-9]", ""))).findFirst().orElse(-1);
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
    }
}
