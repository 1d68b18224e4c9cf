package io.walvault.archiver.expire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.walvault.archiver.expire.ExpirePlan.BackupDecision;
import io.walvault.archiver.expire.ExpirePlan.OrphanDecision;
import io.walvault.core.error.WalvaultException;
import io.walvault.core.repo.BackupCatalog.StoredBackup;
import io.walvault.core.repo.BackupInfo;
import io.walvault.core.wal.WalFileName;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import io.walvault.core.wal.Lsn;
import io.walvault.core.wal.TimelineId;
import java.util.OptionalLong;
import io.walvault.core.wal.WalSegmentName;

class ExpirePlanTest {

    private static final Instant NOW = Instant.parse("2026-11-21T12:00:00Z");
    private static final long SEG = 16L * 1024 * 1024;

    /** A backup that ended {@code endedAgo} before NOW, starting in segment {@code startSeg} of {@code tli}. */
    private static BackupInfo backup(String id, Duration endedAgo, long tli, long startSeg) {
        Instant end = NOW.minus(endedAgo);
        String startLsn = String.format("%X/%X", (startSeg * SEG) >>> 32, (startSeg * SEG & 0xFFFFFFFFL) + 0x28);
        String first = String.format("%08X%08X%08X", tli, startSeg / 256, startSeg % 256);
        String last = String.format("%08X%08X%08X", tli, (startSeg + 1) / 256, (startSeg + 1) % 256);
        return new BackupInfo(id, 7L, 180001, "18.1", "t", TimelineId.of(tli), Lsn.parse(startLsn), TimelineId.of(tli), Lsn.parse(startLsn), Instant.parse(end.minusSeconds(60).toString()), Instant.parse(end.toString()), OptionalLong.of(SEG), Optional.of(WalSegmentName.parse(first, SEG)), Optional.of(WalSegmentName.parse(last, SEG)), 10L, 100L, 50L, 1, true);
    }

    private static StoredBackup orphan(String id, Duration writtenAgo) {
        return new StoredBackup(id, false, 3, 3000, NOW.minus(writtenAgo));
    }

    private static List<String> ids(List<BackupDecision> d) {
        return d.stream().map(x -> x.backup().id()).toList();
    }

    private static <T> List<T> reversed(List<T> list) {
        List<T> r = new java.util.ArrayList<>(list);
        java.util.Collections.reverse(r);
        return r;
    }

    private static WalFileName wal(String name) {
        return WalFileName.parse(name);
    }

    private static final List<BackupInfo> FOUR = List.of(
            backup("20261101T000000Z", Duration.ofDays(20), 1, 0x10),
            backup("20261111T000000Z", Duration.ofDays(10), 1, 0x20),
            backup("20261115T000000Z", Duration.ofDays(6), 1, 0x30),
            backup("20261120T000000Z", Duration.ofDays(1), 1, 0x40));

    @Test
    void namedBackupsGoAndEveryOtherOneStays() {
        ExpirePlan middle = ExpirePlan.of(RetentionPolicy.named(List.of("20261111T000000Z"), Duration.ofDays(1)), NOW, FOUR,
                List.of());
        assertEquals(List.of("20261111T000000Z"), ids(middle.removedBackups()));
        assertEquals(List.of("20261101T000000Z", "20261115T000000Z", "20261120T000000Z"), ids(middle.keptBackups()));
        assertEquals(List.of("not named by --remove"), middle.keptBackups().get(0).reasons());
        // the oldest kept backup still starts the kept WAL: removing one in the middle removes no WAL
        assertEquals(Optional.of("000000010000000000000010"), middle.walKeptFrom().map(ExpirePlan.KeptFrom::segment));

        // the oldest named: the WAL before the next kept backup goes with it, as with any policy
        ExpirePlan oldest = ExpirePlan.of(RetentionPolicy.named(List.of("20261101T000000Z", "20261115T000000Z"),
                Duration.ofDays(1)), NOW, reversed(FOUR), List.of());
        assertEquals(List.of("20261101T000000Z", "20261115T000000Z"), ids(oldest.removedBackups()));
        assertEquals(Optional.of("000000010000000000000020"), oldest.walKeptFrom().map(ExpirePlan.KeptFrom::segment));
        assertTrue(oldest.removesWal(wal("00000001000000000000001F")));
        assertFalse(oldest.removesWal(wal("000000010000000000000020")));
        assertTrue(oldest.policy().describe().contains("20261101T000000Z, 20261115T000000Z named by --remove"),
                oldest.policy().describe());

        // a damaged backup goes only when named
        ExpirePlan.DamagedBackup damaged = new ExpirePlan.DamagedBackup("20261031T000000Z", NOW.minus(Duration.ofDays(21)),
                "'data/00000000.lz4' is missing");
        ExpirePlan notNamed = ExpirePlan.of(RetentionPolicy.named(List.of("20261111T000000Z"), Duration.ofDays(1)), NOW, FOUR,
                List.of(), List.of(damaged));
        assertEquals(List.of(), notNamed.removedDamaged(), "by a count it would go, being older than every kept backup");
        ExpirePlan named = ExpirePlan.of(RetentionPolicy.named(List.of("20261031T000000Z"), Duration.ofDays(1)), NOW, FOUR,
                List.of(), List.of(damaged));
        assertEquals(List.of("20261031T000000Z"), named.removedDamaged().stream().map(d -> d.backup().id()).toList());
        assertEquals(List.of(), named.removedBackups());
    }

    @Test
    void aNameExpireMayNotRemoveIsRefusedBeforeAnythingIsDecided() {
        WalvaultException newest = assertThrows(WalvaultException.class,
                () -> ExpirePlan.of(RetentionPolicy.named(List.of("20261111T000000Z", "20261120T000000Z"), Duration.ofDays(1)),
                        NOW, FOUR, List.of()));
        assertEquals(65, newest.code().exitCode());
        assertTrue(newest.getMessage().contains("'20261120T000000Z' is the newest restorable backup"), newest.getMessage());

        WalvaultException unknown = assertThrows(WalvaultException.class,
                () -> ExpirePlan.of(RetentionPolicy.named(List.of("20261112T000000Z"), Duration.ofDays(1)), NOW, FOUR, List.of()));
        assertEquals(65, unknown.code().exitCode());
        assertTrue(unknown.getMessage().contains("no backup '20261112T000000Z'") && unknown.getMessage().contains("walvault info"),
                unknown.getMessage());

        WalvaultException running = assertThrows(WalvaultException.class,
                () -> ExpirePlan.of(RetentionPolicy.named(List.of("20261121T110000Z"), Duration.ofDays(1)), NOW, FOUR,
                        List.of(orphan("20261121T110000Z", Duration.ofMinutes(5)))));
        assertEquals(65, running.code().exitCode());
        assertTrue(running.getMessage().contains("no commit record") && running.getMessage().contains("--orphan-grace"),
                running.getMessage());

        assertThrows(IllegalArgumentException.class, () -> RetentionPolicy.named(List.of("yesterday"), Duration.ofDays(1)));
        assertThrows(IllegalArgumentException.class, () -> RetentionPolicy.named(List.of(), Duration.ofDays(1)));
        assertThrows(IllegalArgumentException.class, () -> new RetentionPolicy(2, null, Duration.ZERO,
                List.of("20261111T000000Z")), "a count and names do not combine");
    }

    @Test
    void damagedBackupsAreNeverCountedSoTheLastRestorableOneStays() {
        // the newest backup looks complete but cannot be restored (an object or its WAL is missing)
        ExpirePlan.DamagedBackup newest = new ExpirePlan.DamagedBackup("20261121T000000Z", NOW.minus(Duration.ofHours(1)),
                "its WAL segment '000000010000000000000050' is missing from the archive");
        ExpirePlan.DamagedBackup oldest = new ExpirePlan.DamagedBackup("20261031T000000Z", NOW.minus(Duration.ofDays(21)),
                "'data/00000000.lz4' is missing");
        ExpirePlan p = ExpirePlan.of(RetentionPolicy.full(1), NOW, FOUR, List.of(), List.of(newest, oldest));
        assertEquals(List.of("20261120T000000Z"), ids(p.keptBackups()), "the newest restorable backup, not the damaged one");
        assertEquals(Optional.of("000000010000000000000040"), p.walKeptFrom().map(ExpirePlan.KeptFrom::segment));
        assertEquals(List.of("20261031T000000Z"), p.removedDamaged().stream().map(d -> d.backup().id()).toList());
        assertFalse(p.damaged().get(0).remove(), "a damaged backup newer than the kept ones is left for the DBA");

        // nothing restorable at all: nothing is removed, backups or WAL
        ExpirePlan none = ExpirePlan.of(RetentionPolicy.full(1), NOW, List.of(), List.of(), List.of(newest, oldest));
        assertEquals(List.of(), none.removedDamaged());
        assertEquals(Optional.empty(), none.walKeptFrom());
        assertFalse(none.removesWal(wal("000000010000000000000001")));
    }

    @Test
    void countKeepsTheNewestNAndTheWalFromTheOldestKeptStart() {
        ExpirePlan p = ExpirePlan.of(RetentionPolicy.full(2), NOW, reversed(FOUR), List.of());
        assertEquals(List.of("20261101T000000Z", "20261111T000000Z"), ids(p.removedBackups()));
        assertEquals(List.of("20261115T000000Z", "20261120T000000Z"), ids(p.keptBackups()));
        assertEquals(List.of("newest 2 full backups"), p.keptBackups().get(0).reasons());
        assertEquals("000000010000000000000030", p.walKeptFrom().orElseThrow().segment());
        assertEquals("20261115T000000Z", p.walKeptFrom().orElseThrow().backupId());

        assertTrue(p.removesWal(wal("000000010000000000000010")));
        assertTrue(p.removesWal(wal("00000001000000000000002F")));
        assertFalse(p.removesWal(wal("000000010000000000000030")), "the kept backup's start segment");
        assertFalse(p.removesWal(wal("000000010000000000000031")));
        assertTrue(p.removesWal(wal("00000001000000000000002F.partial")));
        assertTrue(p.removesWal(wal("000000010000000000000020.00000028.backup")));
        assertFalse(p.removesWal(wal("000000010000000000000030.00000028.backup")), "the kept backup's own backup file");
        assertFalse(p.removesWal(wal("00000001.history")));
    }

    @Test
    void countLargerThanTheBackupsKeepsEverything() {
        ExpirePlan p = ExpirePlan.of(RetentionPolicy.full(9), NOW, FOUR, List.of());
        assertEquals(4, p.keptBackups().size());
        assertEquals("000000010000000000000010", p.walKeptFrom().orElseThrow().segment());
        assertFalse(p.removesWal(wal("000000010000000000000010")));
        assertTrue(p.removesWal(wal("00000001000000000000000F")));
    }

    @Test
    void windowKeepsWhatEndedInsideAndTheNewestBackupBeforeIt() {
        ExpirePlan p = ExpirePlan.of(RetentionPolicy.window(Duration.ofDays(7)), NOW, FOUR, List.of());
        // -20d is not needed: recovery to NOW-7d starts from the -10d backup
        assertEquals(List.of("20261101T000000Z"), ids(p.removedBackups()));
        assertEquals(List.of("needed for the 7d window (recovery to its start begins here)"), p.keptBackups().get(0).reasons());
        assertEquals(List.of("ended inside the 7d window"), p.keptBackups().get(1).reasons());
        assertEquals("000000010000000000000020", p.walKeptFrom().orElseThrow().segment());
    }

    @Test
    void windowWithNothingInsideStillKeepsTheNewestBackup() {
        ExpirePlan p = ExpirePlan.of(RetentionPolicy.window(Duration.ofHours(1)), NOW, FOUR, List.of());
        assertEquals(List.of("20261120T000000Z"), ids(p.keptBackups()));
        assertEquals(List.of("needed for the 1h window (recovery to its start begins here)"), p.keptBackups().get(0).reasons());
    }

    @Test
    void windowCoveringEverythingRemovesNothing() {
        ExpirePlan p = ExpirePlan.of(RetentionPolicy.window(Duration.ofDays(30)), NOW, FOUR, List.of());
        assertEquals(List.of(), p.removedBackups());
        assertEquals("000000010000000000000010", p.walKeptFrom().orElseThrow().segment());
    }

    @Test
    void withCountAndWindowWhatEitherKeepsIsKept() {
        // count 1 keeps -1d; the 7d window keeps -6d, -1d and -10d (before the window): the union
        ExpirePlan p = ExpirePlan.of(RetentionPolicy.full(1).withWindow(Duration.ofDays(7)), NOW, FOUR, List.of());
        assertEquals(List.of("20261101T000000Z"), ids(p.removedBackups()));
        assertEquals(List.of("newest 1 full backup", "ended inside the 7d window"), p.keptBackups().get(2).reasons());
        // count 3 keeps more than a 36h window
        ExpirePlan q = ExpirePlan.of(RetentionPolicy.full(3).withWindow(Duration.ofHours(36)), NOW, FOUR, List.of());
        assertEquals(List.of("20261101T000000Z"), ids(q.removedBackups()));
        assertEquals(List.of("newest 3 full backups"), q.keptBackups().get(0).reasons());
    }

    @Test
    void newestMeansLatestEndTimeNotHighestLsnOrTimeline() {
        // after a point-in-time restore, timeline 3 continues from an earlier LSN than timeline 2 had reached
        BackupInfo older = backup("20261110T000000Z", Duration.ofDays(11), 2, 0x80);
        BackupInfo newer = backup("20261112T000000Z", Duration.ofDays(9), 3, 0x50);
        ExpirePlan p = ExpirePlan.of(RetentionPolicy.full(1), NOW, List.of(newer, older), List.of());
        assertEquals(List.of("20261112T000000Z"), ids(p.keptBackups()));
        assertEquals("000000030000000000000050", p.walKeptFrom().orElseThrow().segment());
        // timeline 2's WAL past timeline 3's start is kept (harmless), before it removed
        assertFalse(p.removesWal(wal("000000020000000000000080")));
        assertTrue(p.removesWal(wal("00000002000000000000004F")));
    }

    @Test
    void keptWalStartsAtTheEarliestStartOfAnyKeptBackup() {
        // kept by the window but ended later, a backup that started earlier (a long backup) bounds the WAL
        BackupInfo longOne = backup("20261119T000000Z", Duration.ofDays(1), 1, 0x05);
        BackupInfo shortOne = backup("20261119T120000Z", Duration.ofHours(20), 1, 0x09);
        ExpirePlan p = ExpirePlan.of(RetentionPolicy.full(2), NOW, List.of(shortOne, longOne), List.of());
        assertEquals("000000010000000000000005", p.walKeptFrom().orElseThrow().segment());
        assertEquals("20261119T000000Z", p.walKeptFrom().orElseThrow().backupId());
    }

    @Test
    void timelinesAreCutAtTheSameSegmentNumber() {
        // every kept backup is on timeline 2, which branched from timeline 1 in segment 0x30
        List<BackupInfo> backups = List.of(
                backup("20261101T000000Z", Duration.ofDays(20), 1, 0x10),
                backup("20261115T000000Z", Duration.ofDays(6), 2, 0x38),
                backup("20261120T000000Z", Duration.ofDays(1), 2, 0x40));
        ExpirePlan p = ExpirePlan.of(RetentionPolicy.full(2), NOW, backups, List.of());
        assertEquals("000000020000000000000038", p.walKeptFrom().orElseThrow().segment());
        assertTrue(p.removesWal(wal("000000010000000000000010")));
        assertTrue(p.removesWal(wal("000000010000000000000030.partial")), "timeline 1's last, partial, segment");
        assertTrue(p.removesWal(wal("000000020000000000000030")), "timeline 2's first segment, before its backups");
        assertFalse(p.removesWal(wal("000000010000000000000039")), "timeline 1 after the branch: kept, harmless");
        assertFalse(p.removesWal(wal("000000020000000000000038")));
        assertFalse(p.removesWal(wal("00000002.history")));
        assertFalse(p.removesWal(wal("00000003.history")));
    }

    @Test
    void segmentNumbersCompareAcrossLogFiles() {
        List<BackupInfo> backups = List.of(backup("20261120T000000Z", Duration.ofDays(1), 1, 0x1_05)); // log 1, seg 5
        ExpirePlan p = ExpirePlan.of(RetentionPolicy.full(1), NOW, backups, List.of());
        assertEquals("000000010000000100000005", p.walKeptFrom().orElseThrow().segment());
        assertTrue(p.removesWal(wal("0000000100000000000000FF")));
        assertTrue(p.removesWal(wal("000000050000000100000004")));
        assertFalse(p.removesWal(wal("000000010000000200000000")));
    }

    @Test
    void withoutAnyBackupNoWalIsRemovedButOldOrphansAre() {
        ExpirePlan p = ExpirePlan.of(RetentionPolicy.full(1), NOW, List.of(),
                List.of(orphan("20261101T000000Z", Duration.ofDays(20))));
        assertEquals(Optional.empty(), p.walKeptFrom());
        assertFalse(p.removesWal(wal("000000010000000000000001")));
        assertFalse(p.removesWal(wal("000000010000000000000001.partial")));
        assertEquals(1, p.removedOrphans().size());
    }

    @Test
    void orphansGoOnlyAfterTheGracePeriod() {
        List<StoredBackup> stored = List.of(
                orphan("20261101T000000Z", Duration.ofDays(2)),
                new StoredBackup("20261111T000000Z", true, 5, 5000, NOW.minus(Duration.ofDays(10))), // complete: not an orphan
                orphan("20261121T113000Z", Duration.ofMinutes(30)));
        ExpirePlan p = ExpirePlan.of(RetentionPolicy.full(1), NOW, List.of(FOUR.get(1)), stored);
        assertEquals(2, p.orphans().size());
        OrphanDecision old = p.orphans().get(0);
        assertTrue(old.remove());
        assertEquals("no manifest (an interrupted backup), last written 2 days ago", old.reason());
        OrphanDecision young = p.orphans().get(1);
        assertFalse(young.remove());
        assertTrue(young.reason().contains("within the 1d grace period"), young.reason());
        // zero grace: any orphan goes (the lock is held, so no backup is writing)
        ExpirePlan now = ExpirePlan.of(RetentionPolicy.full(1).withOrphanGrace(Duration.ZERO), NOW, List.of(FOUR.get(1)), stored);
        assertEquals(2, now.removedOrphans().size());
    }

    @Test
    void startSegmentOfAnOldManifestIsNeverTooLate() {
        BackupInfo v1 = BackupInfo.of("20261120T000000Z", 7L, 140010, TimelineId.of(1), Lsn.parse("0/5000028"), Lsn.parse("0/5000100"), Instant.parse("2026-11-20T00:00:00Z"), Instant.parse("2026-11-20T00:01:00Z"), "t");
        // without the segment size, the largest one: segment 0 holds 0/5000028 then, so nothing at or after it is removed
        assertEquals("000000010000000000000000", ExpirePlan.startSegment(v1));
        ExpirePlan p = ExpirePlan.of(RetentionPolicy.full(1), NOW, List.of(v1), List.of());
        assertFalse(p.removesWal(wal("000000010000000000000004")));
        BackupInfo sized = new BackupInfo("20261120T000000Z", 7L, 140010, "14.10", "t", TimelineId.of(1), Lsn.parse("0/5000028"), TimelineId.of(1L), Lsn.parse("0/5000100"), Instant.parse("2026-11-20T00:00:00Z"), Instant.parse("2026-11-20T00:01:00Z"), OptionalLong.of(SEG), Optional.empty(), Optional.empty(), 0, 0, 0, 0, false);
        assertEquals("000000010000000000000005", ExpirePlan.startSegment(sized));
    }

    @Test
    void decisionsAreConsistent() {
        assertThrows(IllegalArgumentException.class, () -> new BackupDecision(FOUR.get(0), true, List.of()));
        assertThrows(IllegalArgumentException.class, () -> new BackupDecision(FOUR.get(0), false, List.of("why")));
        assertThrows(IllegalArgumentException.class, () -> new OrphanDecision(
                new StoredBackup("20261111T000000Z", true, 1, 1, NOW), true, "complete"));
    }
}
