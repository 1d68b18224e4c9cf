package io.walvault.restore.status;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.walvault.core.repo.BackupInfo;
import io.walvault.core.wal.Lsn;
import io.walvault.core.wal.ServerWalPosition;
import io.walvault.core.wal.TimelineId;
import io.walvault.core.wal.WalSegmentName;
import io.walvault.restore.info.RecoveryWindow;
import io.walvault.restore.info.TimelineWal;
import io.walvault.restore.status.StatusProblem.Kind;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/** status as Prometheus gauges: units in the names, one series per kind, no sample for what is unknown. */
class StatusMetricsTest {

    private static final long SEG = WalSegmentName.DEFAULT_SEGMENT_SIZE;
    private static final Instant NOW = Instant.parse("2026-11-21T12:00:00Z");

    @Test
    void everyGaugeOfAClusterWithAGap() {
        WalSegmentName two = new WalSegmentName(TimelineId.FIRST, 2, SEG);
        BackupInfo b = new BackupInfo("20261121T093000Z", 42, 170004, "17.4", "nightly", TimelineId.FIRST, Lsn.parse("0/2000028"),
                TimelineId.FIRST, Lsn.parse("0/2000100"), Instant.parse("2026-11-21T09:29:00Z"),
                Instant.parse("2026-11-21T09:30:00Z"), OptionalLong.of(SEG), Optional.of(two), Optional.of(two), 1, 2, 3, 1, true);
        RecoveryWindow w = new RecoveryWindow(Instant.parse("2026-11-21T09:30:00Z"), Lsn.parse("0/2000100"), b.id(),
                Lsn.parse("0/4000000"), TimelineId.FIRST, Optional.empty(), Optional.of("000000010000000000000003"),
                Optional.of(new WalSegmentName(TimelineId.FIRST, 4, SEG)));
        StatusReport r = new StatusReport(NOW, 42, ServerReading.of(new ServerWalPosition(42, Lsn.parse("0/6000010"), false)),
                Optional.of(new Rpo(2 * SEG + 16, OptionalLong.of(90))),
                new Rto(OptionalLong.of(130), 2_000_000_000, OptionalLong.of(20_000_000), 3, 600_000_000, OptionalLong.of(20_000_000),
                        1, Optional.empty()),
                Optional.of(new ArchivedFile("000000010000000000000005", Instant.parse("2026-11-21T11:59:30.500Z"))),
                Optional.of(b), List.of(w), List.of(new TimelineWal.Gap(new WalSegmentName(TimelineId.FIRST, 4, SEG),
                        new WalSegmentName(TimelineId.FIRST, 4, SEG))),
                List.of(new StatusProblem(Kind.WAL_GAP, "gap")), List.of());
        String m = StatusMetrics.render(r);
        String id = "{system_identifier=\"42\"}";
        assertTrue(m.contains("# TYPE walvault_status_healthy gauge\nwalvault_status_healthy" + id + " 0\n"), m);
        assertTrue(m.contains("walvault_status_problems{system_identifier=\"42\",kind=\"WAL_GAP\"} 1\n"), m);
        assertTrue(m.contains("walvault_status_problems{system_identifier=\"42\",kind=\"BACKUP_TOO_OLD\"} 0\n"), m);
        assertTrue(m.contains("walvault_status_measured_timestamp_seconds" + id + " 1795262400\n"), m);
        assertTrue(m.contains("walvault_status_rpo_bytes" + id + " 33554448\n"), m);
        assertTrue(m.contains("walvault_status_rpo_seconds" + id + " 90\n"), m);
        assertTrue(m.contains("walvault_status_rto_seconds" + id + " 130\n"), m);
        assertTrue(m.contains("walvault_status_newest_wal_timestamp_seconds" + id + " 1795262370.500\n"), m);
        assertTrue(m.contains("walvault_status_newest_wal_age_seconds" + id + " 29.500\n"), m);
        assertTrue(m.contains("walvault_status_newest_backup_end_timestamp_seconds" + id + " 1795253400\n"), m);
        assertTrue(m.contains("walvault_status_newest_backup_age_seconds" + id + " 9000\n"), m);
        assertTrue(m.contains("walvault_status_recovery_windows" + id + " 1\n"), m);
        assertTrue(m.contains("walvault_status_recovery_window_start_timestamp_seconds" + id + " 1795253400\n"), m);
        assertTrue(m.contains("walvault_status_wal_gap_segments" + id + " 1\n"), m);
        assertEquals(Kind.values().length, m.lines().filter(l -> l.startsWith("walvault_status_problems{")).count());
    }

    @Test
    void whatIsUnknownHasNoSampleAndNoSentinel() {
        StatusReport r = new StatusReport(NOW, 42, ServerReading.notAsked(), Optional.empty(), Rto.unknown("nothing can be recovered"),
                Optional.empty(), Optional.empty(), List.of(), List.of(), List.of(), List.of());
        String m = StatusMetrics.render(r);
        assertTrue(m.contains("walvault_status_healthy{system_identifier=\"42\"} 1\n"), m);
        for (String absent : List.of("rpo_bytes", "rpo_seconds", "rto_seconds", "newest_wal_", "newest_backup_", "recovery_window_start")) {
            assertFalse(m.contains("walvault_status_" + absent), absent + ": " + m);
        }
        assertFalse(m.contains(" -1\n"), m);
    }
}
