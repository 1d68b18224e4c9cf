package io.walvault.archiver.check;

import static java.util.Objects.requireNonNull;

import java.util.Optional;

/**
 * One line of {@code walvault check}: what was checked, whether it holds, and when not, what to
 * change.
 *
 * @param name what was checked ("wal_level", "archiving end to end", ...)
 * @param ok whether it holds
 * @param detail what was found
 * @param hint what to change, when it does not hold; on a line that holds, how to have it checked
 *        when it could not be
 */
public record CheckResult(String name, boolean ok, String detail, Optional<String> hint) {

    public CheckResult {
        requireNonNull(name, "name is null");
        requireNonNull(detail, "detail is null");
        requireNonNull(hint, "hint is null");
    }

    static CheckResult ok(String name, String detail) {
        return new CheckResult(name, true, detail, Optional.empty());
    }

    /** A check that could not be made, which fails nothing but says so, and how to have it made. */
    static CheckResult notChecked(String name, String why, String hint) {
        return new CheckResult(name, true, "not checked: " + why, Optional.of(hint));
    }

    static CheckResult failed(String name, String detail, String hint) {
        return new CheckResult(name, false, detail, Optional.of(hint));
    }
}
