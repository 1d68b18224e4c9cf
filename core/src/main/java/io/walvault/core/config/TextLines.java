package io.walvault.core.config;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.List;

/**
 * The lines of walvault's own line-based files (configuration, cluster identities, key files)
 * that carry something: each stripped of surrounding blanks, with its number in the file for
 * error messages; blank lines and lines starting with {@code #} are comments.
 */
public final class TextLines {

    /** One line that carries something. */
    public record Line(int number, String text) {
        public Line {
            requireNonNull(text, "text is null");
        }
    }

    private TextLines() {
    }

    /** The lines of {@code raw} (a file's lines in order) that are neither blank nor comments. */
    public static List<Line> meaningful(List<String> raw) {
        List<Line> out = new ArrayList<>(raw.size());
        for (int i = 0; i < raw.size(); i++) {
            String line = raw.get(i).strip();
            if (!line.isEmpty() && !line.startsWith("#")) {
                out.add(new Line(i + 1, line));
            }
        }
        return out;
    }
}
