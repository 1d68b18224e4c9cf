package io.walvault.bench.e2e;

import static java.util.Objects.requireNonNull;

import java.util.Locale;

/**
 * One measured figure, printed as {@code name: value unit}.
 *
 * @param name stable identifier, such as {@code backup_MBps}
 * @param value the measurement
 * @param unit its unit ({@code MB/s}, {@code ms}, {@code ratio}, ...)
 * @param method how it was measured, one sentence
 */
public record Figure(String name, double value, String unit, String method) {

    public Figure {
        requireNonNull(name, "name is null");
        requireNonNull(unit, "unit is null");
        requireNonNull(method, "method is null");
        if (!name.matches("[A-Za-z0-9_]+")) {
            throw new IllegalArgumentException("figure name '" + name + "' must be letters, digits and underscores");
        }
    }

    /** The value with sensible precision. */
    public String formattedValue() {
        if (Double.isNaN(value)) {
            return "n/a";
        }
        double a = Math.abs(value);
        if (a >= 100 || value == Math.rint(value)) {
            return String.format(Locale.ROOT, "%.0f", value);
        }
        return a >= 10 ? String.format(Locale.ROOT, "%.1f", value) : String.format(Locale.ROOT, "%.3f", value);
    }

    /** The line the harness prints. */
    public String line() {
        return name + ": " + formattedValue() + " " + unit;
    }
}
