package io.walvault.restore.status;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.walvault.core.repo.ArchiveGaps;
import io.walvault.core.repo.BackupInfo;
import io.walvault.core.wal.Lsn;
import io.walvault.core.wal.ServerWalPosition;
import io.walvault.core.wal.TimelineId;
import io.walvault.core.wal.WalSegmentName;
import io.walvault.restore.info.ClusterReport;
import io.walvault.restore.info.RecoveryWindow;
import io.walvault.restore.info.TimelineWal;
import io.walvault.restore.status.StatusProblem.Kind;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** What status computes from info's report: the RPO, the ages, and health by the limits given. */
class StatusTest {

    private static final long SEG = WalSegmentName.DEFAULT_SEGMENT_SIZE;
    private static final long SYSID = 7400000000000000001L;
    private static final Instant NOW = Instant.parse("2026-11-21T12:00:00Z");
    private static final Instant BACKUP_END = Instant.parse("2026-11-21T09:30:00Z");
    /** The end of the window: segment 5 is the last recoverable one. */
    private static final Lsn WINDOW_END = Lsn.of(6 * SEG);
    private static final ArchivedFile LAST_WAL = new ArchivedFile("000000010000000000000005",
            Instant.parse("2026-11-21T11:58:00Z"));

    private static BackupInfo backup(String id, Instant end) {
        return backup(id, end, 2);
    }

    /** A backup whose WAL is segment {@code segment} of timeline 1. */
    private static BackupInfo backup(String id, Instant end, long segment) {
        WalSegmentName wal = new WalSegmentName(TimelineId.FIRST, segment, SEG);
        return new BackupInfo(id, SYSID, 170004, "17.4", "nightly", TimelineId.FIRST, Lsn.of(segment * SEG + 40), TimelineId.FIRST,
                Lsn.of(segment * SEG + 1000), end.minusSeconds(60), end, OptionalLong.of(SEG), Optional.of(wal), Optional.of(wal),
                10, 1000, 500, 1, true);
    }

    private static RecoveryWindow window(Optional<WalSegmentName> endsAtGap) {
        return new RecoveryWindow(BACKUP_END, Lsn.of(2 * SEG + 1000), "20261121T092900Z", WINDOW_END, TimelineId.FIRST,
                Optional.empty(), Optional.of(LAST_WAL.name()), endsAtGap);
    }

    /** A backup, segments 2 to 5 archived, one window to the end of 5. */
    private static ClusterReport healthy() {
        return new ClusterReport(SYSID, List.of(backup("20261121T092900Z", BACKUP_END)),
                List.of(TimelineWal.of(TimelineId.FIRST, new TreeSet<>(List.of(2L, 3L, 4L, 5L)), Optional.empty(), SEG)),
                Optional.of("start"), Optional.of("end"), List.of(), List.of(window(Optional.empty())));
    }

    private static StatusReport assess(ClusterReport r, ServerReading server, StatusThresholds limits) {
        return Status.assess(r, Optional.of(LAST_WAL), Optional.of(LAST_WAL), List.of(), List.of(), server, NOW, limits);
    }

    private static ServerReading server(Lsn at) {
        return ServerReading.of(new ServerWalPosition(SYSID, at, false));
    }

    private static List<Kind> kinds(StatusReport r) {
        return r.problems().stream().map(StatusProblem::kind).toList();
    }

    @Test
    void theRpoIsTheWalTheServerWrotePastTheWindowAndTheTimeSinceItsLastFileArrived() {
        StatusReport r = assess(healthy(), server(WINDOW_END.plus(5000)), StatusThresholds.NONE);
        assertEquals(new Rpo(5000, OptionalLong.of(120)), r.rpo().orElseThrow());
        assertTrue(r.healthy(), r.problems().toString());
    }

    @Test
    void aServerThatWroteNothingPastTheWindowLosesNothing() {
        assertEquals(new Rpo(0, OptionalLong.of(0)), assess(healthy(), server(WINDOW_END), StatusThresholds.NONE).rpo().orElseThrow());
        // a standby that has replayed less than the archive holds
        assertEquals(new Rpo(0, OptionalLong.of(0)), assess(healthy(), server(WINDOW_END.plus(-SEG)), StatusThresholds.NONE)
                .rpo().orElseThrow());
    }

    @Test
    void withoutAServerTheRpoIsUnknownNotInvented() {
        StatusReport r = assess(healthy(), ServerReading.notAsked(), StatusThresholds.NONE);
        assertTrue(r.rpo().isEmpty());
        assertTrue(r.healthy(), r.problems().toString());
    }

    @Test
    void aServerThatCannotBeReadIsAProblem() {
        StatusReport r = assess(healthy(), ServerReading.failed("connection refused"), StatusThresholds.NONE);
        assertTrue(r.rpo().isEmpty());
        assertEquals(List.of(Kind.SERVER_UNREACHABLE), kinds(r));
        assertTrue(r.problems().get(0).message().contains("connection refused"), r.problems().toString());
    }

    @Test
    void agesAreMeasuredToNowAndAClockAheadGivesZero() {
        StatusReport r = assess(healthy(), ServerReading.notAsked(), StatusThresholds.NONE);
        assertEquals(Duration.ofMinutes(2), r.newestWalAge().orElseThrow());
        assertEquals(Duration.ofMinutes(150), r.newestBackupAge().orElseThrow());
        assertEquals(Duration.ZERO, r.age(NOW.plusSeconds(30)));
    }

    @Test
    void anAgeBeyondItsLimitIsNotHealthyAndOneWithinIs() {
        StatusThresholds within = new StatusThresholds(Optional.of(Duration.ofMinutes(2)), Optional.of(Duration.ofMinutes(150)));
        assertTrue(assess(healthy(), ServerReading.notAsked(), within).healthy(), "a limit equal to the age is kept");
        StatusThresholds tight = new StatusThresholds(Optional.of(Duration.ofSeconds(119)), Optional.of(Duration.ofHours(2)));
        StatusReport r = assess(healthy(), ServerReading.notAsked(), tight);
        assertEquals(List.of(Kind.ARCHIVE_TOO_OLD, Kind.BACKUP_TOO_OLD), kinds(r));
        assertTrue(r.problems().get(1).message().contains("ended 2h 30m ago, more than --max-backup-age 2h 0m"),
                r.problems().get(1).message());
        assertThrows(IllegalArgumentException.class, () -> new StatusThresholds(Optional.of(Duration.ZERO), Optional.empty()));
    }

    @Test
    void aGapInTheArchivedWalIsNotHealthy() {
        ClusterReport gap = new ClusterReport(SYSID, healthy().backups(),
                List.of(TimelineWal.of(TimelineId.FIRST, new TreeSet<>(List.of(2L, 3L, 5L)), Optional.empty(), SEG)),
                Optional.of("start"), Optional.of("end"), List.of("info's warning", "info's words for the gap"),
                List.of(window(Optional.of(new WalSegmentName(TimelineId.FIRST, 4, SEG)))), List.of("info's words for the gap"));
        StatusReport r = assess(gap, ServerReading.notAsked(), StatusThresholds.NONE);
        assertEquals(List.of(Kind.WAL_GAP), kinds(r), "the window's missing segment is the same gap, reported once");
        assertEquals(1, r.gaps().size());
        assertTrue(r.problems().get(0).message().startsWith("WAL 000000010000000000000004 (1 segment) is missing"),
                r.problems().get(0).message());
        assertEquals(List.of("info's warning"), r.warnings(), "the gap is not repeated as a warning");
        assertThrows(IllegalArgumentException.class, () -> new ClusterReport(SYSID, List.of(), List.of(), Optional.empty(),
                Optional.empty(), List.of(), List.of(), List.of("a gap among no problems")));
    }

    @Test
    void aGapABackupWasTakenAfterSaysSoInsteadOfAskingForOne() {
        List<TimelineWal> wal = List.of(TimelineWal.of(TimelineId.FIRST, new TreeSet<>(List.of(2L, 3L, 5L, 6L)), Optional.empty(), SEG));
        ClusterReport before = new ClusterReport(SYSID, List.of(backup("20261121T092900Z", BACKUP_END)), wal,
                Optional.of("start"), Optional.of("end"), List.of(), List.of(window(Optional.of(new WalSegmentName(TimelineId.FIRST, 4, SEG)))));
        String only = assess(before, ServerReading.notAsked(), StatusThresholds.NONE).problems().get(0).message();
        assertTrue(only.endsWith("HINT: take a new backup so that what follows it can be"), only);

        ClusterReport after = new ClusterReport(SYSID, List.of(backup("20261121T092900Z", BACKUP_END),
                backup("20261121T120000Z", BACKUP_END.plusSeconds(3600), 5)), wal, Optional.of("start"), Optional.of("end"),
                List.of(), List.of(window(Optional.of(new WalSegmentName(TimelineId.FIRST, 4, SEG)))));
        StatusReport r = assess(after, ServerReading.notAsked(), StatusThresholds.NONE);
        assertEquals(Kind.WAL_GAP, r.problems().get(0).kind(), "a gap is still a gap: no point in it can be recovered to");
        assertTrue(r.problems().get(0).message().contains("HINT: what follows it is recoverable from backup '20261121T120000Z';"
                + " the gap stays in the recovery windows until 'walvault expire' removes the backups before it"),
                r.problems().get(0).message());
    }

    @Test
    void walGivenUpByArchivePushIsAGap() {
        ArchiveGaps.Gap given = new ArchiveGaps.Gap(1, "000000010000000000000006", "000000010000000000000007", 2, 2 * SEG,
                "db1", "2026-11-21T11:00:00Z", "the spool was full");
        StatusReport r = Status.assess(healthy(), Optional.of(LAST_WAL), Optional.of(LAST_WAL), List.of(given),
                List.of(), ServerReading.notAsked(), NOW, StatusThresholds.NONE);
        assertEquals(List.of(Kind.WAL_GAP), kinds(r));
        assertTrue(r.problems().get(0).message().contains("given up unarchived by archive-push on db1"), r.problems().toString());
    }

    @Test
    void nothingArchivedNoBackupAndNoWindowAreProblems() {
        ClusterReport empty = new ClusterReport(SYSID, List.of(), List.of(), Optional.empty(), Optional.empty(), List.of(),
                List.of());
        StatusReport r = Status.assess(empty, Optional.empty(), Optional.empty(), List.of(), List.of(), server(WINDOW_END), NOW,
                new StatusThresholds(Optional.of(Duration.ofMinutes(1)), Optional.of(Duration.ofMinutes(1))));
        assertEquals(List.of(Kind.NO_WAL, Kind.NO_BACKUP), kinds(r));
        assertTrue(r.rpo().isEmpty(), "nothing is recoverable: no number");
        assertFalse(r.healthy());

        ClusterReport unrestorable = new ClusterReport(SYSID, healthy().backups(), healthy().wal(), Optional.empty(),
                Optional.empty(), List.of(), List.of());
        assertEquals(List.of(Kind.NO_RECOVERY_WINDOW), kinds(assess(unrestorable, ServerReading.notAsked(), StatusThresholds.NONE)));
    }

    @Test
    void durationsForPeople() {
        assertEquals("8s", Status.human(Duration.ofSeconds(8)));
        assertEquals("6m 7s", Status.human(Duration.ofSeconds(367)));
        assertEquals("4h 5m", Status.human(Duration.ofMinutes(245)));
        assertEquals("2d 3h", Status.human(Duration.ofHours(51)));
    }
}
