package io.walvault.archiver.stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.walvault.core.config.RepositorySettings;
import io.walvault.core.config.Settings;
import io.walvault.core.error.CorruptDataException;
import io.walvault.core.pipeline.OutputStreamSink;
import io.walvault.core.repo.Repositories;
import io.walvault.core.repo.Repository;
import io.walvault.core.repo.WalArchive;
import io.walvault.core.replication.conn.ConnectionSettings;
import io.walvault.core.storage.ObjectNotFoundException;
import io.walvault.core.wal.Lsn;
import io.walvault.core.wal.WalFileName;
import io.walvault.core.wal.TimelineId;
import io.walvault.core.wal.WalSegmentName;
import io.walvault.core.wal.WalSegmentValidator;
import io.walvault.testkit.PgCluster;
import io.walvault.testkit.PgHarness;
import io.walvault.testkit.PgTest;
import io.walvault.testkit.S3Bucket;
import io.walvault.testkit.S3Extension;
import io.walvault.testkit.S3Server;
import io.walvault.testkit.WriteLoad;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * {@link Agent} in-process into an encrypted S3 repository (S3Proxy): a reader that keeps
 * fetching the growing {@code .partial} only ever gets a whole, valid object; an outage of the
 * store (every upload refused for a while) is survived with no gap, the slot's reported flush
 * never passing what the store holds.
 */
@ExtendWith(S3Extension.class)
class AgentS3IT {

    @TempDir
    Path dir;

    @PgTest
    void replacesPartialsAtomicallyAndSurvivesAStoreOutage(PgHarness harness, S3Bucket bucket) throws Exception {
        PgCluster pg = harness.cluster().setting("wal_keep_size", "1GB").start();
        pg.execute("CREATE TABLE t (id int PRIMARY KEY, v int NOT NULL)", "INSERT INTO t SELECT g, 0 FROM generate_series(1, 20000) g");
        long systemId = Long.parseUnsignedLong(pg.queryString("SELECT system_identifier FROM pg_control_system()"));
        S3Server s = bucket.server();
        Path conf = dir.resolve("walvault.conf");
        Files.writeString(conf, "repo = s3://" + bucket.name() + "/pg\ns3-endpoint = " + s.endpoint() + "\ns3-path-style = true\n"
                + "s3-region = " + s.region() + "\ns3-access-key-id = " + s.accessKey() + "\ns3-secret-access-key = " + s.secretKey()
                + "\ns3-max-attempts = 1\nencryption = passphrase\npassphrase-file = " + Files.setPosixFilePermissions(
                Files.writeString(dir.resolve("pass"), "a long enough passphrase\n"), PosixFilePermissions.fromString("rw-------"))
                + "\n");
        Files.setPosixFilePermissions(conf, PosixFilePermissions.fromString("rw-------"));
        RepositorySettings rs = RepositorySettings.from(Settings.load(Map.of(), conf, Map.of()));
        Repositories.create(rs).close();
        ConnectionSettings cs = ConnectionSettings.parse(pg.conninfo() + " sslmode=disable", Map.of(), Path.of("/nonexistent-home"),
                "nobody");

        // the reader retries like any client of the store (the filesystem backend behind S3Proxy answers 500 to a
        // GET racing the DELETE of the same object); the agent's own repository does not, to make the outage short
        RepositorySettings readerSettings = RepositorySettings.from(Settings.load(Map.of("s3-max-attempts", "10"), conf, Map.of()));
        try (Repository repo = Repositories.open(rs); Repository readerRepo = Repositories.open(readerSettings)) {
            WalArchive wal = repo.cluster(systemId).wal();
            WalArchive readerWal = readerRepo.cluster(systemId).wal();
            AgentMetrics metrics = new AgentMetrics();
            Agent agent = new Agent(cs, repo, AgentOptions.defaults(dir.resolve("spool")).slot("wv_s3")
                    .partialInterval(Duration.ofMillis(300)).reconnect(Duration.ofMillis(200), Duration.ofSeconds(1)), metrics);
            AtomicReference<Throwable> agentFailure = new AtomicReference<>();
            Thread runner = new Thread(() -> {
                try {
                    agent.run();
                } catch (Throwable t) {
                    agentFailure.set(t);
                }
            }, "agent");
            runner.start();
            try {
                run(pg, wal, readerWal, metrics, bucket, systemId, seg(pg));
            } finally {
                agent.stop();
                runner.join(60_000);
            }
            assertNull(agentFailure.get(), () -> "agent failed: " + agentFailure.get());
            assertFalse(runner.isAlive());
            assertSegmentsMatch(pg, wal);
        }
    }

    static String seg(PgCluster pg) {
        return pg.queryString("SELECT pg_walfile_name(pg_current_wal_lsn())");
    }

    private static void run(PgCluster pg, WalArchive wal, WalArchive readerWal, AgentMetrics metrics, S3Bucket bucket,
            long systemId, String first)
            throws Exception {
        S3Server s = bucket.server();
        try (S3Client s3 = s.newClient()) {
            await(metrics::healthy, Duration.ofSeconds(60), "agent not streaming");

            // a reader fetches the partial segment in progress again and again while the agent replaces it
            AtomicBoolean stop = new AtomicBoolean();
            AtomicInteger reads = new AtomicInteger();
            AtomicInteger racedReads = new AtomicInteger();
            AtomicReference<Throwable> readFailure = new AtomicReference<>();
            Thread reader = new Thread(() -> {
                while (!stop.get()) {
                    WalFileName partial = WalFileName.parse(WalSegmentName.of(TimelineId.FIRST, metrics.durable(),
                            WalSegmentName.DEFAULT_SEGMENT_SIZE).fileName() + ".partial");
                    String before = versionOf(s3, bucket, partial);
                    try {
                        ByteArrayOutputStream out = new ByteArrayOutputStream();
                        readerWal.get(partial, new OutputStreamSink(out, false));
                        byte[] b = out.toByteArray();
                        WalSegmentValidator v = new WalSegmentValidator(partial, 16L * 1024 * 1024, OptionalLong.of(systemId));
                        v.update(b, 0, b.length);
                        v.finish();
                        reads.incrementAndGet();
                    } catch (ObjectNotFoundException notYetOrReplacedByTheSegment) {
                        // before the first upload, or removed once the complete segment is stored
                    } catch (CorruptDataException e) {
                        // S3 serves the old or the new version of a replaced object whole; the filesystem backend
                        // behind S3Proxy can serve the old length with the new bytes when a PUT lands during the
                        // GET. Such a read is the test store's, and only counts when the object changed under it:
                        // a broken object that stayed the same is the agent's fault.
                        if (before != null && before.equals(versionOf(s3, bucket, partial))) {
                            readFailure.compareAndSet(null, e);
                        } else {
                            racedReads.incrementAndGet();
                        }
                    } catch (Throwable t) {
                        readFailure.compareAndSet(null, t);
                    }
                }
            }, "partial-reader");
            reader.start();
            try (WriteLoad load = new WriteLoad(pg, "t", 20000)) {
                Thread.sleep(3000);
                // the store refuses every upload for a while: the agent keeps the WAL (the slot keeps it too) and retries
                s.failCalls("putBlob", 0, 25);
                Lsn before = metrics.durable();
                Thread.sleep(3000);
                Lsn flushed = reportedFlush(pg);
                assertFalse(flushed.isAfter(metrics.durable()), "reported flush " + flushed + " past durable " + metrics.durable());
                assertTrue(s.failedCalls("putBlob") > 0, "no upload was refused");
                s.clearFaults();
                await(() -> metrics.durable().isAfter(before), Duration.ofSeconds(60), "no progress after the outage");
                pg.execute("SELECT pg_switch_wal()");
                Thread.sleep(1000);
            } finally {
                stop.set(true);
                reader.join(30_000);
            }
            assertNull(readFailure.get(), () -> "a reader saw a broken partial: " + readFailure.get());
            assertTrue(reads.get() > racedReads.get(), "clean reads " + reads.get() + ", reads that raced a replacement "
                    + racedReads.get());
            assertTrue(metrics.render().contains("walvault_agent_errors_total{kind=\"storage\"} "), metrics.render());
            assertFalse(metrics.render().contains("walvault_agent_errors_total{kind=\"storage\"} 0"), metrics.render());

            String last = pg.queryString("SELECT pg_walfile_name(pg_current_wal_lsn())");
            pg.execute("SELECT pg_switch_wal()");
            await(() -> wal.info(WalFileName.parse(last)).isPresent(), Duration.ofSeconds(60), last + " not archived");
            assertTrue(wal.info(WalFileName.parse(first)).isPresent(), first + " not archived");
        }
    }

    /**
     * The version of the stored object of {@code name} as a listing shows it (ETag, size and
     * time: the test store may list an object without an ETag), or null when there is none or
     * the listing failed (a listing racing a write can fail in the test store).
     */
    private static String versionOf(S3Client s3, S3Bucket bucket, WalFileName name) {
        try {
            return s3.listObjectsV2Paginator(b -> b.bucket(bucket.name()).prefix("pg/")).contents().stream()
                    .filter(o -> o.key().contains("/" + name.name() + "."))
                    .map(o -> o.eTag() + " " + o.size() + " " + o.lastModified()).findFirst().orElse(null);
        } catch (SdkException e) {
            return null;
        }
    }

    /** Every segment from the first to the last is there, consecutive, byte for byte with pg_wal. */
    private static void assertSegmentsMatch(PgCluster pg, WalArchive wal) throws Exception {
        {
            String last = seg(pg);
            List<String> segs;
            try (Stream<WalFileName> names = wal.list()) {
                segs = names.map(WalFileName::name).filter(n -> n.length() == 24).sorted().toList();
            }
            assertTrue(segs.size() >= 3, segs.toString());
            for (int i = 0; i < segs.size(); i++) {
                if (i > 0) {
                    assertEquals(Long.parseLong(segs.get(i - 1).substring(16), 16) + 1, Long.parseLong(segs.get(i).substring(16), 16),
                            "gap after " + segs.get(i - 1));
                }
                Path f = pg.dataDirectory().resolve("pg_wal/" + segs.get(i));
                if (Files.exists(f) && segs.get(i).compareTo(last) <= 0) {
                    ByteArrayOutputStream out = new ByteArrayOutputStream();
                    wal.get(WalFileName.parse(segs.get(i)), new OutputStreamSink(out, false));
                    assertArrayEquals(Files.readAllBytes(f), out.toByteArray(), segs.get(i));
                }
            }
        }
    }

    static Lsn reportedFlush(PgCluster pg) {
        String s = pg.queryString("SELECT coalesce(r.flush_lsn, '0/0') FROM pg_stat_replication r JOIN pg_replication_slots s"
                + " ON s.active_pid = r.pid WHERE s.slot_name = 'wv_s3'");
        return s == null ? Lsn.INVALID : Lsn.parse(s);
    }

    static void await(BooleanSupplier c, Duration timeout, String message) throws InterruptedException {
        Instant deadline = Instant.now().plus(timeout);
        while (Instant.now().isBefore(deadline)) {
            if (c.getAsBoolean()) {
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError(message);
    }
}
