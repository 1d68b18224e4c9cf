package io.walvault.bench.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class BenchOptionsTest {

    @Test
    void defaultsAreTheFullRun() {
        BenchMain.Options o = BenchMain.Options.parse(new String[0]);
        assertEquals(1.5, o.sizeGb());
        assertEquals(0.3, o.smallGb());
        assertEquals(1.0, o.replayGb());
        assertEquals(40, o.archiveSeconds());
        assertEquals(200, o.drainSegments());
        assertEquals(1L << 30, o.diskBytes());
        assertTrue(o.write());
        assertEquals(Path.of("docs/PERFORMANCE.md"), o.out());
    }

    @Test
    void quickShrinksEverythingAndLaterFlagsStillWin() {
        BenchMain.Options o = BenchMain.Options.parse(new String[] {"--replay-gb", "0.5", "--quick", "--no-write", "--pg", "14"});
        assertEquals(0.3, o.sizeGb());
        assertEquals(0.5, o.replayGb());
        assertEquals(14, o.pgMajor());
        assertFalse(o.write());
        assertTrue(o.describe().startsWith("--quick --size-gb 0.3 "), o.describe());
    }

    @Test
    void onlySelectsSectionsAndNeverWritesAPartialTable() {
        BenchMain.Options o = BenchMain.Options.parse(new String[] {"--only", "pitr,Cold", "--no-write"});
        assertTrue(o.runs(BenchMain.Section.PITR));
        assertTrue(o.runs(BenchMain.Section.COLD));
        assertFalse(o.runs(BenchMain.Section.BACKUP));
        assertFalse(o.runs(BenchMain.Section.AGENT));
        assertTrue(BenchMain.Options.parse(new String[0]).runs(BenchMain.Section.AGENT));
        IllegalArgumentException partial = assertThrows(IllegalArgumentException.class,
                () -> BenchMain.Options.parse(new String[] {"--only", "pitr"}));
        assertTrue(partial.getMessage().contains("--no-write"), partial.getMessage());
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
                () -> BenchMain.Options.parse(new String[] {"--only", "pitr,restore", "--no-write"}));
        assertTrue(unknown.getMessage().contains("'restore'"), unknown.getMessage());
    }

    @Test
    void rejectsUnknownArguments() {
        assertThrows(IllegalArgumentException.class, () -> BenchMain.Options.parse(new String[] {"--size", "1"}));
        assertThrows(IllegalArgumentException.class, () -> BenchMain.Options.parse(new String[] {"--replay-gb", "0"}));
        assertThrows(IllegalArgumentException.class, () -> BenchMain.Options.parse(new String[] {"--drain-segments", "0"}));
        assertThrows(IllegalArgumentException.class, () -> BenchMain.Options.parse(new String[] {"--pg", "13"}));
    }
}
