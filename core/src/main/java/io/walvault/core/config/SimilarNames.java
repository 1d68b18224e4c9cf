package io.walvault.core.config;

import static java.util.Objects.requireNonNull;

import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The known name closest to a mistyped one, for a "did you mean" hint: the one fewest single-character
 * edits (insert, delete, replace, swap of neighbours) away, if that is at most a third of the name's
 * length (and at least one edit is always allowed).
 */
public final class SimilarNames {

    private SimilarNames() {
    }

    /** The closest of {@code known} to {@code typed}, or empty when none is close enough. */
    public static Optional<String> closest(String typed, Collection<String> known) {
        requireNonNull(typed, "typed is null");
        int limit = Math.max(1, typed.length() / 3);
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String k : known) {
            int d = distance(typed, k);
            if (d <= limit && d < bestDistance) {
                best = k;
                bestDistance = d;
            }
        }
        return Optional.ofNullable(best);
    }

    /**
     * The known names that are {@code typed} under a longer name: those ending in
     * {@code -typed} (an option such as archive-push's {@code --look-ahead} is the setting
     * {@code archive-push-look-ahead}), sorted.
     */
    public static List<String> qualified(String typed, Collection<String> known) {
        requireNonNull(typed, "typed is null");
        return known.stream().filter(k -> k.endsWith("-" + typed)).sorted().toList();
    }

    /**
     * A hint for a name that is not known: the closest known one, else the longer names it
     * stands for as an option, else the known names it lengthens or shortens; empty when there
     * is none.
     */
    public static Optional<String> hint(String typed, Collection<String> known) {
        Optional<String> close = closest(typed, known);
        if (close.isPresent()) {
            return Optional.of("did you mean '" + close.get() + "'?");
        }
        List<String> longer = qualified(typed, known);
        if (!longer.isEmpty()) {
            return Optional.of("as a setting, --" + typed + " is " + longer.stream().map(n -> "'" + n + "'")
                    .collect(Collectors.joining(" or ")) + " (the command's name first)");
        }
        List<String> respelled = longerOrShorter(typed, known);
        if (respelled.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of("did you mean " + respelled.stream().map(n -> "'" + n + "'").collect(Collectors.joining(" or ")) + "?");
    }

    /**
     * The known names that begin {@code typed} (a longer spelling: {@code repository} or
     * {@code repo1-path} for {@code repo}) or that {@code typed} begins ({@code passphrase} for
     * {@code passphrase-file}), when there are at most three, sorted; names this short are left
     * out, which would match too much: known ones under 3 characters, typed ones under 4.
     */
    static List<String> longerOrShorter(String typed, Collection<String> known) {
        requireNonNull(typed, "typed is null");
        List<String> found = known.stream()
                .filter(k -> k.length() >= 3 && typed.startsWith(k) || typed.length() >= 4 && k.startsWith(typed))
                .filter(k -> !k.equals(typed))
                .sorted().toList();
        return found.size() <= 3 ? found : List.of();
    }

    /** Optimal string alignment distance (Damerau-Levenshtein without repeated edits of a substring). */
    static int distance(String a, String b) {
        int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int i = 0; i <= a.length(); i++) {
            d[i][0] = i;
        }
        for (int j = 0; j <= b.length(); j++) {
            d[0][j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
                    d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
                }
            }
        }
        return d[a.length()][b.length()];
    }
}
