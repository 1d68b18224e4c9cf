package io.walvault.cli.agent;

import static io.walvault.cli.agent.AgentIT.await;
import static io.walvault.cli.agent.AgentIT.awaitSlotActive;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.walvault.core.error.ErrorCode;
import io.walvault.testkit.PgCluster;
import io.walvault.testkit.PgHarness;
import io.walvault.testkit.PgTest;
import io.walvault.testkit.WriteLoad;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The agent through what production does to it: kill -9 at random moments and a restart, a
 * server restart, a connection ended by the server, and a gap (the slot dropped and its WAL removed) that stops it with its exit
 * code until told to accept it.
 */
class AgentRecoveryIT {

    static final String SLOT = AgentIT.SLOT;

    @PgTest
    void survivesKillsAndAServerRestartWithoutGapOrTornObject(PgHarness harness) throws Exception {
        PgCluster pg = harness.cluster().setting("wal_keep_size", "1GB").start();
        pg.execute("CREATE TABLE t (id int PRIMARY KEY, v int NOT NULL)", "INSERT INTO t SELECT g, 0 FROM generate_series(1, 20000) g");
        Path work = harness.scratchDirectory("agent");
        String repoUri = work.resolve("repo").toUri().toString();
        ArchiveCheck.init(repoUri);
        String tli = "00000001";
        AgentProcess agent = AgentProcess.start(work, repoUri, pg.conninfo(), SLOT, "--partial-interval", "500ms");
        try (ArchiveCheck archive = new ArchiveCheck(repoUri, ArchiveCheck.systemId(pg))) {
            awaitSlotActive(pg, agent);
            try (WriteLoad load = new WriteLoad(pg, "t", 20000)) {
                for (int i = 0; i < 3; i++) {
                    Thread.sleep(ThreadLocalRandom.current().nextLong(800, 2500));
                    pg.execute("SELECT pg_switch_wal()");
                    Thread.sleep(ThreadLocalRandom.current().nextLong(0, 600));
                    agent.kill();
                    agent = AgentProcess.start(work, repoUri, pg.conninfo(), SLOT, "--partial-interval", "500ms");
                }
            }
            awaitSlotActive(pg, agent);
            // a server restart while the agent streams: it reconnects and resumes
            pg.restart();
            try (WriteLoad load = new WriteLoad(pg, "t", 20000)) {
                Thread.sleep(1500);
                pg.execute("SELECT pg_switch_wal()");
                // a network drop: the server ends the agent's connection under load
                AgentProcess a = agent;
                awaitSlotActive(pg, a);
                pg.execute("SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = '" + SLOT + "'");
                Thread.sleep(1000);
            }
            String last = pg.queryString("SELECT pg_walfile_name(pg_current_wal_lsn())");
            pg.execute("SELECT pg_switch_wal()");
            AgentProcess a = agent;
            awaitSlotActive(pg, a);
            await(() -> archive.names().contains(last), Duration.ofSeconds(60), () -> last + " not archived\n" + a.output());
            archive.assertSegmentsMatch(pg, tli, last);
            assertTrue(agent.output().contains("reconnecting"), agent.output());
            int rc = agent.terminate();
            assertTrue(rc == 0 || rc == 143, "exit " + rc + "\n" + agent.output());
            // every object decodes completely: nothing torn is ever visible under a WAL name (a kill -9 during an
            // upload leaves only the store's hidden temporary file, which no reader lists)
            for (String n : archive.names()) {
                archive.read(n);
            }
        } finally {
            agent.close();
        }
    }

    @PgTest
    void stopsAtAGapUntilToldToAcceptIt(PgHarness harness) throws Exception {
        PgCluster pg = harness.cluster().setting("min_wal_size", "32MB").setting("max_wal_size", "64MB").start();
        pg.execute("CREATE TABLE t (id int PRIMARY KEY, v int NOT NULL)", "INSERT INTO t SELECT g, 0 FROM generate_series(1, 1000) g");
        Path work = harness.scratchDirectory("agent");
        String repoUri = work.resolve("repo").toUri().toString();
        ArchiveCheck.init(repoUri);
        try (ArchiveCheck archive = new ArchiveCheck(repoUri, ArchiveCheck.systemId(pg))) {
            try (AgentProcess agent = AgentProcess.start(work, repoUri, pg.conninfo(), SLOT, "--partial-interval", "500ms")) {
                awaitSlotActive(pg, agent);
                String seg = pg.queryString("SELECT pg_walfile_name(pg_current_wal_lsn())");
                pg.execute("SELECT pg_switch_wal()");
                await(() -> archive.names().contains(seg), Duration.ofSeconds(30), () -> seg + " not archived\n" + agent.output());
                int rc = agent.terminate();
                assertTrue(rc == 0 || rc == 143, agent.output());
            }
            // the slot is dropped and the WAL after the repository's end removed by checkpoints
            pg.execute("SELECT pg_drop_replication_slot('" + SLOT + "')");
            for (int i = 0; i < 6; i++) {
                pg.execute("INSERT INTO t SELECT g, 1 FROM generate_series(100000 * " + (i + 1) + ", 100000 * " + (i + 1) + " + 999) g",
                        "SELECT pg_switch_wal()", "CHECKPOINT");
            }
            try (AgentProcess agent = AgentProcess.start(work, repoUri, pg.conninfo(), SLOT)) {
                assertEquals(ErrorCode.AGENT_WAL_GAP.exitCode(), agent.waitFor(Duration.ofSeconds(90)), agent.output());
                assertTrue(agent.output().contains("gap in the archive"), agent.output());
            }
            // told to accept it (after a new backup), the agent streams on from the slot
            try (AgentProcess agent = AgentProcess.start(work, repoUri, pg.conninfo(), SLOT, "--accept-gap", "--partial-interval", "500ms")) {
                awaitSlotActive(pg, agent);
                // a record first: at a segment's very start (right after a switch) pg_walfile_name names the segment
                // before, which lies in the accepted gap, and the switch below would switch nothing
                pg.execute("INSERT INTO t VALUES (-1, 0)");
                String seg = pg.queryString("SELECT pg_walfile_name(pg_current_wal_lsn())");
                pg.execute("SELECT pg_switch_wal()");
                await(() -> archive.names().contains(seg), Duration.ofSeconds(30), () -> seg + " not archived\n" + agent.output());
                assertTrue(agent.output().contains("--accept-gap"), agent.output());
                int rc = agent.terminate();
                assertTrue(rc == 0 || rc == 143, agent.output());
            }
        }
    }
}
