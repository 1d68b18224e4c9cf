package io.walvault.archiver.stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.walvault.core.error.WalvaultException;
import io.walvault.core.wal.Lsn;
import io.walvault.core.wal.TimelineId;
import io.walvault.core.wal.WalSegmentName;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WalSpoolTest {

    private static final long SEG = 1L << 20; // the smallest segment size keeps the test fast

    @Test
    void payloadsAreSplitAtSegmentBoundariesAndCompletedSegmentsRenamed(@TempDir Path dir) throws Exception {
        List<WalSpool.CompletedSegment> done = new ArrayList<>();
        Lsn start = Lsn.of(3 * SEG);
        byte[] all = new byte[(int) (2 * SEG + 5000)];
        new Random(7).nextBytes(all);
        try (WalSpool spool = new WalSpool(dir.resolve("spool"), SEG, TimelineId.FIRST, start, done::add)) {
            int off = 0;
            int[] sizes = {100, 131072, 70000, 900000, 131072};
            int k = 0;
            while (off < all.length) {
                int n = Math.min(sizes[k++ % sizes.length], all.length - off);
                spool.write(start.plus(off), ByteBuffer.wrap(all, off, n));
                off += n;
            }
            assertEquals(start.plus(all.length), spool.position());
            assertEquals(2, done.size());
            assertEquals("000000010000000000000003", done.get(0).name().fileName());
            assertArrayEquals(Arrays.copyOfRange(all, 0, (int) SEG), Files.readAllBytes(done.get(0).file()));
            assertArrayEquals(Arrays.copyOfRange(all, (int) SEG, (int) (2 * SEG)), Files.readAllBytes(done.get(1).file()));
            WalSpool.PartialSegment p = spool.partial().orElseThrow();
            assertEquals("000000010000000000000005", p.name().fileName());
            assertEquals(5000, p.validBytes());
            assertEquals(spool.position(), spool.flush());
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(p.file())));
            assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("spool"))));
        }
    }

    @Test
    void aGapOrOverlapIsRefused(@TempDir Path dir) {
        try (WalSpool spool = new WalSpool(dir, SEG, TimelineId.FIRST, Lsn.of(SEG), s -> { })) {
            spool.write(Lsn.of(SEG), ByteBuffer.allocate(100));
            WalvaultException gap = assertThrows(WalvaultException.class, () -> spool.write(Lsn.of(SEG + 200), ByteBuffer.allocate(10)));
            assertTrue(gap.getMessage().contains("a gap or an overlap"), gap.getMessage());
            assertThrows(WalvaultException.class, () -> spool.write(Lsn.of(SEG + 50), ByteBuffer.allocate(10)));
            assertEquals(Lsn.of(SEG + 100), spool.position(), "nothing written by refused calls");
        }
    }

    @Test
    void aTimelineSwitchClosesTheOldPartialAndRestartsAtASegmentBoundary(@TempDir Path dir) throws Exception {
        List<WalSpool.CompletedSegment> done = new ArrayList<>();
        try (WalSpool spool = new WalSpool(dir, SEG, TimelineId.FIRST, Lsn.of(SEG), done::add)) {
            spool.write(Lsn.of(SEG), ByteBuffer.wrap(new byte[4096]));
            WalSpool.PartialSegment old = spool.switchTimeline(TimelineId.of(2), Lsn.of(SEG)).orElseThrow();
            assertEquals("000000010000000000000001", old.name().fileName());
            assertEquals(4096, old.validBytes());
            assertTrue(Files.exists(old.file()));
            spool.write(Lsn.of(SEG), ByteBuffer.wrap(new byte[(int) SEG]));
            assertEquals(WalSegmentName.parse("000000020000000000000001", SEG), done.get(0).name());
            assertFalse(spool.partial().isPresent());
        }
    }
}
