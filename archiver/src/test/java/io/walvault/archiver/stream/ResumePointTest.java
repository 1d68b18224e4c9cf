package io.walvault.archiver.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.walvault.core.wal.Lsn;
import io.walvault.core.wal.TimelineHistory;
import io.walvault.core.wal.TimelineId;
import io.walvault.core.wal.WalFileName;
import java.util.Arrays;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ResumePointTest {

    static final long SEG = 16L * 1024 * 1024;
    static final TimelineId T1 = TimelineId.of(1);
    static final TimelineId T2 = TimelineId.of(2);

    static Optional<ResumePoint> end(TimelineHistory h, String... names) {
        return ResumePoint.endOfArchive(Arrays.stream(names).map(WalFileName::parse).iterator(), h, SEG);
    }

    @Test
    void emptyArchiveHasNoEnd() {
        assertTrue(end(TimelineHistory.first()).isEmpty());
        assertTrue(end(TimelineHistory.first(), "00000001.history").isEmpty());
    }

    @Test
    void afterTheNewestSegmentOrAtTheStartOfTheNewestPartial() {
        assertEquals(new ResumePoint(Lsn.parse("0/4000000"), T1), end(TimelineHistory.first(),
                "000000010000000000000002", "000000010000000000000003").orElseThrow());
        assertEquals(new ResumePoint(Lsn.parse("0/4000000"), T1), end(TimelineHistory.first(),
                "000000010000000000000003", "000000010000000000000004.partial").orElseThrow());
        assertEquals(new ResumePoint(Lsn.parse("1/0"), T1), end(TimelineHistory.first(),
                "0000000100000000000000FF").orElseThrow());
    }

    @Test
    void ancestorSegmentsCountOnlyUpToTheirSwitchPoint() {
        // timeline 1 ended at 0/3800000 (inside segment 3): segment 3 of timeline 1 belongs to the abandoned branch
        TimelineHistory h2 = TimelineHistory.parse(T2, "1\t0/3800000\tno recovery target specified\n");
        assertEquals(new ResumePoint(Lsn.parse("0/3000000"), T1), end(h2,
                "000000010000000000000002", "000000010000000000000003", "000000010000000000000004").orElseThrow());
        // the old timeline's last partial: streaming resumes on timeline 1 at that segment, which ends in the switch
        assertEquals(new ResumePoint(Lsn.parse("0/3000000"), T1), end(h2,
                "000000010000000000000002", "000000010000000000000003.partial").orElseThrow());
        // the new timeline's segments win
        assertEquals(new ResumePoint(Lsn.parse("0/5000000"), T2), end(h2,
                "000000010000000000000002", "000000010000000000000003.partial", "000000020000000000000003",
                "000000020000000000000004").orElseThrow());
    }

    @Test
    void timelinesOutsideTheHistoryDoNotCount() {
        TimelineHistory h2 = TimelineHistory.parse(T2, "1\t0/3800000\tno recovery target specified\n");
        assertEquals(new ResumePoint(Lsn.parse("0/3000000"), T1), end(h2,
                "000000010000000000000002", "000000030000000000000009").orElseThrow());
    }

    @Test
    void whatAnEarlierSessionRememberedIsUsedWhileItLiesOnTheHistory() {
        ResumePoint r = new ResumePoint(Lsn.parse("0/5000000"), T1);
        assertEquals(Optional.empty(), ResumePoint.remembered(null, TimelineHistory.first(), SEG), "the first session lists");
        assertEquals(Optional.of(r), ResumePoint.remembered(r, TimelineHistory.first(), SEG));
        // the server was promoted at 0/5800000: up to the switch point's segment the position belongs to timeline 1
        TimelineHistory h2 = TimelineHistory.parse(T2, "1\t0/5800000\tno recovery target specified\n");
        assertEquals(Optional.of(r), ResumePoint.remembered(r, h2, SEG));
        // past the switch point's segment start: the archive is listed again
        assertEquals(Optional.empty(), ResumePoint.remembered(new ResumePoint(Lsn.parse("0/6000000"), T1), h2, SEG));
        // on timeline 2 already, which timeline 1 ended into: still usable, and its timeline is the history's
        assertEquals(Optional.of(new ResumePoint(Lsn.parse("0/6000000"), T2)),
                ResumePoint.remembered(new ResumePoint(Lsn.parse("0/6000000"), T2), h2, SEG));
        // a timeline the server's history does not hold (another branch)
        assertEquals(Optional.empty(), ResumePoint.remembered(new ResumePoint(Lsn.parse("0/6000000"), TimelineId.of(3)), h2, SEG));
    }

    @Test
    void aSessionStartsPastAnAcceptedGapThenFromMemoryThenFromTheArchiveThenFromTheServer() {
        ResumePoint server = new ResumePoint(Lsn.parse("0/9000000"), T1);
        ResumePoint remembered = new ResumePoint(Lsn.parse("0/5000000"), T1);
        java.util.concurrent.atomic.AtomicInteger listings = new java.util.concurrent.atomic.AtomicInteger();
        java.util.function.Supplier<java.util.stream.Stream<WalFileName>> archive = () -> {
            listings.incrementAndGet();
            return java.util.stream.Stream.of(WalFileName.parse("000000010000000000000002"));
        };
        TimelineHistory h = TimelineHistory.first();
        assertEquals(server, ResumePoint.choose(Optional.of(server), remembered, h, archive, server, SEG));
        assertEquals(remembered, ResumePoint.choose(Optional.empty(), remembered, h, archive, server, SEG));
        assertEquals(0, listings.get(), "neither lists the archive");
        assertEquals(new ResumePoint(Lsn.parse("0/3000000"), T1), ResumePoint.choose(Optional.empty(), null, h, archive, server, SEG));
        assertEquals(1, listings.get());
        assertEquals(server, ResumePoint.choose(Optional.empty(), null, h, java.util.stream.Stream::empty, server, SEG));
    }

    @Test
    void theServerServesFromTheSlotsRestartPositionOrOn14FromItsFlushPosition() {
        io.walvault.core.replication.SystemIdentity id = new io.walvault.core.replication.SystemIdentity("1", T2,
                Lsn.parse("0/9123456"));
        Optional<io.walvault.core.replication.SlotInfo> slot = Optional.of(new io.walvault.core.replication.SlotInfo("wv",
                Optional.of(Lsn.parse("0/7654321")), Optional.of(T1)));
        assertEquals(new ResumePoint(Lsn.parse("0/7000000"), T1), ResumePoint.atServer(slot, id, SEG));
        assertEquals(new ResumePoint(Lsn.parse("0/9000000"), T2), ResumePoint.atServer(Optional.empty(), id, SEG));
    }
}
