package io.walvault.bench.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class RedoLogTest {

    @Test
    void redoPhaseFromTheStartAndDoneLines() {
        String log = String.join("\n",
                "2026-11-21 09:00:00.100 UTC [123] LOG:  starting archive recovery",
                "2026-11-21 09:00:00.500 UTC [123] LOG:  redo starts at 0/2000028",
                "2026-11-21 09:00:59.750 UTC [123] LOG:  restored log file \"000000010000000000000040\" from archive",
                "2026-11-21 09:01:02.250 UTC [123] LOG:  redo done at 0/40FFFF8 system usage: CPU: user: 1.00 s, system: 0.50 s,"
                        + " elapsed: 61.75 s",
                "2026-11-21 09:01:03.000 UTC [120] LOG:  database system is ready to accept connections");
        assertEquals(Duration.ofMillis(61_750), RedoLog.redoPhase(log).orElseThrow());
    }

    @Test
    void noPhaseWithoutBothLines() {
        assertTrue(RedoLog.redoPhase("2026-11-21 09:00:00.500 UTC [1] LOG:  redo starts at 0/2000028\n").isEmpty());
        assertTrue(RedoLog.redoPhase("2026-11-21 09:00:00.500 UTC [1] LOG:  redo is not required\n").isEmpty());
    }

    @Test
    void countsRestoredSegmentsAndThoseAJavaCallFetched() {
        String log = String.join("\n",
                "2026-11-21 09:00:00.400 UTC [123] LOG:  restored log file \"00000001000000000000003F\" from archive",
                "12:00:00.450 [main] INFO io.walvault.restore.get.ArchiveGet - restored '000000010000000000000040'",
                "2026-11-21 09:00:00.500 UTC [123] LOG:  restored log file \"000000010000000000000040\" from archive",
                "2026-11-21 09:00:00.600 UTC [123] LOG:  restored log file \"000000010000000000000041\" from archive",
                "2026-11-21 09:00:00.700 UTC [123] LOG:  restored log file \"00000002.history\" from archive");
        assertEquals(3, RedoLog.restoredFromArchive(log));
        assertEquals(1, RedoLog.fetchedByJavaCalls(log));
        assertEquals(0, RedoLog.fetchedByJavaCalls("LOG:  restored log file \"000000010000000000000040\" from archive"));
    }
}
