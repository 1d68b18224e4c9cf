package io.walvault.restore.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.walvault.core.error.CorruptDataException;
import io.walvault.core.error.ErrorCode;
import io.walvault.core.pipeline.DiscardSink;
import io.walvault.core.pipeline.Pipelines;
import io.walvault.core.pipeline.Sink;
import io.walvault.core.repo.BackupInfo;
import io.walvault.core.wal.Lsn;
import io.walvault.core.wal.SegmentIndex;
import io.walvault.core.wal.SegmentIndexStage;
import io.walvault.core.wal.TimelineId;
import io.walvault.core.wal.WalFileName;
import io.walvault.core.wal.WalRecord;
import io.walvault.core.wal.WalRecordReader;
import io.walvault.core.wal.WalSegmentName;
import io.walvault.restore.recovery.RecoveryTarget;
import io.walvault.testkit.PgCluster;
import io.walvault.testkit.PgHarness;
import io.walvault.testkit.PgTest;
import io.walvault.testkit.WalBoundary;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;

/** Targets are found in WAL a real server wrote, with PostgreSQL's stop rules. */
class TargetResolverIT {

    private static final long SEG = WalSegmentName.DEFAULT_SEGMENT_SIZE;
    private static final long MB = 1 << 20;

    @PgTest
    void timeXidAndNameTargetsResolveToTheRecordsRecoveryStopsAt(PgHarness pg) throws Exception {
        PgCluster server = pg.cluster().setting("wal_keep_size", "1GB").setting("max_prepared_transactions", "2").start();
        Lsn start = Lsn.parse(server.queryString("SELECT pg_current_wal_lsn()"));
        Instant backupEnd = Instant.now();
        List<long[]> xids = new ArrayList<>();
        List<Instant> afterEach = new ArrayList<>();
        long[] prepared = new long[2];
        Lsn[] aroundPreparedEnds = new Lsn[4];
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
            // prepared transactions with subtransactions that drop a table (its files, its statistics, invalidations
            // in the commit record before the transaction's id): COMMIT and ROLLBACK PREPARED run in sessions without a
            // transaction id of their own, and recovery_target_xid names the prepared one, which their data carries
            s.execute("CREATE TABLE dropped_in_prepared (id int)");
            s.execute("CREATE TABLE dropped_in_rolled_back (id int)");
            s.execute("INSERT INTO dropped_in_prepared SELECT generate_series(1, 100)");
            for (int i = 0; i < 2; i++) {
                s.execute("BEGIN");
                ResultSet rs = s.executeQuery("SELECT txid_current()");
                rs.next();
                prepared[i] = rs.getLong(1);
                s.execute("SAVEPOINT a");
                s.execute("INSERT INTO t VALUES (" + (100 + i) + ")");
                s.execute("SAVEPOINT b");
                s.execute("DROP TABLE " + (i == 0 ? "dropped_in_prepared" : "dropped_in_rolled_back"));
                s.execute("PREPARE TRANSACTION 'walvault-" + i + "'");
                aroundPreparedEnds[2 * i] = Lsn.parse(server.queryString("SELECT pg_current_wal_insert_lsn()"));
                s.execute((i == 0 ? "COMMIT" : "ROLLBACK") + " PREPARED 'walvault-" + i + "'");
                aroundPreparedEnds[2 * i + 1] = Lsn.parse(server.queryString("SELECT pg_current_wal_insert_lsn()"));
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

        for (int i = 0; i < 2; i++) {
            TargetResolver.Resolution byPrepared = TargetResolver.resolve(toEnd, source, new RecoveryTarget.Xid(prepared[i]), true);
            assertTrue(byPrepared.stopRecord().compareTo(aroundPreparedEnds[2 * i]) >= 0
                    && byPrepared.stopRecord().compareTo(aroundPreparedEnds[2 * i + 1]) < 0,
                    (i == 0 ? "COMMIT" : "ROLLBACK") + " PREPARED between " + aroundPreparedEnds[2 * i] + " and "
                            + aroundPreparedEnds[2 * i + 1] + ": " + byPrepared);
            assertFalse(byPrepared.stopsBefore());
        }

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

    /**
     * With the segments' indexes the resolver reads only the segments around the stop, and finds
     * exactly what decoding every segment finds: at, just before and just after every commit's
     * time, inclusive or not, for every restore point, for commits and a restore point that begin
     * in one segment and end in the next (one whose time the index could tell), for every
     * transaction id that ends, with some indexes missing, and for targets not there.
     */
    @PgTest
    void indexesFindTheSameStopReadingAFewSegments(PgHarness pg) throws Exception {
        PgCluster server = pg.cluster().initdbOption("--wal-segsize=1").setting("wal_keep_size", "1GB").start();
        Lsn start = Lsn.parse(server.queryString("SELECT pg_current_wal_lsn()"));
        try (Connection c = server.connect(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE t (id int)");
            for (int i = 0; i < 8; i++) {
                s.execute("INSERT INTO t VALUES (" + i + ")");
                s.execute("SELECT pg_create_restore_point('point " + i + "')");
                if (i % 2 == 1) { // a segment with no commit follows: the indexes skip it
                    s.execute("SELECT pg_logical_emit_message(false, 'walvault', repeat('x', 1200000))");
                }
                s.execute("SELECT pg_switch_wal()");
            }
            WalBoundary.leaveBeforeSegmentEnd(c, MB, 32, 95);
            s.execute("SELECT pg_create_restore_point('straddling')");
            c.setAutoCommit(false);
            s.execute("INSERT INTO t VALUES (100)");
            WalBoundary.leaveBeforeSegmentEnd(c, MB, 8, 23);
            c.commit();
            s.execute("CREATE TABLE big_commit_straddles (id int)"); // its commit's header and time fit, the rest does not
            WalBoundary.leaveBeforeSegmentEnd(c, MB, 48, 95);
            c.commit();
            c.setAutoCommit(true);
            for (int i = 0; i < 8; i++) {
                s.execute("INSERT INTO t VALUES (" + (200 + i) + ")");
                s.execute("SELECT pg_switch_wal()");
            }
            s.execute("SELECT pg_create_restore_point('last')");
            s.execute("SELECT pg_switch_wal()");
        }
        Lsn end = Lsn.parse(server.queryString("SELECT pg_current_wal_lsn()"));
        Path walDir = server.dataDirectory().resolve("pg_wal");
        WalArchiveListing listing = new WalArchiveListing(MB);
        Map<String, SegmentIndex> indexes = new HashMap<>();
        List<WalRecord> records = new ArrayList<>();
        WalRecordReader all = new WalRecordReader(start.segmentStart(MB), MB, records::add);
        for (long n = start.segmentNumber(MB); n <= end.plus(-1).segmentNumber(MB); n++) {
            String name = new WalSegmentName(TimelineId.FIRST, n, MB).fileName();
            byte[] bytes = Files.readAllBytes(walDir.resolve(name));
            listing.add(WalFileName.parse(name), bytes.length);
            all.feed(bytes, 0, bytes.length);
            SegmentIndexStage stage = new SegmentIndexStage(new DiscardSink(), WalFileName.parse(name));
            stage.write(bytes, 0, bytes.length);
            stage.finish();
            indexes.put(name, stage.index().orElseThrow());
        }
        assertEquals(2, indexes.values().stream().filter(SegmentIndex::endsInPossibleStop).count(),
                "a restore point and a commit continue into the next segment");
        BackupInfo backup = backup("20260101T000000Z-b1", start, start.plus(8), Instant.now());
        RestorePlan toEnd = RestorePlanner.plan(List.of(backup), listing, RestorePlanner.Request.of(new RecoveryTarget.EndOfArchive()));
        List<String> read = new ArrayList<>();
        WalSource plain = (f, out) -> {
            read.add(f.name());
            try (InputStream in = Files.newInputStream(walDir.resolve(f.segment()))) {
                Pipelines.copy(in, out);
            }
            out.finish();
        };
        Set<String> unindexed = new HashSet<>();
        WalSource indexed = new WalSource() {
            @Override
            public void read(WalFileName file, Sink out) throws IOException {
                plain.read(file, out);
            }

            @Override
            public Optional<SegmentIndex> index(WalFileName file) {
                return unindexed.contains(file.name()) ? Optional.empty() : Optional.ofNullable(indexes.get(file.name()));
            }
        };
        List<RecoveryTarget> targets = new ArrayList<>();
        for (WalRecord r : records) {
            if (r.isCommit()) {
                Instant t = r.timestamp().orElseThrow();
                targets.add(new RecoveryTarget.Time(t));
                targets.add(new RecoveryTarget.Time(t.minusNanos(1000)));
                targets.add(new RecoveryTarget.Time(t.plusNanos(1000)));
            } else if (r.isRestorePoint()) {
                targets.add(new RecoveryTarget.Name(r.restorePointName().orElseThrow()));
            }
            if ((r.isCommit() || r.isAbort()) && r.xid() >= 3) {
                targets.add(new RecoveryTarget.Xid(r.xid()));
            }
        }
        targets.add(new RecoveryTarget.Time(Instant.now().plusSeconds(3600)));
        targets.add(new RecoveryTarget.Name("never made"));
        targets.add(new RecoveryTarget.Xid(records.stream().mapToLong(WalRecord::xid).max().orElseThrow() + 1000));
        int segments = toEnd.wal().size();
        Map<String, Object> expectedOutcomes = new HashMap<>();
        int readByIndexed = 0;
        for (Set<String> missing : List.of(Set.<String>of(), Set.of(toEnd.wal().get(segments / 2).file().name()))) {
            unindexed.clear();
            unindexed.addAll(missing);
            for (RecoveryTarget target : targets) {
                for (boolean inclusive : new boolean[] {true, false}) {
                    Object expected = expectedOutcomes.computeIfAbsent(target.describe() + inclusive, k -> {
                        read.clear();
                        return List.of(outcome(() -> TargetResolver.resolve(toEnd, plain, target, inclusive)), read.size());
                    });
                    int readByPlain = (Integer) ((List<?>) expected).get(1);
                    read.clear();
                    Object got = outcome(() -> TargetResolver.resolve(toEnd, indexed, target, inclusive));
                    if (got instanceof TargetResolver.Resolution r && r.stopsBefore()) { // as decoding every record says
                        int at = records.stream().map(WalRecord::lsn).toList().indexOf(r.stopRecord());
                        assertEquals(records.get(at - 1).end(), r.replayedUntil(), "the end of the record before the stop");
                    }
                    assertEquals(((List<?>) expected).get(0), got, target.describe() + (inclusive ? "" : ", exclusive") + ", unindexed " + missing);
                    assertTrue(read.size() <= readByPlain, read + " read for " + target.describe());
                    readByIndexed += read.size();
                }
            }
        }
        // a target in the last segments, after the two that end inside a record their own bytes cannot tell (the next
        // segment's index tells it): the indexed resolver reads only the stop's segment
        read.clear();
        unindexed.clear();
        TargetResolver.resolve(toEnd, indexed, new RecoveryTarget.Name("last"), true);
        assertEquals(1, read.size(), "read " + read);
        // and so does a transaction id there: the last insert's
        long lastInsert = records.stream().filter(WalRecord::isCommit).reduce((a, b) -> b).orElseThrow().xid();
        read.clear();
        TargetResolver.resolve(toEnd, indexed, new RecoveryTarget.Xid(lastInsert), true);
        assertTrue(read.size() <= 2, "read " + read);
        assertTrue(segments >= 12, segments + " segments");
        assertTrue(readByIndexed < targets.size() * 2 * 2 * segments / 3, readByIndexed + " segments read in all");
    }

    /** A resolution, or the refusal's code and message. */
    private static Object outcome(Supplier<TargetResolver.Resolution> resolve) {
        try {
            return resolve.get();
        } catch (RestorePlanException e) {
            return e.code() + ": " + e.getMessage();
        }
    }

    private static BackupInfo backup(String id, Lsn start, Lsn end, Instant ended) {
        return new BackupInfo(id, 42, 180000, "18.0", "test", TimelineId.FIRST, start, TimelineId.FIRST, end, ended.minusSeconds(1),
                ended, java.util.OptionalLong.empty(), java.util.Optional.empty(), java.util.Optional.empty(), 0, 0, 1, 0, false);
    }
}
