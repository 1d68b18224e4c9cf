package io.walvault.archiver.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.walvault.core.compress.Compression;
import io.walvault.core.crypto.PassphraseKdf;
import io.walvault.core.repo.EncryptionMode;
import io.walvault.core.repo.Repository;
import io.walvault.core.repo.WalArchive;
import io.walvault.core.storage.memory.MemoryStorage;
import io.walvault.core.wal.Lsn;
import io.walvault.core.wal.TimelineId;
import io.walvault.core.wal.WalFileName;
import io.walvault.core.wal.WalFormat;
import io.walvault.testkit.WalSegments;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link SegmentShipper}: what goes from the spool into the repository, and what it reports durable. */
class SegmentShipperTest {

    static final long SEG = 1L << 20;
    static final long SYSID = 7_400_000_000_000_000_001L;
    static final String S3 = "000000010000000000000003";
    static final String S4 = "000000010000000000000004";

    @TempDir
    Path dir;

    final WalArchive wal = Repository.create(new MemoryStorage(), new Repository.InitOptions(Compression.LZ4, EncryptionMode.NONE,
            null, null, new PassphraseKdf(8 * 1024, 1, 1, new byte[16]))).cluster(SYSID).wal();
    final List<SegmentShipper.Shipped> shipped = new ArrayList<>();
    Lsn durable = Lsn.INVALID;

    SegmentShipper shipper() {
        return new SegmentShipper(wal, SEG, dir, () -> durable);
    }

    @Test
    void leftoversAreStoredOnlyWhenTheyAreWalTheRepositoryLacks() {
        assertEquals(SegmentShipper.Leftover.STORE, SegmentShipper.leftover(S3, SEG, SEG, () -> false));
        assertEquals(SegmentShipper.Leftover.NOT_A_SEGMENT, SegmentShipper.leftover(S3, SEG - 1, SEG, () -> false));
        assertEquals(SegmentShipper.Leftover.SKIP, SegmentShipper.leftover(S3, 0, SEG, () -> false));
        assertEquals(SegmentShipper.Leftover.STORE, SegmentShipper.leftover(S3 + ".partial", 8192, SEG, () -> false));
        assertEquals(SegmentShipper.Leftover.SKIP, SegmentShipper.leftover(S3 + ".partial", 8192, SEG, () -> true),
                "the repository holds the complete segment");
        assertEquals(SegmentShipper.Leftover.SKIP, SegmentShipper.leftover(S3 + ".partial", 0, SEG, () -> false));
        assertEquals(SegmentShipper.Leftover.SKIP, SegmentShipper.leftover("notes.txt", 10, SEG, () -> false));
        assertEquals(SegmentShipper.Leftover.SKIP, SegmentShipper.leftover("00000001.history", 10, SEG, () -> false));
    }

    @Test
    void aPartialIsStoredOnlyWhenItGrewPastTheRepositoryAndHoldsAPageHeader() {
        Lsn end = Lsn.of(3 * SEG + 40000);
        assertTrue(SegmentShipper.worthShipping(end, 40000, Lsn.of(3 * SEG)));
        assertFalse(SegmentShipper.worthShipping(end, 40000, end), "nothing new since the last upload");
        assertFalse(SegmentShipper.worthShipping(Lsn.of(3 * SEG + 10), 10, Lsn.of(3 * SEG)), "not even a page header");
        assertTrue(SegmentShipper.worthShipping(Lsn.of(3 * SEG + WalFormat.LONG_PAGE_HEADER_SIZE), WalFormat.LONG_PAGE_HEADER_SIZE,
                Lsn.of(3 * SEG)));
    }

    @Test
    void leftoversOfAnEarlierRunAreStoredAndInvalidOnesDropped() throws Exception {
        Files.write(dir.resolve(S3), WalSegments.segment(S3, SEG, SYSID, 1));
        Files.write(dir.resolve(S4 + ".partial"), WalSegments.partial(S4, SEG, SYSID, 2, 40000));
        Files.write(dir.resolve("000000010000000000000005"), WalSegments.segment(S3, SEG, SYSID, 3)); // segment 3's pages
        shipper().shipLeftovers();
        assertTrue(wal.info(WalFileName.parse(S3)).isPresent());
        assertTrue(wal.info(WalFileName.parse(S4 + ".partial")).isPresent());
        assertFalse(wal.info(WalFileName.parse("000000010000000000000005")).isPresent(), "invalid WAL is never stored");
    }

    @Test
    void completedSegmentsAreStoredInOrderAndTheirPartialsRemoved() throws Exception {
        SegmentShipper s = shipper();
        byte[] seg3 = WalSegments.segment(S3, SEG, SYSID, 1);
        byte[] seg4 = WalSegments.segment(S4, SEG, SYSID, 2);
        try (WalSpool spool = new WalSpool(dir, SEG, TimelineId.FIRST, Lsn.of(3 * SEG), s::completed)) {
            spool.write(Lsn.of(3 * SEG), ByteBuffer.wrap(seg3, 0, 40000));
            s.shipPartialIfGrown(spool, shipped::add);
            assertEquals(List.of(new SegmentShipper.Shipped(Lsn.of(3 * SEG + 40000), TimelineId.FIRST, S3 + ".partial", true)),
                    shipped);
            durable = Lsn.of(3 * SEG + 40000);
            s.shipPartialIfGrown(spool, shipped::add);
            assertEquals(1, shipped.size(), "it did not grow");
            spool.write(Lsn.of(3 * SEG + 40000), ByteBuffer.wrap(seg3, 40000, seg3.length - 40000));
            spool.write(Lsn.of(4 * SEG), ByteBuffer.wrap(seg4));
            s.shipCompleted(spool, shipped::add);
        }
        assertEquals(new SegmentShipper.Shipped(Lsn.of(4 * SEG), TimelineId.FIRST, S3, false), shipped.get(1));
        assertEquals(new SegmentShipper.Shipped(Lsn.of(5 * SEG), TimelineId.FIRST, S4, false), shipped.get(2));
        assertTrue(wal.info(WalFileName.parse(S4)).isPresent());
        assertFalse(wal.info(WalFileName.parse(S3 + ".partial")).isPresent(), "superseded by the segment");
        assertFalse(Files.exists(dir.resolve(S3)), "released from the spool");
    }
}
