package io.walvault.core.wal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class BackupLabelTest {

    @Test
    void parsesBothLsnFormsAndIncrementalLines() {
        String v17 = "START WAL LOCATION: 0/3000028 (file 000000020000000000000003)\n"
                + "CHECKPOINT LOCATION: 0/3000080\n"
                + "BACKUP METHOD: streamed\n"
                + "BACKUP FROM: primary\n"
                + "START TIME: 2026-11-21 06:30:00 UTC\n"
                + "LABEL: nightly\n"
                + "START TIMELINE: 2\n"
                + "INCREMENTAL FROM LSN: 0/2000028\n"
                + "INCREMENTAL FROM TLI: 1\n";
        BackupLabel l = BackupLabel.parse(v17);
        assertEquals(Lsn.parse("0/3000028"), l.startLsn());
        assertEquals("000000020000000000000003", l.startSegment());
        assertEquals(Lsn.parse("0/3000080"), l.checkpointLsn());
        assertEquals(TimelineId.of(2), l.startTimeline());
        assertEquals("nightly", l.label());
        assertEquals("primary", l.from());
        assertEquals(Lsn.parse("0/2000028"), l.incrementalFrom().orElseThrow());

        String padded = "START WAL LOCATION: 0/03000028 (file 000000010000000000000003)\n"
                + "CHECKPOINT LOCATION: 0/03000080\n";
        BackupLabel p = BackupLabel.parse(padded);
        assertEquals(Lsn.parse("0/3000028"), p.startLsn());
        assertEquals(TimelineId.FIRST, p.startTimeline(), "timeline from the segment name when the line is absent");
        assertTrue(p.incrementalFrom().isEmpty());
    }

    @Test
    void refusesTextThatIsNotABackupLabel() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> BackupLabel.parse("hello\n"));
        assertTrue(e.getMessage().contains("START WAL LOCATION"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> BackupLabel.parse("START WAL LOCATION: 0/3000028 (file 000000010000000000000003)\n"));
        assertTrue(e.getMessage().contains("CHECKPOINT LOCATION"), e.getMessage());
    }
}
