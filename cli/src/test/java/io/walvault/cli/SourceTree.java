package io.walvault.cli;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The project's source tree read as text, for the tests that check it whole: where its root
 * is ({@code walvault.root}, which the build sets, else the cli module's parent directory),
 * its modules, and the code or the comments of a Java file.
 */
final class SourceTree {

    static final Path ROOT = Path.of(System.getProperty("walvault.root", "..")).toAbsolutePath().normalize();

    private SourceTree() {
    }

    /** Fails unless {@link #ROOT} is the project root. */
    static void checkRoot() {
        assertTrue(Files.isRegularFile(ROOT.resolve("pom.xml")) && Files.isDirectory(ROOT.resolve("core/src/main/java")),
                "the project root is found: " + ROOT);
    }

    /** The modules of the root pom. */
    static List<String> modules() throws IOException {
        List<String> modules = new ArrayList<>();
        Matcher m = Pattern.compile("<module>([^<]+)</module>").matcher(Files.readString(ROOT.resolve("pom.xml")));
        while (m.find()) {
            modules.add(m.group(1).trim());
        }
        return modules;
    }

    /** {@code text} with comments and string and character literals blanked out, lines kept. */
    static String code(String text) {
        return keep(text, Part.CODE);
    }

    /** {@code text} with only its comments ({@code //}, block and Javadoc) left, lines kept. */
    static String comments(String text) {
        return keep(text, Part.COMMENT);
    }

    private enum Part { CODE, COMMENT, LITERAL }

    /** {@code text} with every part but {@code kept} blanked out (line ends stay). */
    private static String keep(String text, Part kept) {
        StringBuilder sb = new StringBuilder(text.length());
        int i = 0;
        int n = text.length();
        while (i < n) {
            int end;
            Part part;
            if (text.startsWith("//", i)) {
                end = text.indexOf('\n', i);
                end = end < 0 ? n : end;
                part = Part.COMMENT;
            } else if (text.startsWith("/*", i)) {
                end = text.indexOf("*/", i + 2);
                end = end < 0 ? n : end + 2;
                part = Part.COMMENT;
            } else if (text.startsWith("\"\"\"", i)) {
                end = text.indexOf("\"\"\"", i + 3);
                end = end < 0 ? n : end + 3;
                part = Part.LITERAL;
            } else if (text.charAt(i) == '"' || text.charAt(i) == '\'') {
                char quote = text.charAt(i);
                end = i + 1;
                while (end < n && text.charAt(end) != quote && text.charAt(end) != '\n') {
                    end += text.charAt(end) == '\\' ? 2 : 1;
                }
                end = Math.min(n, end + 1);
                part = Part.LITERAL;
            } else {
                end = i + 1;
                part = Part.CODE;
            }
            for (int j = i; j < end; j++) {
                char c = text.charAt(j);
                sb.append(part == kept || c == '\n' ? c : ' ');
            }
            i = end;
        }
        return sb.toString();
    }
}
