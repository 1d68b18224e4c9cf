package io.walvault.restore.get;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.walvault.core.hook.HookSpool;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How many segments may go into the spool: its bound, the file system's reserve, and what a restore still writes. */
class SpoolFetchRoomTest {

    private static final long SEGMENT = 16L << 20;

    @Test
    void whatARestoreStillWritesIsLeftFree(@TempDir Path dir) throws Exception {
        HookSpool spool = new HookSpool(dir.resolve("pg_wal"));
        Files.createDirectories(spool.dir(HookSpool.Role.GET));
        Files.write(spool.dir(HookSpool.Role.GET).resolve("000000010000000000000001"), new byte[1000]);
        FileStore fs = Files.getFileStore(dir);
        long free = fs.getUsableSpace() - Math.min(1L << 30, fs.getTotalSpace() / 10) - 4 * SEGMENT;
        assumeTrue(free > 8 * SEGMENT, "the test's file system has room for a few segments");

        assertEquals(3, SpoolFetch.room(spool, SEGMENT, 3 * SEGMENT + 1000), "the spool's bound counts what it holds");
        int byDisk = SpoolFetch.room(spool, SEGMENT, Long.MAX_VALUE / 2);
        assertTrue(Math.abs(byDisk - free / SEGMENT) <= 1, byDisk + " segments, for " + free + " bytes free");
        int left = SpoolFetch.room(spool, SEGMENT, Long.MAX_VALUE / 2, free - 2 * SEGMENT - SEGMENT / 2);
        assertTrue(left >= 1 && left <= 3, left + " segments beside what the restore still writes");
        assertEquals(0, SpoolFetch.room(spool, SEGMENT, Long.MAX_VALUE / 2, free), "nothing when the restore needs the rest");
        assertEquals(0, SpoolFetch.room(spool, SEGMENT, Long.MAX_VALUE / 2, Long.MAX_VALUE / 4), "never negative");
    }
}
