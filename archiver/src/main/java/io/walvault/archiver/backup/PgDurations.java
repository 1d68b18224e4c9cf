package io.walvault.archiver.backup;

import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A time setting as {@code SHOW} prints it ({@code 5min}, {@code 300s}, {@code 1h}, {@code 500ms}). */
final class PgDurations {

    private static final Pattern VALUE = Pattern.compile("(\\d+)\\s*(us|ms|s|min|h|d)?");

    private PgDurations() {
    }

    /** The duration, or empty for a text that is not one (a bare number counts as seconds). */
    static Optional<Duration> parse(String shown) {
        Matcher m = VALUE.matcher(shown.trim().toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            return Optional.empty();
        }
        long n = Long.parseLong(m.group(1));
        String unit = m.group(2) == null ? "s" : m.group(2);
        return Optional.of(switch (unit) {
            case "us" -> Duration.ofNanos(n * 1000);
            case "ms" -> Duration.ofMillis(n);
            case "min" -> Duration.ofMinutes(n);
            case "h" -> Duration.ofHours(n);
            case "d" -> Duration.ofDays(n);
            default -> Duration.ofSeconds(n);
        });
    }
}
