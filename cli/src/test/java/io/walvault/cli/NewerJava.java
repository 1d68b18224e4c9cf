package io.walvault.cli;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Java runtime of a newer release than the build's, to run bin/walvault with: {@code
 * WALVAULT_TEST_NEWER_JAVA} (a java executable), else the first installation under
 * /usr/lib/jvm whose {@code release} file names a release at least as new as asked.
 */
final class NewerJava {

    static final String WHERE = "WALVAULT_TEST_NEWER_JAVA or /usr/lib/jvm/*/release";

    private static final Pattern VERSION = Pattern.compile("^JAVA_VERSION=\"(\\d+)", Pattern.MULTILINE);

    private NewerJava() {
    }

    static Optional<Path> find(int atLeast) throws IOException {
        String named = System.getenv("WALVAULT_TEST_NEWER_JAVA");
        if (named != null && !named.isBlank()) {
            return Optional.of(Path.of(named));
        }
        Path jvms = Path.of("/usr/lib/jvm");
        if (!Files.isDirectory(jvms)) {
            return Optional.empty();
        }
        List<Path> homes = new ArrayList<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(jvms)) {
            s.forEach(homes::add);
        }
        homes.sort(null);
        for (Path home : homes) {
            Path release = home.resolve("release");
            Path java = home.resolve("bin/java");
            if (!Files.isRegularFile(release) || !Files.isExecutable(java)) {
                continue;
            }
            Matcher m = VERSION.matcher(Files.readString(release));
            if (m.find() && Integer.parseInt(m.group(1)) >= atLeast) {
                return Optional.of(java);
            }
        }
        return Optional.empty();
    }
}
