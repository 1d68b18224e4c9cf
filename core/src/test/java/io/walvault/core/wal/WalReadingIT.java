package io.walvault.core.wal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.walvault.core.pipeline.DiscardSink;
import io.walvault.testkit.PgCluster;
import io.walvault.testkit.PgHarness;
import io.walvault.testkit.PgTest;
import io.walvault.testkit.PgVersion;
import io.walvault.testkit.WalBoundary;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeMap;

/** WAL validation and record decoding against segments a real server wrote. */
class WalReadingIT {

    private static final long SEG = WalSegmentName.DEFAULT_SEGMENT_SIZE;

    private record Commit(long xid, Instant before, Instant after) {
    }

    @PgTest
    void recordsCommitTimesRestorePointsAndHugeRecordsAcrossSegments(PgHarness pg, PgVersion version) throws Exception {
        PgCluster server = pg.cluster().setting("wal_keep_size", "1GB").start();
        long sysid = Long.parseUnsignedLong(server.queryString("SELECT system_identifier FROM pg_control_system()"));
        Lsn start = Lsn.parse(server.queryString("SELECT pg_current_wal_lsn()"));

        List<Commit> commits = new ArrayList<>();
        Lsn restorePoint;
        Lsn afterHuge;
        try (Connection c = server.connect(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE t (id int, v text)");
            for (int i = 0; i < 20; i++) {
                c.setAutoCommit(false);
                Instant before = Instant.now();
                ResultSet rs = s.executeQuery("SELECT txid_current()");
                rs.next();
                long xid = rs.getLong(1) & 0xFFFFFFFFL;
                s.execute("INSERT INTO t SELECT g, md5(g::text) FROM generate_series(1, 200) g");
                c.commit();
                commits.add(new Commit(xid, before, Instant.now()));
                c.setAutoCommit(true);
            }
            // a record far larger than a page and than the reader's head capture, crossing segments
            s.execute("SELECT pg_logical_emit_message(true, 'walvault', repeat('x', 20 * 1024 * 1024))");
            afterHuge = Lsn.parse(server.queryString("SELECT pg_current_wal_lsn()"));
            ResultSet rs = s.executeQuery("SELECT pg_create_restore_point('before the storm')");
            rs.next();
            restorePoint = Lsn.parse(rs.getString(1));
            s.execute("SELECT pg_switch_wal()");
        }
        Lsn end = Lsn.parse(server.queryString("SELECT pg_current_wal_lsn()"));

        Path walDir = server.dataDirectory().resolve("pg_wal");
        WalSegmentName first = WalSegmentName.of(TimelineId.FIRST, start, SEG);
        WalSegmentName last = WalSegmentName.of(TimelineId.FIRST, end.plus(-1), SEG);
        List<WalRecord> records = new ArrayList<>();
        WalRecordReader reader = new WalRecordReader(first.startLsn(), SEG, records::add);
        int segments = 0;
        for (WalSegmentName n = first; n.compareTo(last) <= 0; n = n.next()) {
            byte[] bytes = Files.readAllBytes(walDir.resolve(n.fileName()));
            WalSegmentValidator v = new WalSegmentValidator(WalFileName.parse(n.fileName()), SEG, OptionalLong.of(sysid));
            v.update(bytes, 0, bytes.length);
            WalSegmentValidator.Result r = v.finish();
            assertEquals(version.major(), r.serverMajor());
            assertEquals(sysid, r.systemIdentifier());
            // feed in odd-sized chunks so records and headers straddle feed() calls
            for (int off = 0; off < bytes.length; off += 7919) {
                reader.feed(bytes, off, Math.min(7919, bytes.length - off));
            }
            segments++;
        }
        assertTrue(segments >= 2, "the huge record spans segments: " + segments);

        Map<Long, WalRecord> commitByXid = new HashMap<>();
        for (WalRecord r : records) {
            if (r.isCommit()) {
                commitByXid.put(r.xid(), r);
            }
        }
        for (Commit c : commits) {
            WalRecord r = commitByXid.get(c.xid());
            assertTrue(r != null, "commit of xid " + c.xid() + " found");
            Instant t = r.timestamp().orElseThrow();
            assertFalse(t.isBefore(c.before().minusMillis(5)), t + " before " + c.before());
            assertFalse(t.isAfter(c.after().plusMillis(5)), t + " after " + c.after());
        }
        WalRecord rp = records.stream().filter(WalRecord::isRestorePoint).findFirst().orElseThrow();
        assertEquals("before the storm", rp.restorePointName().orElseThrow());
        // pg_create_restore_point returns where the next record starts: the end of its record, aligned
        assertEquals(restorePoint, Lsn.of(WalFormat.maxAlign(rp.end().value())));
        WalRecord huge = records.stream().filter(r -> r.totalLength() > 20 * 1024 * 1024 && r.end().compareTo(afterHuge) <= 0)
                .findFirst().orElseThrow(() -> new AssertionError("the 20 MiB message record was not decoded"));
        // its main data (xl_logical_message: 24 bytes of header, the prefix, the message) begins inside the part of
        // the record the reader keeps as its head, which reached the reader in earlier feed() calls
        assertEquals(WalRecordReader.MAIN_DATA_CAPTURE, huge.mainData().length);
        assertEquals("walvault", new String(huge.mainData(), 24, 8, java.nio.charset.StandardCharsets.US_ASCII));
        assertEquals('x', huge.mainData()[24 + 9]);
        assertEquals('x', huge.mainData()[WalRecordReader.MAIN_DATA_CAPTURE - 1]);
        assertTrue(records.stream().anyMatch(WalRecord::isSwitch));
        assertTrue(reader.endOfWal().isEmpty() || reader.endOfWal().get().compareTo(end) >= 0,
                "valid WAL runs to the end: " + reader.endOfWal());

        // one flipped bit in a commit record: its CRC fails, reading ends exactly there
        WalRecord victim = commitByXid.get(commits.get(10).xid());
        WalSegmentName victimSeg = WalSegmentName.of(TimelineId.FIRST, victim.lsn(), SEG);
        byte[] seg = Files.readAllBytes(walDir.resolve(victimSeg.fileName()));
        int at = (int) (victim.end().value() - victimSeg.startLsn().value() - 1);
        seg[at] ^= 0x10;
        List<WalRecord> again = new ArrayList<>();
        WalRecordReader corrupt = new WalRecordReader(victimSeg.startLsn(), SEG, again::add);
        corrupt.feed(seg, 0, seg.length);
        assertEquals(victim.lsn(), corrupt.endOfWal().orElseThrow());
        assertTrue(again.stream().noneMatch(r -> r.lsn().equals(victim.lsn())));
        assertFalse(again.isEmpty(), "records before the damage are still read");

        // each record starts where the previous one ended, aligned, after a page header if that is a page's start
        // (a record's end counts the page headers inside it: the 20 MiB record's spans some 2,500 pages)
        for (int i = 1; i < records.size(); i++) {
            WalRecord prev = records.get(i - 1);
            if (prev.isSwitch()) {
                continue;
            }
            long next = WalFormat.maxAlign(prev.end().value());
            if (next % SEG == 0) {
                next += WalFormat.LONG_PAGE_HEADER_SIZE;
            } else if (next % 8192 == 0) {
                next += WalFormat.SHORT_PAGE_HEADER_SIZE;
            }
            assertEquals(Lsn.of(next), records.get(i).lsn(), "the record after the one at " + prev.lsn());
        }
    }

    /**
     * Each segment's index, made from that segment alone as it is archived, says what decoding the
     * whole run of segments says of the records that begin in it (of the one continuing into the
     * next segment, what its bytes there tell: a large commit's time), and flags the segments whose
     * last record continues into the next and may be a stop it cannot tell (a restore point whose
     * name is cut, a commit whose header is), but not one ending inside a large message.
     */
    @PgTest
    void segmentIndexesAgreeWithDecodingTheWholeRun(PgHarness pg) throws Exception {
        PgCluster server = pg.cluster().setting("wal_keep_size", "1GB").setting("max_prepared_transactions", "2").start();
        Lsn start = Lsn.parse(server.queryString("SELECT pg_current_wal_lsn()"));
        try (Connection c = server.connect(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE t (id int, v text)");
            // a prepared transaction's commit names its transaction in its data: its segment may end any id
            s.execute("BEGIN");
            s.execute("INSERT INTO t VALUES (-4, 'prepared')");
            s.execute("PREPARE TRANSACTION 'walvault'");
            s.execute("COMMIT PREPARED 'walvault'");
            s.execute("SELECT pg_switch_wal()");
            for (int i = 0; i < 6; i++) {
                s.execute("INSERT INTO t SELECT g, md5(g::text) FROM generate_series(1, 100) g");
                s.execute("SELECT pg_create_restore_point('point " + i + "')");
                if (i % 2 == 0) {
                    s.execute("SELECT pg_switch_wal()");
                }
            }
            s.execute("SELECT pg_logical_emit_message(true, 'walvault', repeat('x', 20 * 1024 * 1024))");
            WalBoundary.leaveBeforeSegmentEnd(c, SEG, 32, 95);
            s.execute("SELECT pg_create_restore_point('straddling')"); // 98 bytes: its header fits, the rest does not
            c.setAutoCommit(false);
            s.execute("INSERT INTO t VALUES (-1, 'straddling commit')");
            WalBoundary.leaveBeforeSegmentEnd(c, SEG, 8, 23);
            c.commit(); // its 24-byte header does not fit
            s.execute("CREATE TABLE big_commit_straddles (id int, v text)"); // a commit of hundreds of bytes (invalidations)
            WalBoundary.leaveBeforeSegmentEnd(c, SEG, 48, 95);
            c.commit(); // its header and time fit, the rest does not
            c.setAutoCommit(true);
            WalBoundary.leaveBeforeSegmentEnd(c, SEG, 32, 47);
            s.execute("INSERT INTO t VALUES (-3, 'cut inside its block reference')"); // header fits, block reference does not
            s.execute("INSERT INTO t VALUES (-2, 'after')");
            s.execute("SELECT pg_switch_wal()");
        }
        Lsn end = Lsn.parse(server.queryString("SELECT pg_current_wal_lsn()"));
        Path walDir = server.dataDirectory().resolve("pg_wal");
        WalSegmentName first = WalSegmentName.of(TimelineId.FIRST, start, SEG);
        WalSegmentName last = WalSegmentName.of(TimelineId.FIRST, end.plus(-1), SEG);
        List<WalRecord> records = new ArrayList<>();
        WalRecordReader reader = new WalRecordReader(first.startLsn(), SEG, records::add);
        Map<WalSegmentName, SegmentIndex> indexes = new TreeMap<>();
        for (WalSegmentName n = first; n.compareTo(last) <= 0; n = n.next()) {
            byte[] bytes = Files.readAllBytes(walDir.resolve(n.fileName()));
            reader.feed(bytes, 0, bytes.length);
            SegmentIndexStage stage = new SegmentIndexStage(new DiscardSink(),
                    WalFileName.parse(n.fileName()));
            stage.write(bytes, 0, WalFormat.LONG_PAGE_HEADER_SIZE); // as the segment check passes it on
            for (int off = WalFormat.LONG_PAGE_HEADER_SIZE; off < bytes.length; off += 65536) {
                stage.write(bytes, off, Math.min(65536, bytes.length - off));
            }
            stage.finish();
            WalSegmentName name = n;
            indexes.put(n, stage.index().orElseThrow(() -> new AssertionError(name + " has no index")));
        }
        int flagged = 0;
        int knownCrossingCommits = 0;
        int toldByNext = 0;
        boolean endsInsideLargeRecord = false;
        for (Map.Entry<WalSegmentName, SegmentIndex> e : indexes.entrySet()) {
            long from = e.getKey().startLsn().value();
            long to = e.getKey().endLsn().value();
            List<WalRecord> inside = new ArrayList<>(records.stream().filter(r -> r.lsn().value() >= from && r.end().value() <= to).toList());
            Optional<WalRecord> crossing = records.stream()
                    .filter(r -> r.lsn().value() >= from && r.lsn().value() < to && r.end().value() > to).findFirst();
            // what of the record continuing into the next segment lies here: a commit's time, a restore point's name?
            boolean told = false;
            boolean cannotTell = false;
            if (crossing.isPresent()) {
                WalRecord r = crossing.get();
                long here = to - r.lsn().value();
                long mainStart = r.totalLength() - r.mainData().length; // whole main data: these are small records
                told = (r.isCommit() || r.isAbort()) && here >= mainStart + 8;
                cannotTell = here < WalFormat.RECORD_HEADER_SIZE || (r.isCommit() || r.isAbort() || r.isRestorePoint()) && !told;
                if (told) {
                    inside.add(r);
                    knownCrossingCommits++;
                }
            }
            List<WalRecord> ends = inside.stream().filter(r -> r.isCommit() || r.isAbort()).toList();
            SegmentIndex expected = new SegmentIndex(
                    ends.stream().map(r -> r.timestamp().orElseThrow()).max(Instant::compareTo),
                    ends.isEmpty() ? Optional.empty() : Optional.of(ends.stream().anyMatch(WalRecord::isOfPreparedTransaction)
                            ? XidSpan.ANY : new XidSpan(ends.stream().mapToLong(WalRecord::xid).min().orElseThrow(),
                            ends.stream().mapToLong(WalRecord::xid).max().orElseThrow(), false)),
                    inside.stream().filter(WalRecord::isCommit).map(r -> r.timestamp().orElseThrow()).reduce((a, b) -> b),
                    inside.stream().filter(WalRecord::isRestorePoint).map(r -> r.restorePointName().orElseThrow()).toList(),
                    false,
                    cannotTell, e.getValue().serverMajor(), e.getValue().unfinishedHead(), e.getValue().continuationHead());
            assertEquals(expected, e.getValue(), "index of " + e.getKey());
            if (cannotTell) { // the next segment's index completes what this one could not tell
                WalRecord whole = crossing.orElseThrow();
                WalRecord joined = e.getValue().unfinishedRecord(indexes.get(e.getKey().next())).orElseThrow();
                assertEquals(List.of(whole.totalLength(), whole.xid(), whole.rmid(), whole.info(), whole.timestamp(),
                        whole.restorePointName()), List.of(joined.totalLength(), joined.xid(), joined.rmid(), joined.info(),
                        joined.timestamp(), joined.restorePointName()), "the record " + e.getKey() + " ends inside");
                toldByNext++;
            }
            flagged += e.getValue().endsInPossibleStop() ? 1 : 0;
            endsInsideLargeRecord |= crossing.filter(r -> r.totalLength() > SEG).isPresent();
        }
        assertEquals(2, flagged, "the straddling restore point and the commit whose header is cut: " + indexes);
        assertEquals(1, indexes.values().stream().filter(i -> i.transactionEndXids().equals(Optional.of(XidSpan.ANY))).count(),
                "the prepared transaction's segment: " + indexes);
        assertTrue(indexes.values().stream().filter(i -> i.transactionEndXids().isPresent() && !i.transactionEndXids().get().any())
                .count() >= 3, indexes.toString());
        assertEquals(1, knownCrossingCommits, "the large commit whose time lies before the boundary");
        assertEquals(flagged, toldByNext, "each flagged record told by the next segment's index");
        assertTrue(endsInsideLargeRecord, "a segment ends inside the 20 MiB message, and is not flagged for it");
        assertTrue(indexes.values().stream().filter(i -> i.restorePoints().contains("straddling")).findAny().isEmpty(),
                "the straddling restore point is in no segment's list");
    }

    @PgTest(min = 18)
    void aSegmentUnderAnotherNameOrClusterIsRefused(PgHarness pg) throws Exception {
        PgCluster server = pg.cluster().start();
        long sysid = Long.parseUnsignedLong(server.queryString("SELECT system_identifier FROM pg_control_system()"));
        server.execute("SELECT pg_switch_wal()");
        String name = server.queryString("SELECT pg_walfile_name(pg_current_wal_lsn())");
        WalSegmentName current = WalSegmentName.parse(name, SEG);
        WalSegmentName previous = current.previous();
        byte[] bytes = Files.readAllBytes(server.dataDirectory().resolve("pg_wal").resolve(previous.fileName()));

        InvalidWalException renamed = assertThrows(InvalidWalException.class, () -> validate(current.fileName(), bytes, sysid));
        assertTrue(renamed.getMessage().contains("the file holds another segment"), renamed.getMessage());
        InvalidWalException foreign = assertThrows(InvalidWalException.class, () -> validate(previous.fileName(), bytes, sysid + 1));
        assertTrue(foreign.getMessage().contains("system identifier"), foreign.getMessage());
        // a switched segment is valid, and its valid part ends where the zeroed pages begin
        WalSegmentValidator whole = new WalSegmentValidator(WalFileName.parse(previous.fileName()), SEG, OptionalLong.of(sysid));
        whole.update(bytes, 0, bytes.length);
        long valid = whole.finish().validBytes();
        assertTrue(valid > 0 && valid < SEG, "valid prefix " + valid);
        byte[] garbage = bytes.clone();
        garbage[(int) (SEG - 8192)] = 1;
        InvalidWalException afterZeros = assertThrows(InvalidWalException.class, () -> validate(previous.fileName(), garbage, sysid));
        assertTrue(afterZeros.getMessage().contains("after zeroed pages"), afterZeros.getMessage());

        byte[] truncated = java.util.Arrays.copyOf(bytes, (int) (valid / 2 / 8192 * 8192));
        InvalidWalException shortFile = assertThrows(InvalidWalException.class, () -> validate(previous.fileName(), truncated, sysid));
        assertTrue(shortFile.getMessage().contains("bytes long"), shortFile.getMessage());
        // the same bytes as a .partial: valid, with its valid length
        WalSegmentValidator p = new WalSegmentValidator(WalFileName.parse(previous.fileName() + ".partial"), SEG, OptionalLong.of(sysid));
        p.update(truncated, 0, truncated.length);
        assertEquals(truncated.length, p.finish().validBytes());
    }

    private static void validate(String name, byte[] bytes, long sysid) {
        WalSegmentValidator v = new WalSegmentValidator(WalFileName.parse(name), SEG, OptionalLong.of(sysid));
        v.update(bytes, 0, bytes.length);
        v.finish();
    }
}
