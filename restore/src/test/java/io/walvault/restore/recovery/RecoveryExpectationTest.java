package io.walvault.restore.recovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.walvault.core.error.CorruptDataException;
import io.walvault.core.wal.Lsn;
import io.walvault.core.wal.TimelineId;
import io.walvault.core.wal.WalFileName;
import io.walvault.core.wal.WalSegmentName;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RecoveryExpectationTest {

    private static final long SEG = 16L * 1024 * 1024;

    private static RecoveryExpectation acrossASwitch() {
        // timeline 2 branched from 1 in segment 0x12: recovery asks for 1/0x10..0x11, then 2/0x12..0x14 (the last a .partial)
        return RecoveryExpectation.of(7, SEG, List.of(f("000000010000000000000010"), f("000000010000000000000011"),
                f("000000020000000000000012"), f("000000020000000000000013"), f("000000020000000000000014.partial")),
                TimelineId.of(1), TimelineId.of(2));
    }

    @Test
    void aPlanIsRangesPerTimelineAndEndsWithItsLastSegment() {
        RecoveryExpectation e = acrossASwitch();
        assertEquals(2, e.ranges().size());
        assertEquals("000000020000000000000014", e.end().fileName());
        assertEquals(TimelineId.of(2), e.finalTimeline());
        assertTrue(e.covers(s("000000010000000000000011")));
        assertTrue(e.covers(s("000000020000000000000014")));
        assertFalse(e.covers(s("000000010000000000000012")), "the old timeline past the switch is not planned");
        assertFalse(e.covers(s("000000020000000000000015")), "past the end");
        assertFalse(e.covers(s("00000002000000000000000F")), "before the backup");
        assertTrue(e.needsHistory(TimelineId.of(2)));
        assertFalse(e.needsHistory(TimelineId.of(3)));
        assertTrue(e.reachedBy(s("000000020000000000000015")));
        assertTrue(e.reachedBy(s("000000020000000000000014")));
        assertFalse(e.reachedBy(s("000000020000000000000013")));
    }

    @Test
    void writtenOwnerOnlyAndReadBackAsWritten(@TempDir Path data) throws Exception {
        assertEquals(Optional.empty(), RecoveryExpectation.read(data));
        RecoveryExpectation e = acrossASwitch();
        e.write(data);
        Path file = data.resolve(RecoveryExpectation.FILE);
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
        List<String> lines = Files.readAllLines(file);
        assertEquals("walvault-recovery-plan 1", lines.get(0));
        assertEquals("end 000000020000000000000014", lines.get(1), "bin/walvault reads the second line");
        assertEquals(e, RecoveryExpectation.read(data).orElseThrow());
    }

    @Test
    void anEndBeforeTheLastSegmentIsWrittenAsVersionTwoAndAnOlderFileIsRead(@TempDir Path data) throws Exception {
        // recovery stops before a record that began in 2/0x13 and continues into 2/0x14
        RecoveryExpectation e = RecoveryExpectation.of(7, SEG, List.of(f("000000010000000000000010"), f("000000010000000000000011"),
                f("000000020000000000000012"), f("000000020000000000000013"), f("000000020000000000000014")),
                TimelineId.of(1), TimelineId.of(2), Optional.of(Lsn.of(0x13L * SEG + 4096)));
        assertEquals(s("000000020000000000000013"), e.end());
        assertEquals(s("000000020000000000000014"), e.lastPlanned());
        assertTrue(e.covers(s("000000020000000000000014")));
        assertTrue(e.reachedBy(s("000000020000000000000013")));
        e.write(data);
        List<String> lines = Files.readAllLines(data.resolve(RecoveryExpectation.FILE));
        assertEquals("walvault-recovery-plan 2", lines.get(0));
        assertEquals("end 000000020000000000000013", lines.get(1), "bin/walvault reads the second line");
        assertEquals(e, RecoveryExpectation.read(data).orElseThrow());
        // a version 1 file (what every restore wrote before) means its last segment
        Files.write(data.resolve(RecoveryExpectation.FILE), List.of("walvault-recovery-plan 1", "end 000000010000000000000011",
                "system-identifier 7", "segment-size " + SEG, "wal 000000010000000000000010 000000010000000000000011"));
        assertEquals(s("000000010000000000000011"), RecoveryExpectation.read(data).orElseThrow().end());
        // an end that is not planned, in either version, is damage
        Files.write(data.resolve(RecoveryExpectation.FILE), List.of("walvault-recovery-plan 2", "end 000000010000000000000012",
                "system-identifier 7", "segment-size " + SEG, "wal 000000010000000000000010 000000010000000000000011"));
        CorruptDataException past = assertThrows(CorruptDataException.class, () -> RecoveryExpectation.read(data));
        assertTrue(past.getMessage().contains("not one of the planned segments"), past.getMessage());
    }

    @Test
    void anExclusiveLsnAtASegmentsStartEndsRecoveryInTheSegmentBefore() {
        List<WalFileName> planned = List.of(f("000000010000000000000004"), f("000000010000000000000005"));
        // 0/5000000 and the first record's start 0/5000028: the record before may end in segment 4
        for (Lsn target : List.of(Lsn.of(5 * SEG), Lsn.of(5 * SEG + 40))) {
            RecoveryExpectation e = RecoveryExpectation.of(7, SEG, planned, TimelineId.of(1), TimelineId.of(1),
                    Optional.of(RecoveryExpectation.replayedBefore(target, SEG)));
            assertEquals(s("000000010000000000000004"), e.end(), target.toString());
            assertTrue(e.covers(s("000000010000000000000005")), "the segment holding the record it stops before");
        }
        // past the header, a record of this segment is the last replayed
        assertEquals(s("000000010000000000000005"), RecoveryExpectation.of(7, SEG, planned, TimelineId.of(1), TimelineId.of(1),
                Optional.of(RecoveryExpectation.replayedBefore(Lsn.of(5 * SEG + 48), SEG))).end());
    }

    @Test
    void aDamagedFileIsAnErrorNotAMissingPlan(@TempDir Path data) throws Exception {
        acrossASwitch().write(data);
        Path file = data.resolve(RecoveryExpectation.FILE);
        List<String> lines = Files.readAllLines(file);
        Files.write(file, List.of(lines.get(0), "end 000000020000000000000015", lines.get(2), lines.get(3), lines.get(4)));
        CorruptDataException e = assertThrows(CorruptDataException.class, () -> RecoveryExpectation.read(data));
        assertTrue(e.getMessage().contains("not the last planned segment"), e.getMessage());
        Files.write(file, List.of("walvault-recovery-plan 3"));
        assertThrows(CorruptDataException.class, () -> RecoveryExpectation.read(data));
        Files.write(file, List.of("walvault-recovery-plan 1", "end 000000020000000000000014", "surprise 1"));
        assertThrows(CorruptDataException.class, () -> RecoveryExpectation.read(data));
    }

    @Test
    void progressCountsOnlyForTheRunningPostmaster(@TempDir Path data) throws Exception {
        Files.createDirectories(data.resolve("pg_wal"));
        assertEquals(Optional.empty(), RecoveryProgress.lastAskedInThisRun(data, SEG));
        Files.writeString(data.resolve("postmaster.pid"), "4242\n/srv/data\n");
        RecoveryProgress.record(data, "000000020000000000000013");
        assertEquals(Optional.of(s("000000020000000000000013")), RecoveryProgress.lastAskedInThisRun(data, SEG));
        // the server started again: what the last run asked for says nothing about this one
        Files.writeString(data.resolve("postmaster.pid"), "4343\n/srv/data\n");
        assertEquals(Optional.empty(), RecoveryProgress.lastAskedInThisRun(data, SEG));
        // the line bin/walvault writes is the same; an earlier walvault's line has no start time
        Files.writeString(data.resolve(RecoveryProgress.FILE), "000000020000000000000014 4343 0\n");
        assertEquals(Optional.of(s("000000020000000000000014")), RecoveryProgress.lastAskedInThisRun(data, SEG));
        Files.writeString(data.resolve(RecoveryProgress.FILE), "000000020000000000000014 4343\n");
        assertEquals(Optional.of(s("000000020000000000000014")), RecoveryProgress.lastAskedInThisRun(data, SEG));
    }

    @Test
    void aServerThatIsPidOneInEveryRunIsToldApartByItsStartTime(@TempDir Path data) throws Exception {
        Files.createDirectories(data.resolve("pg_wal"));
        Files.writeString(data.resolve("postmaster.pid"), "1\n/srv/data\n1765152000\n5432\n/run/postgresql\n*\n");
        RecoveryProgress.record(data, "000000010000000000000013");
        assertEquals("000000010000000000000013 1 1765152000\n", Files.readString(data.resolve(RecoveryProgress.FILE)));
        assertEquals(Optional.of(s("000000010000000000000013")), RecoveryProgress.lastAskedInThisRun(data, SEG));
        // the container started again: pid 1 once more, a later start
        Files.writeString(data.resolve("postmaster.pid"), "1\n/srv/data\n1765152090\n5432\n/run/postgresql\n*\n");
        assertEquals(Optional.empty(), RecoveryProgress.lastAskedInThisRun(data, SEG));
    }

    private static WalFileName f(String name) {
        return WalFileName.parse(name);
    }

    private static WalSegmentName s(String name) {
        return WalSegmentName.parse(name, SEG);
    }
}
