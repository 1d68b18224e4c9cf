package io.walvault.bench.e2e;

import java.util.Arrays;
import java.util.Collection;

/** Nearest-rank percentiles of a sample, as the figures report them. Pure functions. */
public final class Percentiles {

    private Percentiles() {
    }

    /**
     * The nearest-rank {@code p}-th percentile (0 &lt; p &le; 100) of {@code values}: the smallest
     * value with at least p% of the sample at or below it.
     */
    public static double of(Collection<Double> values, double p) {
        if (values.isEmpty()) {
            throw new IllegalArgumentException("no values");
        }
        if (!(p > 0 && p <= 100)) {
            throw new IllegalArgumentException("percentile " + p + " is not in (0, 100]");
        }
        double[] sorted = values.stream().mapToDouble(Double::doubleValue).toArray();
        Arrays.sort(sorted);
        int rank = (int) Math.ceil(p / 100.0 * sorted.length);
        return sorted[Math.max(1, rank) - 1];
    }

    /** The median: the mean of the two middle values of an even sample. */
    public static double median(Collection<Double> values) {
        if (values.isEmpty()) {
            throw new IllegalArgumentException("no values");
        }
        double[] sorted = values.stream().mapToDouble(Double::doubleValue).toArray();
        Arrays.sort(sorted);
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }
}
