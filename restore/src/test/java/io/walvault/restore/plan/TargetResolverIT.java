package io.walvault.restore.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.walvault.core.error.CorruptDataException;
import io.walvault.core.error.ErrorCode;
import io.walvault.core.pipeline.Pipelines;
import io.walvault.core.repo.BackupInfo;
import io.walvault.core.wal.Lsn;
import io.walvault.core.wal.TimelineId;
import io.walvault.core.wal.WalFileName;
import io.walvault.core.wal.WalSegmentName;
import io.walvault.restore.recovery.RecoveryTarget;
import io.walvault.testkit.PgCluster;
import io.walvault.testkit.PgHarness;
import io.walvault.testkit.PgTest;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/** Targets are found in WAL a real server wrote, with PostgreSQL's stop rules. */
class TargetResolverIT {

    private static final long SEG = WalSegmentName.DEFAULT_SEGMENT_SIZE;

    @PgTest
    void timeXidAndNameTargetsResolveToTheRecordsRecoveryStopsAt(PgHarness pg) throws Exception {
        PgCluster server = pg.cluster().setting("wal_keep_size", "1GB").start();
        Lsn start = Lsn.parse(server.queryString("SELECT pg_current_wal_lsn()"));
        Instant backupEnd = Instant.now();
        List<long[]> xids = new ArrayList<>();
        List<Instant> afterEach = new ArrayList<>();
        try (Connection c = server.connect(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE t (id int)");
            for (int i = 0; i < 6; i++) {
                c.setAutoCommit(false);
                ResultSet rs = s.executeQuery("SELECT txid_current()");
                rs.next();
                xids.add(new long[] {rs.getLong(1)});
                s.execute("INSERT INTO t VALUES (" + i + ")");
                c.commit();
                c.setAutoCommit(true);
                Thread.sleep(30);
                afterEach.add(Instant.now());
                Thread.sleep(30);
            }
            s.execute("SELECT pg_create_restore_point('after six')");
            s.execute("SELECT pg_switch_wal()");
        }
        Lsn end = Lsn.parse(server.queryString("SELECT pg_current_wal_lsn()"));
        Path walDir = server.dataDirectory().resolve("pg_wal");
        WalArchiveListing listing = new WalArchiveListing(SEG);
        for (long s = start.segmentNumber(SEG); s <= end.plus(-1).segmentNumber(SEG); s++) {
            WalSegmentName n = new WalSegmentName(TimelineId.FIRST, s, SEG);
            listing.add(WalFileName.parse(n.fileName()), Files.size(walDir.resolve(n.fileName())));
        }
        BackupInfo backup = backup("20260101T000000Z-b1", start, start.plus(8), backupEnd);
        WalSource source = (f, out) -> {
            try (InputStream in = Files.newInputStream(walDir.resolve(f.segment()))) {
                Pipelines.copy(in, out);
            }
            out.finish();
        };
        RestorePlan toEnd = RestorePlanner.plan(List.of(backup), listing, RestorePlanner.Request.of(new RecoveryTarget.EndOfArchive()));

        // a time between the 3rd and 4th commit: recovery stops before the 4th commit
        RecoveryTarget.Time t = new RecoveryTarget.Time(afterEach.get(2));
        TargetResolver.Resolution byTime = TargetResolver.resolve(toEnd, source, t, true);
        // a copy whose check fails once its bytes were decoded (the stop record among them): no resolution from it
        WalSource damaged = (f, out) -> {
            source.read(f, out);
            throw new CorruptDataException("WAL file '" + f + "' failed its check");
        };
        CorruptDataException refused = assertThrows(CorruptDataException.class, () -> TargetResolver.resolve(toEnd, damaged, t, true));
        assertTrue(refused.getMessage().contains("failed its check"), refused.getMessage());
        assertTrue(byTime.stopsBefore());
        // stopping before the commit, recovery replays up to the end of the record before it
        assertTrue(byTime.replayedUntil().compareTo(byTime.stopRecord()) <= 0
                && byTime.stopRecord().value() - byTime.replayedUntil().value() < 8 + 40, byTime.toString());
        RecoveryTarget.Xid fourth = new RecoveryTarget.Xid(xids.get(3)[0]);
        TargetResolver.Resolution byXid = TargetResolver.resolve(toEnd, source, fourth, true);
        assertEquals(byTime.stopRecord(), byXid.stopRecord(), "the 4th commit is where both stop");
        assertFalse(byXid.stopsBefore(), "inclusive xid: after the commit");
        assertEquals(byXid.walNeededUntil(), byXid.replayedUntil(), "inclusive: the stop record is replayed");
        assertTrue(TargetResolver.resolve(toEnd, source, fourth, false).stopsBefore(), "exclusive xid: before the commit");
        assertTrue(byTime.lastCommitTime().orElseThrow().isBefore(afterEach.get(2)));

        TargetResolver.Resolution byName = TargetResolver.resolve(toEnd, source, new RecoveryTarget.Name("after six"), true);
        assertTrue(byName.stopRecord().isAfter(byXid.stopRecord()));

        // the planner, told where the target lies, needs WAL only up to it
        RestorePlan bounded = RestorePlanner.plan(List.of(backup), listing, new RestorePlanner.Request(t,
                io.walvault.restore.recovery.TargetTimeline.latest(), java.util.Optional.empty(),
                java.util.Optional.of(byTime.walNeededUntil())));
        assertEquals(WalSegmentName.of(TimelineId.FIRST, byTime.walNeededUntil().plus(-1), SEG).fileName(),
                bounded.lastWal().orElseThrow().name());

        RestorePlanException future = assertThrows(RestorePlanException.class, () -> TargetResolver.resolve(toEnd, source,
                new RecoveryTarget.Time(Instant.now().plusSeconds(3600)), true));
        assertEquals(ErrorCode.TARGET_UNREACHABLE, future.code());
        assertTrue(future.getMessage().contains("newest archived commit is at"), future.getMessage());
        RestorePlanException noSuchName = assertThrows(RestorePlanException.class, () -> TargetResolver.resolve(toEnd, source,
                new RecoveryTarget.Name("never made"), true));
        assertEquals(ErrorCode.TARGET_UNREACHABLE, noSuchName.code());

        // a backup whose consistent point lies after the target cannot reach it
        BackupInfo late = backup("20260101T000000Z-late", start, byXid.walNeededUntil().plus(16), backupEnd);
        RestorePlan fromLate = RestorePlanner.plan(List.of(late), listing, RestorePlanner.Request.of(new RecoveryTarget.EndOfArchive()));
        RestorePlanException early = assertThrows(RestorePlanException.class, () -> TargetResolver.resolve(fromLate, source, fourth, true));
        assertTrue(early.getMessage().contains("before the consistent point"), early.getMessage());
    }

    private static BackupInfo backup(String id, Lsn start, Lsn end, Instant ended) {
        return new BackupInfo(id, 42, 180000, "18.0", "test", TimelineId.FIRST, start, TimelineId.FIRST, end, ended.minusSeconds(1),
                ended, java.util.OptionalLong.empty(), java.util.Optional.empty(), java.util.Optional.empty(), 0, 0, 1, 0, false);
    }
}
