package io.walvault.cli;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.CodeSource;
import java.util.Enumeration;
import java.util.Optional;
import java.util.TreeSet;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The end of a run whose loaded classes bin/walvault records for its class-data archive: the
 * launcher adds them to the archive only if the run succeeded (a failed one may have loaded few
 * of them), which it learns from {@code LIST.ok} beside the list it named in
 * {@code walvault.classes.learnt}.
 *
 * <p>{@code LIST.ok} holds the classes the archive must not hold, one per line: those the jar
 * keeps under {@code META-INF/versions/} (it is a multi-release jar). When a JVM runs with a
 * class-file load hook (a Java agent, or Java Flight Recorder, also when started later with
 * jcmd), Java 17 hands the hook the bytes of each class mapped from the archive by reading them
 * again from the jar, and finds those of a class that exists only under a version directory
 * nowhere: the JVM crashes (SIGSEGV in {@code KlassFactory::check_shared_class_file_load_hook}),
 * as {@code backup} and {@code status} did under {@code -XX:StartFlightRecording} when the
 * archive held the driver's {@code LazyCleanerImpl$CleanableWrapper}. For a class with a
 * version of its own, it would read the wrong one.
 */
final class LearntClasses {

    private static final Pattern VERSIONED = Pattern.compile("META-INF/versions/[0-9]+/(.+)\\.class");

    private LearntClasses() {
    }

    /** Writes {@code LIST.ok} when this run is being learnt and {@code code} says it succeeded. */
    static void markLearnt(int code) {
        String list = System.getProperty("walvault.classes.learnt");
        if (code != 0 || list == null) {
            return;
        }
        try {
            StringBuilder excluded = new StringBuilder();
            for (String c : versionedClasses(ownJar())) {
                excluded.append(c).append('\n');
            }
            Files.writeString(Path.of(list + ".ok"), excluded, StandardCharsets.UTF_8);
        } catch (IOException | RuntimeException e) {
            // not learnt this time; the next run of the command records its classes again
        }
    }

    /** The classes (as {@code a/b/C$D}) that {@code jar} holds under a version directory; none without a jar. */
    static TreeSet<String> versionedClasses(Optional<Path> jar) throws IOException {
        TreeSet<String> out = new TreeSet<>();
        if (jar.isEmpty()) {
            return out;
        }
        try (JarFile j = new JarFile(jar.get().toFile())) {
            for (Enumeration<JarEntry> e = j.entries(); e.hasMoreElements(); ) {
                Matcher m = VERSIONED.matcher(e.nextElement().getName());
                if (m.matches()) {
                    out.add(m.group(1));
                }
            }
        }
        return out;
    }

    /** The jar this class was loaded from, if it was (not when run from a build's class directories). */
    static Optional<Path> ownJar() {
        CodeSource source = LearntClasses.class.getProtectionDomain().getCodeSource();
        if (source == null || source.getLocation() == null) {
            return Optional.empty();
        }
        try {
            Path p = Path.of(source.getLocation().toURI());
            return Files.isRegularFile(p) ? Optional.of(p) : Optional.empty();
        } catch (URISyntaxException | IllegalArgumentException e) {
            return Optional.empty();
        }
    }
}
