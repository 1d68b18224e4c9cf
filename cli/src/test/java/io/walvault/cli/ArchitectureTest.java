package io.walvault.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The architecture of walvault (docs/ARCHITECTURE.md, "Modules"), checked over the main sources
 * of every module, read as text from the project root ({@link SourceTree#ROOT}). A reference is an import declaration (a static import by its type)
 * or a qualified name written in code; comments, Javadoc and string literals are not code.
 *
 * <ol>
 * <li><b>Module direction.</b> Each module's code lives under {@code io.walvault.<module>} and
 * refers only to the modules it may depend on ({@link #MAY_USE}): core to none of ours,
 * archiver and restore to core (restore also to os) and never to each other, cli to both
 * sides, os to nothing, testkit to os only, bench to the libraries and testkit. Every module of
 * the root pom must be listed.</li>
 * <li><b>One owner per library.</b> Each third-party library is used by the packages that own
 * it and no others ({@link #LIBRARIES}): Netty in core.replication and below, the AWS SDK in
 * core.storage.s3, Jackson in the two packages that read JSON (core.repo, core.manifest),
 * BouncyCastle in core.crypto, lz4 and zstd in core.compress, picocli in cli, JDBC in
 * restore.drill, SLF4J anywhere; the test harness and the benchmarks have theirs. A library
 * that is not listed has no owner, which is an error: add it with the package that owns it.
 * The JDK ({@code java.*}, {@code javax.*}) is everyone's, except {@code java.sql}, which is
 * JDBC.</li>
 * <li><b>Types are imported, not written out.</b> A type of another package is named by an
 * import and its simple name, not by its qualified name inline in code
 * ({@code java.util.concurrent.atomic.AtomicLong x}). Allowed: {@code java.lang} types, and a
 * qualified name whose simple name is already taken in the file (a type declared there,
 * imported from another package, a type of the file's own package, or a {@code java.lang}
 * type), where the qualified name is the only way to write it. Qualified names in comments and
 * Javadoc ({@code {@link java.util.Map}}) are fine. Violations are reported as
 * {@code file:line}.</li>
 * </ol>
 */
class ArchitectureTest {

    private static final Path ROOT = SourceTree.ROOT;

    /** Module to the walvault modules its main code may refer to (besides itself). */
    private static final Map<String, Set<String>> MAY_USE = Map.of(
            "os", Set.of(),
            "testkit", Set.of("os"),
            "core", Set.of(),
            "archiver", Set.of("core"),
            "restore", Set.of("core", "os"),
            "cli", Set.of("core", "archiver", "restore"),
            "bench", Set.of("core", "archiver", "restore", "testkit"));

    /**
     * A third-party library: the prefixes of its names, and the packages that may use it
     * ({@code io.walvault.x.y} exactly, {@code io.walvault.x.y.**} with its subpackages,
     * {@code **} anywhere).
     */
    record Library(String name, List<String> prefixes, List<String> owners) {
        boolean owns(String name) {
            return prefixes.stream().anyMatch(p -> name.startsWith(p + "."));
        }

        boolean mayBeUsedIn(String pkg) {
            return owners.stream().anyMatch(o -> o.equals("**") || o.equals(pkg)
                    || (o.endsWith(".**") && (pkg + ".").startsWith(o.substring(0, o.length() - 2))));
        }
    }

    static final List<Library> LIBRARIES = List.of(
            new Library("Netty", List.of("io.netty"), List.of("io.walvault.core.replication.**",
                    "io.walvault.bench.protocol")), // the benchmarks of the wire decoder feed it Netty buffers
            new Library("scram-client", List.of("com.ongres.scram"), List.of("io.walvault.core.replication")),
            new Library("AWS SDK", List.of("software.amazon.awssdk"), List.of("io.walvault.core.storage.s3",
                    "io.walvault.testkit")), // the test S3 server's own client
            new Library("Jackson", List.of("com.fasterxml.jackson"), List.of("io.walvault.core.repo", "io.walvault.core.manifest")),
            new Library("BouncyCastle", List.of("org.bouncycastle"), List.of("io.walvault.core.crypto")),
            new Library("lz4", List.of("net.jpountz"), List.of("io.walvault.core.compress",
                    "io.walvault.bench.pipeline")), // ServerLz4Benchmark compresses its input as the server does
            new Library("zstd", List.of("com.github.luben"), List.of("io.walvault.core.compress")),
            new Library("picocli", List.of("picocli"), List.of("io.walvault.cli.**")),
            new Library("JDBC", List.of("java.sql", "org.postgresql"), List.of("io.walvault.restore.drill", "io.walvault.archiver.check",
                    "io.walvault.testkit", "io.walvault.bench.e2e")),
            new Library("SLF4J", List.of("org.slf4j"), List.of("**")),
            new Library("JDK HTTP server", List.of("com.sun.net.httpserver"), List.of("io.walvault.archiver.stream",
                    "io.walvault.bench.e2e")), // the agent's /metrics
            new Library("JDK signals", List.of("sun.misc"), List.of("io.walvault.cli")), // Signals
            new Library("JDK socket options", List.of("jdk.net"), List.of("io.walvault.core.replication.wire")), // TCP keepalive
            new Library("JDK management", List.of("com.sun.management"), List.of("io.walvault.bench.e2e")), // CPU time
            new Library("Commons Compress", List.of("org.apache.commons.compress"), List.of("io.walvault.testkit",
                    "io.walvault.bench.protocol")),
            new Library("JUnit", List.of("org.junit"), List.of("io.walvault.testkit")),
            new Library("S3Proxy", List.of("org.gaul", "org.jclouds"), List.of("io.walvault.testkit")),
            new Library("JMH", List.of("org.openjdk.jmh"), List.of("io.walvault.bench.**")));

    /** A reference from a source file: an imported name, or a qualified type name written in code. */
    record Ref(int line, String name, boolean inline) {
        String pkg() {
            return name.substring(0, name.lastIndexOf('.'));
        }

        String simpleName() {
            return name.substring(name.lastIndexOf('.') + 1);
        }
    }

    /** One main source file. */
    record Source(Path path, String module, String pkg, List<Ref> refs, Map<String, String> imports, Set<String> declared) {
    }

    private static final Pattern PACKAGE = Pattern.compile("(?m)^package ([\\w.]+);");
    private static final Pattern IMPORT = Pattern.compile("^import (static )?([\\w.]+)(\\.\\*)?;");
    private static final Pattern DECLARED = Pattern.compile("\\b(?:class|interface|enum|record)\\s+([A-Z]\\w*)");
    /** A qualified type name: package segments in lower case, then a type's capitalized name. */
    private static final Pattern QUALIFIED = Pattern.compile("(?<![\\w.$])((?:[a-z_][a-z0-9_]*\\.)+)([A-Z][A-Za-z0-9_$]*)");
    /** The first segments that start a package name (and not a variable's). */
    private static final Set<String> PACKAGE_ROOTS = Set.of("java", "javax", "jdk", "sun", "com", "org", "io", "net", "software",
            "picocli");

    private static List<Source> sources;
    /** Package to the simple names of its top-level types, over every module's main sources. */
    private static Map<String, Set<String>> packageTypes;

    @BeforeAll
    static void read() throws IOException {
        SourceTree.checkRoot();
        sources = new ArrayList<>();
        packageTypes = new HashMap<>();
        for (String module : modules()) {
            Path main = ROOT.resolve(module).resolve("src/main/java");
            try (Stream<Path> files = Files.walk(main)) {
                for (Path f : files.filter(p -> p.toString().endsWith(".java")).sorted().toList()) {
                    Source s = parse(ROOT.relativize(f), module, Files.readString(f));
                    sources.add(s);
                    packageTypes.computeIfAbsent(s.pkg(), k -> new HashSet<>()).add(f.getFileName().toString().replace(".java", ""));
                }
            }
        }
    }

    /** The modules of the root pom. */
    static List<String> modules() throws IOException {
        return SourceTree.modules();
    }

    static Source parse(Path path, String module, String text) {
        Matcher p = PACKAGE.matcher(text);
        String pkg = p.find() ? p.group(1) : "";
        String code = code(text);
        List<Ref> refs = new ArrayList<>();
        Map<String, String> imports = new HashMap<>();
        String[] lines = code.split("\n", -1);
        String[] original = text.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].strip();
            if (line.startsWith("package ")) {
                continue;
            }
            if (line.startsWith("import ")) {
                Matcher m = IMPORT.matcher(original[i].strip());
                if (m.find()) {
                    String name = m.group(2);
                    if (m.group(1) != null || m.group(3) != null) {
                        // a static import names a member, a wildcard all of a package's or a type's: the name as written
                        refs.add(new Ref(i + 1, m.group(3) != null ? name + ".*" : name, false));
                    } else {
                        refs.add(new Ref(i + 1, name, false));
                        imports.put(name.substring(name.lastIndexOf('.') + 1), name);
                    }
                }
                continue;
            }
            Matcher m = QUALIFIED.matcher(lines[i]);
            while (m.find()) {
                String qualifier = m.group(1).substring(0, m.group(1).length() - 1);
                String first = qualifier.split("\\.")[0];
                if (PACKAGE_ROOTS.contains(first) && (qualifier.contains(".") || first.equals("picocli"))) {
                    refs.add(new Ref(i + 1, qualifier + "." + m.group(2), true));
                }
            }
        }
        Set<String> declared = new HashSet<>();
        Matcher d = DECLARED.matcher(code);
        while (d.find()) {
            declared.add(d.group(1));
        }
        return new Source(path, module, pkg, refs.stream().distinct().toList(), imports, declared);
    }

    /** {@code text} with comments and string and character literals blanked out, lines kept. */
    static String code(String text) {
        return SourceTree.code(text);
    }

    @Test
    void everyModuleIsReadAndPlaced() throws IOException {
        assertEquals(new TreeMap<>(MAY_USE).keySet(), new TreeSet<>(modules()), "every module of the root pom has its"
                + " place in MAY_USE (and only those)");
        Map<String, Integer> files = new TreeMap<>();
        sources.forEach(s -> files.merge(s.module(), 1, Integer::sum));
        assertEquals(MAY_USE.keySet(), files.keySet(), "every module has main sources: " + files);
        assertTrue(sources.size() > 200, "the sources were found (" + sources.size() + " files)");
    }

    @Test
    void modulesDependInOneDirection() {
        List<String> violations = new ArrayList<>();
        for (Source s : sources) {
            if (!(s.pkg() + ".").startsWith("io.walvault." + s.module() + ".")) {
                violations.add(s.path() + ": package " + s.pkg() + " is not under io.walvault." + s.module());
            }
            for (Ref r : s.refs()) {
                if (!r.name().startsWith("io.walvault.")) {
                    continue;
                }
                String target = r.name().split("\\.")[2];
                if (!target.equals(s.module()) && !MAY_USE.getOrDefault(s.module(), Set.of()).contains(target)) {
                    violations.add(s.path() + ":" + r.line() + ": " + s.module() + " refers to " + target + " (" + r.name() + ")");
                }
            }
        }
        assertEquals(List.of(), violations);
    }

    @Test
    void eachLibraryIsUsedByThePackagesThatOwnIt() {
        List<String> violations = new ArrayList<>();
        for (Source s : sources) {
            for (Ref r : s.refs()) {
                String name = r.name();
                if (name.startsWith("io.walvault.") || ((name.startsWith("java.") || name.startsWith("javax."))
                        && !name.startsWith("java.sql."))) {
                    continue;
                }
                Library lib = LIBRARIES.stream().filter(l -> l.owns(name)).findFirst().orElse(null);
                if (lib == null) {
                    violations.add(s.path() + ":" + r.line() + ": " + name + " belongs to no library listed here: give it"
                            + " an owner in LIBRARIES");
                } else if (!lib.mayBeUsedIn(s.pkg())) {
                    violations.add(s.path() + ":" + r.line() + ": " + s.pkg() + " uses " + lib.name() + " (" + name + "), owned by "
                            + String.join(", ", lib.owners()));
                }
            }
        }
        assertEquals(List.of(), violations);
    }

    @Test
    void typesOfOtherPackagesAreImportedNotWrittenOut() {
        List<String> violations = new ArrayList<>();
        for (Source s : sources) {
            for (Ref r : s.refs()) {
                if (r.inline() && !needsQualifiedName(s, r)) {
                    violations.add(s.path() + ":" + r.line() + ": " + r.name() + " written out: import it");
                }
            }
        }
        assertEquals("", String.join("\n", violations), violations.size() + " qualified names written out in code");
    }

    /** Whether the simple name of {@code r} is taken in {@code s}, so that only the qualified name reaches it. */
    private static boolean needsQualifiedName(Source s, Ref r) {
        String simple = r.simpleName();
        String imported = s.imports().get(simple);
        if (r.pkg().equals("java.lang") || s.declared().contains(simple) || (imported != null && !imported.equals(r.name()))) {
            return true;
        }
        if (r.pkg().equals(s.pkg())) {
            return false;
        }
        return packageTypes.getOrDefault(s.pkg(), Set.of()).contains(simple) || isJavaLang(simple);
    }

    private static boolean isJavaLang(String simple) {
        try {
            Class.forName("java.lang." + simple, false, ArchitectureTest.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException e) {
            return false;
        }
    }

    /** The rules catch what they are meant to: each on a source made up to break it. */
    @Test
    void theRulesSeeWhatTheyAreAbout() {
        Source s = parse(Path.of("core/src/main/java/io/walvault/core/repo/X.java"), "core", String.join("\n",
                "package io.walvault.core.repo;",
                "",
                "import io.walvault.archiver.push.ArchivePush;",
                "import java.util.List;",
                "",
                "/** {@link java.util.Map} in Javadoc is fine. */",
                "final class X {",
                "    // java.util.Set in a comment is fine",
                "    String s = \"java.util.Set in a string is fine\";",
                "    java.util.concurrent.atomic.AtomicLong n;",
                "    java.lang.Process p;",
                "    picocli.CommandLine c;",
                "    List<String> l = java.util.List.of();",
                "}"));
        assertEquals(List.of(new Ref(3, "io.walvault.archiver.push.ArchivePush", false), new Ref(4, "java.util.List", false),
                new Ref(10, "java.util.concurrent.atomic.AtomicLong", true), new Ref(11, "java.lang.Process", true),
                new Ref(12, "picocli.CommandLine", true), new Ref(13, "java.util.List", true)), s.refs());
        assertEquals(List.of(false, true, false, false),
                s.refs().subList(2, 6).stream().map(r -> needsQualifiedName(s, r)).toList());
        Library picocli = LIBRARIES.stream().filter(l -> l.owns("picocli.CommandLine")).findFirst().orElseThrow();
        assertTrue(picocli.mayBeUsedIn("io.walvault.cli.restore") && !picocli.mayBeUsedIn("io.walvault.core.repo"));
        assertTrue(!MAY_USE.get("core").contains("archiver") && !MAY_USE.get("archiver").contains("restore")
                && !MAY_USE.get("restore").contains("archiver"));
    }
}
