package io.walvault.restore.status;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.walvault.core.repo.BackupInfo;
import io.walvault.core.repo.RecoveryTimings.Timing;
import io.walvault.core.wal.Lsn;
import io.walvault.core.wal.TimelineId;
import io.walvault.restore.info.RecoveryWindow;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/** The RTO estimate: the median of the newest measurements of each kind, and never a number without both. */
class RtoTest {

    private static final Instant T = Instant.parse("2026-12-05T10:00:00Z");
    private static final BackupInfo BACKUP = new BackupInfo("20261205T090000Z", 42, 170004, "17.4", "", TimelineId.FIRST,
            Lsn.parse("0/2000000"), TimelineId.FIRST, Lsn.parse("0/2000100"), T.minusSeconds(3700), T.minusSeconds(3600),
            OptionalLong.of(16 << 20), Optional.empty(), Optional.empty(), 10, 1_000_000_000L, 400_000_000L, 1, true);
    private static final RecoveryWindow WINDOW = new RecoveryWindow(T.minusSeconds(3600), Lsn.parse("0/2000100"), BACKUP.id(),
            Lsn.parse("0/2000000").plus(300_000_000L), TimelineId.FIRST, Optional.empty(), Optional.empty(), Optional.empty());

    @Test
    void theMedianOfTheNewestOfEachKindOverTheBackupAndTheWalToReplay() {
        List<Timing> timings = new ArrayList<>();
        timings.add(Timing.restore(T, 1_000_000_000L, 1)); // 1 GB/s, but older than the newest five
        for (double seconds : new double[] {10, 20, 5, 40, 12}) {
            timings.add(Timing.restore(T, 1_000_000_000L, seconds)); // 100, 50, 200, 25, 83.3 MB/s: median 83.3
        }
        timings.add(Timing.drill(T, 300_000_000L, 10)); // 30 MB/s
        Rto r = Rto.estimate(Optional.of(WINDOW), Optional.of(BACKUP), timings);
        assertEquals(OptionalLong.of(83_333_333), r.restoreBytesPerSecond());
        assertEquals(5, r.restores());
        assertEquals(OptionalLong.of(30_000_000), r.replayBytesPerSecond());
        assertEquals(300_000_000L, r.walBytes());
        assertEquals(1_000_000_000L, r.restoreBytes());
        assertEquals(OptionalLong.of(22), r.seconds(), "12 s for the files and 10 s for the WAL");
        assertTrue(r.unknownBecause().isEmpty());
    }

    @Test
    void withoutBothMeasurementsThereIsNoNumberButWhatWouldMeasureIt() {
        Rto none = Rto.estimate(Optional.of(WINDOW), Optional.of(BACKUP), List.of());
        assertTrue(none.seconds().isEmpty());
        assertTrue(none.unknownBecause().orElseThrow().contains("no restore or drill"), none.toString());
        Rto restoredOnly = Rto.estimate(Optional.of(WINDOW), Optional.of(BACKUP), List.of(Timing.restore(T, 100, 1)));
        assertTrue(restoredOnly.seconds().isEmpty());
        assertTrue(restoredOnly.unknownBecause().orElseThrow().contains("no drill of this cluster recorded its WAL replay"),
                restoredOnly.toString());
        assertEquals(OptionalLong.of(100), restoredOnly.restoreBytesPerSecond());
        Rto nothing = Rto.estimate(Optional.empty(), Optional.empty(), List.of(Timing.restore(T, 100, 1)));
        assertEquals(Optional.of("nothing can be recovered"), nothing.unknownBecause());
    }
}
