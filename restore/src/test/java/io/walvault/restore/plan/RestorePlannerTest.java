package io.walvault.restore.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.walvault.core.error.ErrorCode;
import io.walvault.core.repo.BackupInfo;
import io.walvault.core.wal.Lsn;
import io.walvault.core.wal.TimelineHistory;
import io.walvault.core.wal.TimelineId;
import io.walvault.core.wal.WalFileName;
import io.walvault.core.wal.WalSegmentName;
import io.walvault.restore.recovery.RecoveryTarget;
import io.walvault.restore.recovery.TargetTimeline;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class RestorePlannerTest {

    private static final long SEG = WalSegmentName.DEFAULT_SEGMENT_SIZE;
    private static final TimelineId T1 = TimelineId.of(1);
    private static final TimelineId T2 = TimelineId.of(2);
    private static final TimelineId T3 = TimelineId.of(3);

    /** A backup from segment {@code fromSeg} to the middle of {@code toSeg}, ending at {@code endTime}. */
    private static BackupInfo backup(String name, TimelineId tli, long fromSeg, long toSeg, String endTime) {
        return new BackupInfo(id(name), 42, 180000, "18.0", name, tli, Lsn.of(fromSeg * SEG + 40), tli, Lsn.of(toSeg * SEG + 1000),
                Instant.parse(endTime).minusSeconds(60), Instant.parse(endTime), OptionalLong.of(SEG), Optional.empty(),
                Optional.empty(), 0, 0, 1000, 0, false);
    }

    /** The backup id of the test backup called {@code name}. */
    private static String id(String name) {
        return "20260101T000000Z-" + name;
    }

    private static WalArchiveListing archive(TimelineId tli, long fromSeg, long toSeg) {
        WalArchiveListing a = new WalArchiveListing(SEG);
        addSegments(a, tli, fromSeg, toSeg);
        return a;
    }

    private static void addSegments(WalArchiveListing a, TimelineId tli, long fromSeg, long toSeg) {
        for (long s = fromSeg; s <= toSeg; s++) {
            a.add(WalFileName.parse(new WalSegmentName(tli, s, SEG).fileName()), 100);
        }
    }

    private static List<String> names(RestorePlan p) {
        return p.wal().stream().map(w -> w.file().name()).toList();
    }

    @Test
    void newestBackupEndingBeforeTheTimeIsChosenByWallClock() {
        BackupInfo older = backup("b1", T1, 2, 3, "2026-11-01T00:00:00Z");
        BackupInfo newer = backup("b2", T1, 10, 11, "2026-11-10T00:00:00Z");
        WalArchiveListing a = archive(T1, 2, 20);

        RestorePlan p = RestorePlanner.plan(List.of(newer, older), a,
                RestorePlanner.Request.of(new RecoveryTarget.Time(Instant.parse("2026-11-05T00:00:00Z"))));
        assertEquals(id("b1"), p.backup().id());
        // unresolved time target: the plan runs to the end of the archive
        assertEquals("000000010000000000000002", p.firstWal().orElseThrow().name());
        assertEquals("000000010000000000000014", p.lastWal().orElseThrow().name());
        assertEquals(1000 + 19 * 100, p.bytesToFetch());

        RestorePlan latest = RestorePlanner.plan(List.of(older, newer), a,
                RestorePlanner.Request.of(new RecoveryTarget.Time(Instant.parse("2026-11-20T00:00:00Z"))));
        assertEquals(id("b2"), latest.backup().id());
    }

    @Test
    void aTargetBeforeEveryBackupIsRefusedNamingTheOldest() {
        BackupInfo b = backup("b1", T1, 2, 3, "2026-11-01T00:00:00Z");
        RestorePlanException e = assertThrows(RestorePlanException.class, () -> RestorePlanner.plan(List.of(b), archive(T1, 2, 9),
                RestorePlanner.Request.of(new RecoveryTarget.Time(Instant.parse("2026-10-01T00:00:00Z")))));
        assertEquals(ErrorCode.NO_BACKUP_FOR_TARGET, e.code());
        assertTrue(e.getMessage().contains("\'" + id("b1") + "\'"), e.getMessage());
    }

    @Test
    void lsnTargetNeedsWalUpToItsSegmentAndAGapIsNamed() {
        BackupInfo b = backup("b1", T1, 2, 3, "2026-11-01T00:00:00Z");
        WalArchiveListing a = archive(T1, 2, 9);
        RestorePlan p = RestorePlanner.plan(List.of(b), a,
                RestorePlanner.Request.of(new RecoveryTarget.AtLsn(Lsn.of(6 * SEG + 5))));
        assertEquals(List.of("000000010000000000000002", "000000010000000000000003", "000000010000000000000004",
                "000000010000000000000005", "000000010000000000000006"), names(p));

        WalArchiveListing gappy = archive(T1, 2, 4);
        addSegments(gappy, T1, 6, 9);
        RestorePlanException gap = assertThrows(RestorePlanException.class, () -> RestorePlanner.plan(List.of(b), gappy,
                RestorePlanner.Request.of(new RecoveryTarget.AtLsn(Lsn.of(6 * SEG + 5)))));
        assertEquals(ErrorCode.WAL_GAP, gap.code());
        assertTrue(gap.getMessage().contains("'000000010000000000000005' is missing"), gap.getMessage());

        RestorePlanException beyond = assertThrows(RestorePlanException.class, () -> RestorePlanner.plan(List.of(b), a,
                RestorePlanner.Request.of(new RecoveryTarget.AtLsn(Lsn.of(12 * SEG)))));
        assertEquals(ErrorCode.TARGET_UNREACHABLE, beyond.code());
    }

    @Test
    void endOfArchiveRefusesAGapButStopsQuietlyAtTheEnd() {
        BackupInfo b = backup("b1", T1, 2, 3, "2026-11-01T00:00:00Z");
        RestorePlan p = RestorePlanner.plan(List.of(b), archive(T1, 2, 7), RestorePlanner.Request.of(new RecoveryTarget.EndOfArchive()));
        assertEquals("000000010000000000000007", p.lastWal().orElseThrow().name());
        assertEquals(Lsn.of(8 * SEG), p.walEnd());

        WalArchiveListing gappy = archive(T1, 2, 4);
        addSegments(gappy, T1, 6, 7);
        RestorePlanException e = assertThrows(RestorePlanException.class,
                () -> RestorePlanner.plan(List.of(b), gappy, RestorePlanner.Request.of(new RecoveryTarget.EndOfArchive())));
        assertEquals(ErrorCode.WAL_GAP, e.code());
        assertTrue(e.getMessage().contains("up to '000000010000000000000007'"), e.getMessage());
    }

    @Test
    void aBackupWithoutItsOwnWalIsNotRestorable() {
        BackupInfo b = backup("b1", T1, 2, 4, "2026-11-01T00:00:00Z");
        WalArchiveListing a = archive(T1, 2, 2);
        addSegments(a, T1, 4, 9);
        RestorePlanException e = assertThrows(RestorePlanException.class,
                () -> RestorePlanner.plan(List.of(b), a, RestorePlanner.Request.of(new RecoveryTarget.Immediate())));
        assertEquals(ErrorCode.WAL_GAP, e.code());
        assertTrue(e.getMessage().contains("backup \'" + id("b1") + "\' needs it to become consistent"), e.getMessage());
    }

    @Test
    void timelineSwitchTakesTheSwitchSegmentFromTheNewTimeline() {
        BackupInfo b = backup("b1", T1, 2, 3, "2026-11-01T00:00:00Z");
        WalArchiveListing a = archive(T1, 2, 5);
        // the old timeline's last segment was archived as a partial at promotion
        a.add(WalFileName.parse(new WalSegmentName(T1, 6, SEG).fileName() + ".partial"), 50);
        a.addHistory(TimelineHistory.parse(T2, "1\t" + Lsn.of(6 * SEG + 4096) + "\tno recovery target specified\n"));
        addSegments(a, T2, 6, 8);

        RestorePlan p = RestorePlanner.plan(List.of(b), a, RestorePlanner.Request.of(new RecoveryTarget.EndOfArchive()));
        assertEquals(T2, p.targetTimeline());
        assertEquals(List.of(T1, T2), p.timelinePath());
        assertEquals(List.of("000000010000000000000002", "000000010000000000000003", "000000010000000000000004",
                "000000010000000000000005", "000000020000000000000006", "000000020000000000000007",
                "000000020000000000000008"), names(p));

        RestorePlan current = RestorePlanner.plan(List.of(b), a, new RestorePlanner.Request(new RecoveryTarget.EndOfArchive(),
                TargetTimeline.current(), Optional.empty(), Optional.empty()));
        assertEquals(T1, current.targetTimeline());
        assertEquals("000000010000000000000006.partial", current.lastWal().orElseThrow().name(),
                "the newest WAL of the timeline is served from its partial");
    }

    @Test
    void theOldTimelinesWalPastTheBranchIsNoGapInTheNewOne() {
        // a restore to a point in segment 4 became timeline 2, which has written to segment 5 so far; the old primary's
        // timeline 1 went on to segment 9: the end of timeline 2's archive is segment 5, not a gap before 1/9
        BackupInfo b = backup("b1", T1, 2, 3, "2026-11-01T00:00:00Z");
        WalArchiveListing a = archive(T1, 2, 9);
        a.addHistory(TimelineHistory.parse(T2, "1\t" + Lsn.of(4 * SEG + 4096) + "\tbefore transaction 1137\n"));
        addSegments(a, T2, 4, 5);
        RestorePlan p = RestorePlanner.plan(List.of(b), a, RestorePlanner.Request.of(new RecoveryTarget.EndOfArchive()));
        assertEquals(List.of("000000010000000000000002", "000000010000000000000003", "000000020000000000000004",
                "000000020000000000000005"), names(p));
        // a real gap in timeline 2 still is one: its segment 6 missing while 7 exists
        addSegments(a, T2, 7, 7);
        RestorePlanException e = assertThrows(RestorePlanException.class,
                () -> RestorePlanner.plan(List.of(b), a, RestorePlanner.Request.of(new RecoveryTarget.EndOfArchive())));
        assertEquals(ErrorCode.WAL_GAP, e.code());
        assertTrue(e.getMessage().contains("'000000020000000000000006' is missing") && e.getMessage().contains("up to '000000020000000000000007'"),
                e.getMessage());
    }

    @Test
    void aStrayTimelineIsReportedAndNotFollowed() {
        BackupInfo b = backup("b1", T1, 5, 6, "2026-11-01T00:00:00Z");
        WalArchiveListing a = archive(T1, 5, 9);
        // timeline 2 branched at segment 8 (after the backup): fine
        a.addHistory(TimelineHistory.parse(T2, "1\t" + Lsn.of(8 * SEG) + "\tpromoted\n"));
        addSegments(a, T2, 8, 10);
        // timeline 3 branched from timeline 1 at segment 3, before the backup ended: a stray
        a.addHistory(TimelineHistory.parse(T3, "1\t" + Lsn.of(3 * SEG) + "\told restore\n"));
        addSegments(a, T3, 3, 12);

        RestorePlan p = RestorePlanner.plan(List.of(b), a, RestorePlanner.Request.of(new RecoveryTarget.EndOfArchive()));
        assertEquals(T2, p.targetTimeline());
        assertTrue(p.warnings().stream().anyMatch(w -> w.contains("timeline 3") && w.contains("before the backup's consistent point")),
                p.warnings().toString());

        RestorePlanException e = assertThrows(RestorePlanException.class, () -> RestorePlanner.plan(List.of(b), a,
                new RestorePlanner.Request(new RecoveryTarget.EndOfArchive(), TargetTimeline.of(T3), Optional.empty(), Optional.empty())));
        assertEquals(ErrorCode.TIMELINE_INVALID, e.code());
        assertTrue(e.getMessage().contains("valid timelines for this backup: [1, 2]"), e.getMessage());
    }

    @Test
    void anExplicitBackupMustEndBeforeTheTarget() {
        BackupInfo b = backup("b1", T1, 5, 6, "2026-11-01T00:00:00Z");
        RestorePlanException e = assertThrows(RestorePlanException.class, () -> RestorePlanner.plan(List.of(b), archive(T1, 5, 9),
                new RestorePlanner.Request(new RecoveryTarget.AtLsn(Lsn.of(5 * SEG + 100)), TargetTimeline.latest(),
                        Optional.of(id("b1")), Optional.empty())));
        assertEquals(ErrorCode.TARGET_UNREACHABLE, e.code());
        RestorePlanException missing = assertThrows(RestorePlanException.class, () -> RestorePlanner.plan(List.of(b), archive(T1, 5, 9),
                new RestorePlanner.Request(new RecoveryTarget.Immediate(), TargetTimeline.latest(), Optional.of("nope"), Optional.empty())));
        assertTrue(missing.getMessage().contains("'nope' is not in the repository"), missing.getMessage());
    }
}
