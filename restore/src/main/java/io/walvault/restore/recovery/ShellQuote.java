package io.walvault.restore.recovery;

import java.util.List;
import java.util.stream.Collectors;

/**
 * Quoting for commands PostgreSQL runs through /bin/sh (restore_command): each literal word is
 * shell-quoted and its {@code %} doubled, because the server replaces {@code %f}, {@code %p} and
 * {@code %r} in the command before the shell sees it. Placeholders are appended by the caller.
 */
public final class ShellQuote {

    private ShellQuote() {
    }

    /** One literal word: {@code %} doubled, then shell-quoted when it needs it. */
    public static String word(String s) {
        String w = s.replace("%", "%%");
        if (!w.isEmpty() && w.chars().allMatch(c -> Character.isLetterOrDigit(c) || "%+-./:=@_,".indexOf(c) >= 0)) {
            return w;
        }
        return "'" + w.replace("'", "'\\''") + "'";
    }

    /** A command line of words. */
    public static String command(List<String> words) {
        return words.stream().map(ShellQuote::word).collect(Collectors.joining(" "));
    }
}
