package io.walvault.core.replication;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.walvault.core.replication.conn.ConnectionSettings;
import io.walvault.core.wal.Lsn;
import io.walvault.core.wal.TimelineId;
import io.walvault.core.wal.WalSegmentName;
import io.walvault.testkit.PgCluster;
import io.walvault.testkit.PgHarness;
import io.walvault.testkit.PgTest;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/** START_REPLICATION against real servers: byte-identical WAL, flush reporting, timeline switches. */
class WalStreamIT {

    /** Writes streamed WAL into segment files named for their timeline, splitting at segment ends. */
    static final class SegmentWriter {
        final Path dir;
        final long segSize;

        SegmentWriter(Path dir, long segSize) {
            this.dir = dir;
            this.segSize = segSize;
        }

        void write(TimelineId tli, WalEvent.WalData d) throws IOException {
            for (WalEvent.WalData piece : d.bySegment(segSize)) {
                Path file = dir.resolve(WalSegmentName.of(tli, piece.start(), segSize).fileName());
                try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
                    f.getChannel().write(piece.data().duplicate(), piece.start().segmentOffset(segSize));
                }
            }
        }

        Path file(WalSegmentName name) {
            return dir.resolve(name.fileName());
        }
    }

    /** Reads until {@code target} is received, or another event ends the stream; returns that event or null. */
    static WalEvent receiveUntil(WalStream s, SegmentWriter w, TimelineId tli, Lsn target) throws IOException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (s.receivedPosition().isBefore(target)) {
            if (System.nanoTime() > deadline) {
                fail("WAL up to " + target + " not received in time; at " + s.receivedPosition());
            }
            WalEvent e = s.read(Duration.ofMillis(500));
            if (e instanceof WalEvent.WalData d) {
                w.write(tli, d);
                s.reportWritten(d.end());
            } else if (e != null) {
                return e;
            }
        }
        return null;
    }

    static void awaitEquals(String expected, java.util.function.Supplier<String> actual) {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        String last = null;
        while (System.nanoTime() < deadline) {
            last = actual.get();
            if (expected.equals(last)) {
                return;
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        }
        assertEquals(expected, last);
    }

    @PgTest
    void streamedWalIsByteIdenticalAndTheSlotMovesOnlyWithReportedFlush(PgHarness harness) throws Exception {
        PgCluster pg = harness.cluster().start();
        pg.execute("CREATE ROLE wv_stream LOGIN REPLICATION PASSWORD 'stream pw'");
        Path out = harness.scratchDirectory("wal");
        ConnectionSettings s = ReplicationConnectionIT.settings(pg, "user=wv_stream password='stream pw' sslmode=disable");
        try (ReplicationConnection c = ReplicationConnection.open(s)) {
            long segSize = c.walSegmentSize();
            SegmentWriter w = new SegmentWriter(out, segSize);
            c.createPhysicalSlot("wv_stream_slot", false);
            SystemIdentity id = c.identifySystem();
            Lsn start = id.flushPosition().segmentStart(segSize);
            Lsn restartBefore = Lsn.parse(pg.queryString("SELECT restart_lsn FROM pg_replication_slots"));

            try (WalStream stream = c.startReplication(StartReplicationOptions.of("wv_stream_slot", start, id.timeline())
                    .statusInterval(Duration.ofMillis(200)))) {
                pg.execute("CREATE TABLE w (id int, v text)",
                        "INSERT INTO w SELECT g, md5(g::text) FROM generate_series(1, 100000) g");
                Lsn switchEnd = Lsn.parse(pg.queryString("SELECT pg_switch_wal()"));
                WalSegmentName last = WalSegmentName.of(id.timeline(), switchEnd.plus(-1), segSize);
                assertEquals(null, receiveUntil(stream, w, id.timeline(), last.endLsn()));

                // nothing was reported flushed: the slot still holds everything
                assertEquals(restartBefore.toString(), pg.queryString("SELECT restart_lsn FROM pg_replication_slots"));

                int segments = 0;
                for (WalSegmentName seg = WalSegmentName.of(id.timeline(), start, segSize); seg.compareTo(last) <= 0; seg = seg.next()) {
                    byte[] ours = Files.readAllBytes(w.file(seg));
                    byte[] theirs = Files.readAllBytes(pg.dataDirectory().resolve("pg_wal").resolve(seg.fileName()));
                    assertEquals(segSize, ours.length);
                    assertArrayEquals(theirs, ours, "segment " + seg);
                    segments++;
                }
                assertTrue(segments >= 2, "the test spans several segments: " + segments);

                // the caller says what is durable; the server moves the slot exactly there
                Lsn durable = last.startLsn();
                stream.reportFlushed(durable);
                stream.sendStatus();
                awaitEquals(durable.toString(), () -> pg.queryString("SELECT restart_lsn FROM pg_replication_slots"));
                awaitEquals(durable.toString(), () -> pg.queryString("SELECT flush_lsn FROM pg_stat_replication"));
                assertThrows(IllegalArgumentException.class, () -> stream.reportFlushed(Lsn.of(durable.value() - 1)),
                        "flush never goes backwards");
                assertThrows(IllegalArgumentException.class, () -> stream.reportFlushed(stream.receivedPosition().plus(1)),
                        "nothing past what was received can be durable");

                // the walsender is terminated mid-stream: the reader learns the connection is gone
                pg.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_replication");
                ConnectionLostException lost = assertThrows(ConnectionLostException.class, () -> {
                    for (int i = 0; i < 100; i++) {
                        stream.read(Duration.ofMillis(100));
                    }
                });
                assertTrue(lost.getMessage().contains("HINT:"), lost.getMessage());
            }
        }
        // the server crashes mid-stream: the same, and the slot resumes from the flush reported before
        try (ReplicationConnection c = ReplicationConnection.open(s)) {
            Lsn resume = Lsn.parse(pg.queryString("SELECT restart_lsn FROM pg_replication_slots"));
            WalStream stream = c.startReplication(StartReplicationOptions.of("wv_stream_slot", resume, TimelineId.FIRST));
            assertInstanceOf(WalEvent.WalData.class, stream.read(Duration.ofSeconds(30)));
            pg.crash();
            assertThrows(ConnectionLostException.class, () -> {
                for (int i = 0; i < 300; i++) {
                    stream.read(Duration.ofMillis(100));
                }
            });
        }
        pg.start();
        try (ReplicationConnection c = ReplicationConnection.open(s)) {
            c.dropSlot("wv_stream_slot", true);
        }
    }

    @PgTest
    void followsAPromotedStandbyOntoItsNewTimeline(PgHarness harness) throws Exception {
        PgCluster primary = harness.cluster().name("primary").start();
        primary.execute("CREATE TABLE w (id int, v text)");
        PgCluster standby = primary.createStandby(harness.cluster().name("standby"));
        Path out = harness.scratchDirectory("wal");
        TimelineId one = TimelineId.FIRST;
        TimelineId two = one.next();
        ConnectionSettings s = ReplicationConnectionIT.settings(standby, "user=postgres sslmode=disable");

        WalEvent.EndOfTimeline end;
        long segSize;
        try (ReplicationConnection c = ReplicationConnection.open(s)) {
            segSize = c.walSegmentSize();
            SegmentWriter w = new SegmentWriter(out, segSize);
            SystemIdentity id = c.identifySystem();
            assertEquals(one, id.timeline());
            Lsn start = id.flushPosition().segmentStart(segSize);

            // a base backup taken from the standby
            StringBuilder label = new StringBuilder();
            BaseBackupResult fromStandby = c.baseBackup(BaseBackupOptions.defaults().fastCheckpoint(true),
                    new BaseBackupListener() {
                        private boolean inLabel;

                        @Override
                        public void memberStarted(io.walvault.core.tar.TarMember m) {
                            inLabel = m.path().equals("backup_label");
                        }

                        @Override
                        public void memberData(java.nio.ByteBuffer data) {
                            if (inLabel) {
                                label.append(java.nio.charset.StandardCharsets.UTF_8.decode(data));
                            }
                        }
                    });
            assertTrue(label.toString().contains("BACKUP FROM: standby"), label.toString());
            assertEquals(one, fromStandby.endTimeline());
            WalStream stream = c.startReplication(new StartReplicationOptions(Optional.empty(), start, Optional.of(one),
                    Duration.ofSeconds(1)));
            primary.execute("INSERT INTO w SELECT g, md5(g::text) FROM generate_series(1, 20000) g");
            Lsn written = Lsn.parse(primary.queryString("SELECT pg_current_wal_flush_lsn()"));
            assertEquals(null, receiveUntil(stream, w, one, written), "a cascading walsender streams what the standby replays");

            standby.promote();
            WalEvent e = receiveUntil(stream, w, one, Lsn.of(-1));
            end = assertInstanceOf(WalEvent.EndOfTimeline.class, e);
            assertEquals(two, end.nextTimeline());
            assertFalse(end.switchPoint().isBefore(written));
            assertEquals(end.switchPoint(), stream.receivedPosition(), "all of timeline 1 arrived before its end");
            assertThrows(IllegalStateException.class, () -> stream.read(Duration.ofMillis(10)), "the stream has ended");

            // the same connection goes on with timeline 2 from the switch point's segment, as pg_receivewal does
            TimelineHistoryFile history = c.timelineHistory(two);
            assertEquals("00000002.history", history.fileName());
            assertEquals(Optional.of(end.switchPoint()), history.history().endOf(one));
            assertArrayEquals(Files.readAllBytes(standby.dataDirectory().resolve("pg_wal/00000002.history")), history.content());

            Lsn restart = end.switchPoint().segmentStart(segSize);
            try (WalStream onTwo = c.startReplication(new StartReplicationOptions(Optional.empty(), restart, Optional.of(two),
                    Duration.ofSeconds(1)))) {
                standby.execute("INSERT INTO w SELECT g, md5(g::text) FROM generate_series(1, 20000) g");
                Lsn switchEnd = Lsn.parse(standby.queryString("SELECT pg_switch_wal()"));
                WalSegmentName first = WalSegmentName.of(two, restart, segSize);
                WalSegmentName last = WalSegmentName.of(two, switchEnd.plus(-1), segSize);
                assertEquals(null, receiveUntil(onTwo, w, two, last.endLsn()));
                for (WalSegmentName seg = first; seg.compareTo(last) <= 0; seg = seg.next()) {
                    assertArrayEquals(Files.readAllBytes(standby.dataDirectory().resolve("pg_wal").resolve(seg.fileName())),
                            Files.readAllBytes(w.file(seg)), "segment " + seg + " of the new timeline");
                }
            }
            assertEquals(two, c.identifySystem().timeline());

            // starting exactly at the end of timeline 1: no COPY at all, the switch comes at once
            try (WalStream atSwitch = c.startReplication(new StartReplicationOptions(Optional.empty(), end.switchPoint(),
                    Optional.of(one), Duration.ofSeconds(1)))) {
                WalEvent immediate = atSwitch.read(Duration.ofSeconds(5));
                assertEquals(end, immediate);
            }
            assertEquals(two, c.identifySystem().timeline(), "the connection is ready for the next command");
        }
    }

    @PgTest
    void aBusyConsumerOutlivesWalSenderTimeoutAndAShutdownEndsTheStream(PgHarness harness) throws Exception {
        PgCluster pg = harness.cluster().setting("wal_sender_timeout", "2s").start();
        ConnectionSettings s = ReplicationConnectionIT.settings(pg, "user=postgres sslmode=disable");
        try (ReplicationConnection c = ReplicationConnection.open(s)) {
            SystemIdentity id = c.identifySystem();
            long segSize = c.walSegmentSize();
            Lsn start = id.flushPosition().segmentStart(segSize);
            c.createPhysicalSlot("wv_patient", true);
            try (WalStream stream = c.startReplication(StartReplicationOptions.of("wv_patient", start, id.timeline())
                    .statusInterval(Duration.ofMillis(500)))) {
                assertThrows(IllegalStateException.class, c::identifySystem, "the stream owns the connection");
                // not reading for more than twice wal_sender_timeout: the status timer keeps the session alive
                Thread.sleep(5000);
                pg.execute("CREATE TABLE t AS SELECT generate_series(1, 1000) AS id");
                Lsn target = Lsn.parse(pg.queryString("SELECT pg_current_wal_flush_lsn()"));
                assertEquals(null, receiveUntil(stream, new SegmentWriter(harness.scratchDirectory("wal"), segSize),
                        id.timeline(), target));
                assertFalse(pg.logSinceStart().contains("terminating walsender process due to replication timeout"));

                // a fast shutdown waits for the client to confirm everything, then ends streaming without CopyDone
                Thread stopper = new Thread(pg::stop, "stopper");
                stopper.start();
                WalEvent end = null;
                long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                while (end == null && System.nanoTime() < deadline) {
                    WalEvent e = stream.read(Duration.ofMillis(200));
                    if (e instanceof WalEvent.WalData d) {
                        stream.reportWritten(d.end());
                        stream.reportFlushed(d.end());
                        stream.sendStatus();
                    } else if (e != null) {
                        end = e;
                    }
                }
                stopper.join(60_000);
                WalEvent.EndOfStream eos = assertInstanceOf(WalEvent.EndOfStream.class, end);
                assertTrue(eos.commandTag().startsWith("COPY"), eos.commandTag());
            }
        }
    }
}
