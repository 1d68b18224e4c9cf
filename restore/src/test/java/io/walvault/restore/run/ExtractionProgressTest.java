package io.walvault.restore.run;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

/** The restore's progress: a line per tenth of the bytes done, the rate of the bytes written. */
class ExtractionProgressTest {

    private static final long MB = 1_000_000;

    @Test
    void aLinePerTenthAndTheRateOfWhatWasWrittenNotOfWhatWasSkipped() {
        StringWriter text = new StringWriter();
        long[] now = {5_000_000_000L};
        ExtractionProgress p = new ExtractionProgress(new PrintWriter(text), 1000 * MB, () -> now[0]);
        // a selective restore: 900 MB of a skipped database's files made sparse at once, nothing written
        now[0] += 100_000_000L;
        p.unitDone(1, 3, 900 * MB, 0);
        now[0] += 100_000_000L;
        p.unitDone(2, 3, 905 * MB, 5 * MB); // still the ninth tenth: no line
        now[0] += 1_800_000_000L;
        p.unitDone(3, 3, 1000 * MB, 100 * MB);
        assertEquals("""
                restored 1 of 3 bundles and chunked files, 900.0 MB of 1000.0 MB (written at 0.0 MB/s)
                restored 3 of 3 bundles and chunked files, 1000.0 MB of 1000.0 MB (written at 50.0 MB/s)
                """, text.toString());
    }

    @Test
    void nothingToRestoreIsDoneAtOnce() {
        StringWriter text = new StringWriter();
        new ExtractionProgress(new PrintWriter(text), 0, () -> 0L).unitDone(1, 1, 0, 0);
        assertEquals("restored 1 of 1 bundles and chunked files, 0.0 MB of 0.0 MB (written at 0.0 MB/s)\n", text.toString());
    }
}
