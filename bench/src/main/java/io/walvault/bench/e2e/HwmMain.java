package io.walvault.bench.e2e;

import io.walvault.testkit.ChildJvm;
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

    public static void main(String[] args) throws Throwable {
        Path file = Path.of(args[0]);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                Files.writeString(file, Long.toString(ChildJvm.peakRssKb()), StandardCharsets.UTF_8);
            } catch (IOException e) {
                System.err.println("bench: cannot write '" + file + "': " + e.getMessage());
            }
        }, "bench-hwm"));
        Class.forName(args[1]).getMethod("main", String[].class)
                .invoke(null, (Object) Arrays.copyOfRange(args, 2, args.length));
    }
}
