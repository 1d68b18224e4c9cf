package io.walvault.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every file of this repository that a doc or a comment names by its path exists: a moved or
 * deleted file must not leave readers looking for it.
 *
 * <p><b>Where references are read.</b> The whole text of {@code README.md}, {@code docs/*.md},
 * the scripts {@code bin/*}, {@code bench/run} and {@code .ci/run}; the comments (line, block
 * and Javadoc, not code or string literals) of every module's main and test Java sources.
 *
 * <p><b>What a reference is.</b> A word made of letters, digits and {@code _ - . / *} that does
 * not continue another word, an absolute path, a URL or a shell variable (it is not preceded by
 * a letter, digit, {@code / . - : $ ~}), without the sentence's closing {@code . , ; :}, and
 * that starts at one of this repository's roots:
 * <ul>
 * <li>the repository root: its first segment is a module of the root pom ({@code core/...},
 * {@code cli/...}), {@code docs}, {@code bin}, {@code .ci} or {@code packaging}, and a
 * {@code /} follows ({@code docs/FORMAT.md}, {@code bin/walvault},
 * {@code core/src/main/java/io/walvault/core/repo/WalArchive.java}); it must exist there;</li>
 * <li>a module root: it starts with {@code src/(main|test)/(java|resources)/} (say
 * {@code src/main/java/io/walvault/cli/Main.java}); it must exist in one of the modules;</li>
 * <li>a top-level document: {@code README.md}, {@code pom.xml}, or another name in capitals
 * ending in {@code .md}; it must exist at the root or in {@code docs/}.</li>
 * </ul>
 * A path that ends with {@code /} names a directory; one with a {@code *} is a pattern, whose
 * directory must exist. Whatever is under a {@code target/} directory is built, not kept in the
 * tree, and is not checked.
 *
 * <p><b>Other trees.</b> A path that starts anywhere else names something outside this source
 * tree and is not a reference: a data directory's {@code pg_wal/...} or {@code global/...}, a
 * repository's {@code keyring/...}, and PostgreSQL's own sources, which comments cite on purpose
 * ({@code src/include/access/xlog_internal.h}, {@code src/backend/...}): under {@code src/},
 * only the four module roots above are this repository's. A foreign path that would begin like
 * one of ours is written with its own root in front ({@code <installation>/bin/initdb},
 * {@code $PGDATA/global/pg_control}), which the rule above leaves alone.
 */
class PathReferencesTest {

    private static final Path ROOT = SourceTree.ROOT;

    private static final Set<String> OTHER_ROOTS = Set.of("docs", "bin", ".ci", "packaging");
    private static final Set<String> TOP_LEVEL_FILES = Set.of("README.md", "pom.xml");
    private static final Pattern MODULE_ROOT = Pattern.compile("src/(main|test)/(java|resources)/.*");
    private static final Pattern TOP_LEVEL_DOC = Pattern.compile("[A-Z][A-Z0-9_-]*\\.md");
    private static final Pattern WORD = Pattern.compile("(?<![\\w/.:$~-])[\\w.*-]+(?:/[\\w.*-]*)*");

    private static List<String> modules;

    @BeforeAll
    static void read() throws IOException {
        SourceTree.checkRoot();
        modules = SourceTree.modules();
    }

    /** A path named at {@code line} of {@code file} (relative to the root). */
    record Reference(Path file, int line, String path) {
        @Override
        public String toString() {
            return file + ":" + line + ": " + path;
        }
    }

    @Test
    void everyPathThatADocOrACommentNamesExists() throws IOException {
        List<Reference> all = new ArrayList<>();
        for (Path f : texts()) {
            String text = Files.readString(f);
            String read = f.toString().endsWith(".java") ? SourceTree.comments(text) : text;
            String[] lines = read.split("\n", -1);
            for (int i = 0; i < lines.length; i++) {
                for (String p : references(lines[i])) {
                    all.add(new Reference(ROOT.relativize(f), i + 1, p));
                }
            }
        }
        assertTrue(all.stream().anyMatch(r -> r.path().equals("bin/walvault")), "references are found at all: " + all.size());
        List<String> dangling = all.stream().filter(r -> !exists(r.path())).map(Reference::toString).toList();
        assertEquals(List.of(), dangling, "docs and comments name these files, which do not exist (fix the path, or state"
                + " the fact instead of pointing to a file):\n  " + String.join("\n  ", dangling) + "\n");
    }

    @Test
    void theRuleTellsThisRepositorysPathsFromOthers() {
        assertEquals(List.of("docs/FORMAT.md", "core/src/main/java/io/walvault/core/repo/WalArchive.java", "bin/walvault",
                        "src/test/java/io/walvault/cli/MainTest.java", "README.md", "docs/", "docs/*.md", "CHANGES.md"),
                references("see docs/FORMAT.md (\"Keys\"), core/src/main/java/io/walvault/core/repo/WalArchive.java; run"
                        + " bin/walvault. Tests: src/test/java/io/walvault/cli/MainTest.java, README.md, docs/ and docs/*.md,"
                        + " CHANGES.md."));
        assertEquals(List.of(), references("PostgreSQL's src/include/access/xlog_internal.h and src/backend/access/transam;"
                + " pg_wal/.walvault-restore.conf, global/pg_control, keyring/00000001.json; s3://bucket/docs/x.md,"
                + " file:///srv/docs/a.md, /usr/lib/postgresql/18/bin/initdb, <installation>/bin/initdb, \"$root/bin/walvault\","
                + " cli/target/walvault.jar, 0/3000000, MB/s, I/O"));
        assertTrue(exists("docs/*.md") && exists("docs/") && exists("src/main/java/io/walvault/cli/Main.java")
                && exists("FORMAT.md"));
        assertTrue(!exists("docs/nothing-here.md") && !exists("src/main/java/Nothing.java") && !exists("NOTHING.md"));
    }

    /** The references in {@code line}, by the rule above. */
    static List<String> references(String line) {
        List<String> found = new ArrayList<>();
        Matcher m = WORD.matcher(line);
        while (m.find()) {
            String p = m.group().replaceAll("[.,;:]+$", "");
            int slash = p.indexOf('/');
            boolean fromRoot = slash > 0 && (OTHER_ROOTS.contains(p.substring(0, slash)) || isModule(p.substring(0, slash)));
            boolean ours = fromRoot || MODULE_ROOT.matcher(p).matches() || TOP_LEVEL_FILES.contains(p)
                    || TOP_LEVEL_DOC.matcher(p).matches();
            if (ours && !("/" + p).contains("/target/")) {
                found.add(p);
            }
        }
        return found;
    }

    private static boolean isModule(String name) {
        return modules.contains(name);
    }

    /** Whether the file, directory or pattern {@code path} (a reference) is there. */
    static boolean exists(String path) {
        String p = path.contains("*") ? path.substring(0, path.lastIndexOf('/', path.indexOf('*')) + 1) : path;
        if (MODULE_ROOT.matcher(path).matches()) {
            return modules.stream().anyMatch(m -> Files.exists(ROOT.resolve(m).resolve(p)));
        }
        if (TOP_LEVEL_DOC.matcher(path).matches()) {
            return Files.exists(ROOT.resolve(p)) || Files.exists(ROOT.resolve("docs").resolve(p));
        }
        return Files.exists(ROOT.resolve(p));
    }

    /** The files whose references are checked: docs and scripts whole, Java sources for their comments. */
    private static List<Path> texts() throws IOException {
        List<Path> files = new ArrayList<>();
        files.add(ROOT.resolve("README.md"));
        files.add(ROOT.resolve("bench/run"));
        files.add(ROOT.resolve(".ci/run"));
        for (String dir : List.of("docs", "bin")) {
            try (Stream<Path> l = Files.list(ROOT.resolve(dir))) {
                l.filter(Files::isRegularFile).filter(f -> dir.equals("bin") || f.toString().endsWith(".md")).sorted()
                        .forEach(files::add);
            }
        }
        for (String module : modules) {
            for (String tree : List.of("src/main/java", "src/test/java")) {
                Path dir = ROOT.resolve(module).resolve(tree);
                if (Files.isDirectory(dir)) {
                    try (Stream<Path> walk = Files.walk(dir)) {
                        walk.filter(f -> f.toString().endsWith(".java")).sorted().forEach(files::add);
                    }
                }
            }
        }
        return files.stream().filter(Files::isRegularFile).toList();
    }
}
