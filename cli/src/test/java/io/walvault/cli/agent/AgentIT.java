package io.walvault.cli.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.walvault.core.config.RepositorySettings;
import io.walvault.core.config.Settings;
import io.walvault.core.error.ErrorCode;
import io.walvault.core.repo.Repositories;
import io.walvault.core.repo.Repository;
import io.walvault.core.wal.Lsn;
import io.walvault.core.wal.WalSegmentName;
import io.walvault.testkit.PgCluster;
import io.walvault.testkit.PgHarness;
import io.walvault.testkit.PgTest;
import io.walvault.testkit.WriteLoad;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.function.BooleanSupplier;

/**
 * The built executable as a streaming agent against a real server: every segment the server
 * produced under a write load is in the repository byte for byte, partial segments are shipped
 * within the interval, the slot never runs ahead of the repository, metrics and health answer,
 * a second agent on the slot is refused, and SIGTERM stops it with nothing lost.
 */
class AgentIT {

    static final String SLOT = "wv_agent";

    @PgTest
    void streamsEverySegmentAndStopsCleanly(PgHarness harness) throws Exception {
        PgCluster pg = harness.cluster().setting("wal_keep_size", "1GB").start();
        pg.execute("CREATE TABLE t (id int PRIMARY KEY, v int NOT NULL)", "INSERT INTO t SELECT g, 0 FROM generate_series(1, 20000) g");
        Path work = harness.scratchDirectory("agent");
        String repoUri = work.resolve("repo").toUri().toString();
        ArchiveCheck.init(repoUri);
        long systemId = ArchiveCheck.systemId(pg);

        try (AgentProcess agent = AgentProcess.start(work, repoUri, pg.conninfo(), SLOT, "--partial-interval", "1s",
                "--backup-every", "4s", "--backup-checkpoint", "fast", "--retain-full", "50");
             ArchiveCheck archive = new ArchiveCheck(repoUri, systemId)) {
            awaitSlotActive(pg, agent);
            String first;
            try (WriteLoad load = new WriteLoad(pg, "t", 20000)) {
                first = pg.queryString("SELECT pg_walfile_name(pg_current_wal_lsn())");
                for (int i = 0; i < 6; i++) {
                    Thread.sleep(700);
                    // the flush position the agent reports (which moves the slot) is never past what the repository holds
                    Lsn slotFlush = reportedFlush(pg);
                    Lsn held = archive.contiguousEnd(first.substring(0, 8));
                    assertFalse(slotFlush.isAfter(held), "slot at " + slotFlush + " but the repository holds up to " + held);
                    if (i % 2 == 1) {
                        pg.execute("SELECT pg_switch_wal()");
                    }
                }
            }
            // a partial is shipped within the interval (plus slack for the loaded machine)
            pg.execute("INSERT INTO t VALUES (-1, -1)");
            Lsn written = Lsn.parse(pg.queryString("SELECT pg_current_wal_flush_lsn()"));
            String tli = first.substring(0, 8);
            Instant t0 = Instant.now();
            await(() -> uncheckedEnd(archive, tli).compareTo(written) >= 0, Duration.ofSeconds(20),
                    () -> "WAL up to " + written + " not shipped: " + archive.names() + "\n" + agent.output());
            long took = Duration.between(t0, Instant.now()).toMillis();
            assertTrue(took < 15_000, "shipping " + written + " took " + took + " ms");
            await(() -> !slotRestart(pg).isBefore(written), Duration.ofSeconds(20), () -> "slot not advanced to " + written);

            // metrics and health
            HttpResponse<String> m = agent.get("/metrics");
            assertEquals(200, m.statusCode());
            for (String name : new String[] {"walvault_agent_archive_lag_bytes", "walvault_agent_archive_lag_seconds",
                    "walvault_agent_last_archive_timestamp_seconds ", "walvault_agent_durable_lsn_bytes ",
                    "walvault_agent_reconnects_total", "walvault_agent_errors_total{kind=\"connection\"}",
                    "walvault_agent_gap_detected 0", "walvault_agent_spool_bytes", "walvault_build_info{version=",
                    "walvault_agent_streaming 1", "# TYPE walvault_agent_archive_lag_bytes gauge"}) {
                assertTrue(m.body().contains(name), name + " missing from:\n" + m.body());
            }
            assertTrue(m.headers().firstValue("Content-Type").orElse("").contains("version=0.0.4"));
            assertEquals(200, agent.get("/health").statusCode());

            // scheduled backups run beside the stream, each followed by retention (expire; 50 kept: nothing removed here)
            await(() -> metric(agent, "walvault_agent_backups_total{result=\"success\"} ") >= 1, Duration.ofSeconds(90),
                    () -> "no scheduled backup:\n" + agent.output());
            await(() -> agent.output().contains("agent: expire: kept: backup "), Duration.ofSeconds(30), agent::output);
            assertTrue(agent.output().contains("agent: expire: cluster " + Long.toUnsignedString(systemId)
                    + ", retention: newest 50 full backups"), agent.output());
            assertTrue(metric(agent, "walvault_agent_last_backup_success ") == 1, agent.output());
            assertTrue(metric(agent, "walvault_agent_last_backup_age_seconds ") >= 0, agent.output());
            // the repository's own gauges, whoever took the backups: read on a thread of their own, after the backup
            String id = "{system_identifier=\"" + Long.toUnsignedString(systemId) + "\"} ";
            await(() -> metricsText(agent).contains("walvault_status_newest_backup_age_seconds" + id),
                    Duration.ofSeconds(30), () -> "no repository gauges:\n" + agent.output());
            String all = agent.get("/metrics").body();
            assertTrue(all.contains("walvault_status_recovery_windows" + id), all);
            assertFalse(all.contains(" -1\n") || all.contains("segment=\""), all);
            try (Repository r = Repositories.open(RepositorySettings.from(Settings.load(Map.of("repo", repoUri, "encryption", "none"), null, Map.of())))) {
                assertFalse(r.cluster(systemId).backups().list().isEmpty(), "no backup in the repository");
            }

            // a second agent on the same slot (same configuration, so the same metrics port) is refused, naming the holder
            try (AgentProcess second = AgentProcess.start(work.resolve("second"), repoUri, pg.conninfo(), SLOT, agent.metricsPort)) {
                assertEquals(ErrorCode.AGENT_ALREADY_RUNNING.exitCode(), second.waitFor(Duration.ofSeconds(90)), second.output());
                assertTrue(second.output().contains("process " + agent.pid()), second.output());
            }

            // the last segment switched out is archived, byte for byte with everything before it; retention after
            // each backup removed the WAL older than the first one, so a few segments are written after it first
            for (int i = 1; i <= 3; i++) {
                pg.execute("INSERT INTO t SELECT -1000 * " + i + " - g, 0 FROM generate_series(1, 500) g", "SELECT pg_switch_wal()");
            }
            String last = pg.queryString("SELECT pg_walfile_name(pg_current_wal_lsn())");
            pg.execute("SELECT pg_switch_wal()");
            // contiguous up to it: a scheduled backup stores the WAL of its own start and end too, possibly before
            // the agent has shipped the segments that precede it; the checks start at the oldest backup's first
            // segment, since retention may remove what precedes it at any moment (ArchiveCheck)
            Lsn lastEnd = WalSegmentName.parse(last, ArchiveCheck.SEG).endLsn();
            await(() -> uncheckedEnd(archive, tli).compareTo(lastEnd) >= 0, Duration.ofSeconds(30),
                    () -> "not archived contiguously up to " + last + ": " + archive.names() + "\n" + agent.output());
            int compared = archive.assertSegmentsMatch(pg, tli, last);
            assertTrue(compared >= 3, "only " + compared + " segments compared");

            // SIGTERM: what the server has flushed is in the repository and the slot, nothing half-written is left
            pg.execute("INSERT INTO t VALUES (-2, -2)");
            Lsn before = Lsn.parse(pg.queryString("SELECT pg_current_wal_flush_lsn()"));
            int rc = agent.terminate();
            assertTrue(rc == 0 || rc == 143, "exit " + rc + "\n" + agent.output());
            assertTrue(agent.output().contains("agent stopped"), agent.output());
            // its log went to its default file, owner-only, and not to standard error
            assertTrue(Files.readString(agent.logFile()).contains("agent: expire: kept: backup "), agent.output());
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(agent.logFile())));
            assertFalse(agent.processOutput().contains("agent: expire"), agent.processOutput());
            assertFalse(archive.contiguousEnd(tli).isBefore(before), "after SIGTERM the repository holds up to "
                    + archive.contiguousEnd(tli) + ", the server flushed " + before);
            assertFalse(slotRestart(pg).isBefore(before), "slot at " + slotRestart(pg) + " after SIGTERM, expected " + before);
            assertEquals("f", pg.queryString("SELECT active FROM pg_replication_slots WHERE slot_name = '" + SLOT + "'"));
            ArchiveCheck.assertNoTemporaryFiles(work.resolve("repo"));
        }
    }

    @PgTest
    void refusesALogicalSlot(PgHarness harness) throws Exception {
        PgCluster pg = harness.cluster().setting("wal_level", "logical").start();
        pg.execute("SELECT pg_create_logical_replication_slot('wv_logical', 'pgoutput')");
        Path work = harness.scratchDirectory("agent");
        String repoUri = work.resolve("repo").toUri().toString();
        ArchiveCheck.init(repoUri);
        try (AgentProcess agent = AgentProcess.start(work, repoUri, pg.conninfo(), "wv_logical")) {
            assertEquals(ErrorCode.AGENT_SLOT_UNUSABLE.exitCode(), agent.waitFor(Duration.ofSeconds(90)), agent.output());
            assertTrue(agent.output().contains("wv_logical"), agent.output());
        }
    }

    /** The value of the metric line starting with {@code prefix}, or -1. */
    static String metricsText(AgentProcess agent) {
        try {
            return agent.get("/metrics").body();
        } catch (Exception e) {
            return "";
        }
    }

    static double metric(AgentProcess agent, String prefix) {
        try {
            for (String line : agent.get("/metrics").body().split("\n")) {
                if (line.startsWith(prefix)) {
                    return Double.parseDouble(line.substring(prefix.length()).trim());
                }
            }
            return -1;
        } catch (Exception e) {
            return -1;
        }
    }

    static Lsn uncheckedEnd(ArchiveCheck archive, String tli) {
        try {
            return archive.contiguousEnd(tli);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** The flush position the slot's consumer reported (0/0 if none yet). */
    static Lsn reportedFlush(PgCluster pg) {
        String s = pg.queryString("SELECT coalesce(r.flush_lsn, '0/0') FROM pg_stat_replication r JOIN pg_replication_slots s"
                + " ON s.active_pid = r.pid WHERE s.slot_name = '" + SLOT + "'");
        return s == null ? Lsn.INVALID : Lsn.parse(s);
    }

    static Lsn slotRestart(PgCluster pg) {
        String s = pg.queryString("SELECT coalesce(restart_lsn, '0/0') FROM pg_replication_slots WHERE slot_name = '" + SLOT + "'");
        return s == null ? Lsn.INVALID : Lsn.parse(s);
    }

    static void awaitSlotActive(PgCluster pg, AgentProcess agent) throws InterruptedException {
        await(() -> "t".equals(pg.queryString("SELECT active FROM pg_replication_slots WHERE slot_name = '" + SLOT + "'")),
                Duration.ofSeconds(60), () -> "agent not streaming:\n" + agent.output());
    }

    static void await(BooleanSupplier condition, Duration timeout, java.util.function.Supplier<String> message)
            throws InterruptedException {
        Instant deadline = Instant.now().plus(timeout);
        while (Instant.now().isBefore(deadline)) {
            if (condition.getAsBoolean()) {
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError(message.get());
    }
}
