package io.walvault.bench.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

class PercentilesTest {

    @Test
    void nearestRankOfAnUnsortedSample() {
        List<Double> v = List.of(9.0, 1.0, 5.0, 3.0, 7.0, 2.0, 10.0, 4.0, 8.0, 6.0);
        assertEquals(5.0, Percentiles.of(v, 50));
        assertEquals(9.0, Percentiles.of(v, 90));
        assertEquals(10.0, Percentiles.of(v, 100));
        assertEquals(1.0, Percentiles.of(v, 1));
    }

    @Test
    void percentileOfOneValueIsThatValue() {
        assertEquals(42.0, Percentiles.of(List.of(42.0), 90));
    }

    @Test
    void medianOfOddAndEvenSamples() {
        assertEquals(3.0, Percentiles.median(List.of(5.0, 1.0, 3.0)));
        assertEquals(2.5, Percentiles.median(List.of(4.0, 1.0, 3.0, 2.0)));
    }

    @Test
    void rejectsEmptySamplesAndPercentilesOutOfRange() {
        assertThrows(IllegalArgumentException.class, () -> Percentiles.of(List.of(), 50));
        assertThrows(IllegalArgumentException.class, () -> Percentiles.median(List.of()));
        assertThrows(IllegalArgumentException.class, () -> Percentiles.of(List.of(1.0), 0));
        assertThrows(IllegalArgumentException.class, () -> Percentiles.of(List.of(1.0), 101));
    }
}
