package io.walvault.bench.e2e;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Runs another main class and, when the JVM exits (even through System.exit), writes its peak
 * RSS (VmHWM, kB) into a file: {@code HwmMain <file> <main class> args...}. Lets the harness
 * measure walvault's own {@code Main} in a child JVM without changing it.
 */
public final class HwmMain {

    private HwmMain() {
    }

    /**
     * VmHWM of this JVM in kB, or -1. Read here rather than through the testkit: the child JVM's
     * class path is walvault's jar and the bench's classes only.
     */
    static long peakRssKb() {
        try {
            return Files.readAllLines(Path.of("/proc/self/status")).stream().filter(l -> l.startsWith("VmHWM:"))
                    .mapToLong(l -> Long.parseLong(l.replaceAll("[^0-9]", ""))).findFirst().orElse(-1);
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
    }

    public static void main(String[] args) throws Throwable {
        Path file = Path.of(args[0]);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                Files.writeString(file, Long.toString(peakRssKb()), StandardCharsets.UTF_8);
            } catch (IOException e) {
                System.err.println("bench: cannot write '" + file + "': " + e.getMessage());
            }
        }, "bench-hwm"));
        Class.forName(args[1]).getMethod("main", String[].class)
                .invoke(null, (Object) Arrays.copyOfRange(args, 2, args.length));
    }
}
