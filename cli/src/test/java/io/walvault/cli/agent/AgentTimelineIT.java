package io.walvault.cli.agent;

import static io.walvault.cli.agent.AgentIT.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.walvault.testkit.PgCluster;
import io.walvault.testkit.PgHarness;
import io.walvault.testkit.PgTest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * An agent streaming from a standby through its promotion: the new timeline's history file is
 * archived and its WAL shipped, byte for byte, after the old timeline's.
 */
class AgentTimelineIT {

    static final String SLOT = AgentIT.SLOT;

    @PgTest
    void followsAPromotedStandbyOntoItsNewTimeline(PgHarness harness) throws Exception {
        PgCluster primary = harness.cluster().setting("wal_keep_size", "1GB").start();
        primary.execute("CREATE TABLE t (id int PRIMARY KEY, v int NOT NULL)", "INSERT INTO t SELECT g, 0 FROM generate_series(1, 1000) g");
        PgCluster standby = primary.createStandby(harness.cluster().name("standby").setting("wal_keep_size", "1GB"));
        Path work = harness.scratchDirectory("agent");
        String repoUri = work.resolve("repo").toUri().toString();
        ArchiveCheck.init(repoUri);
        try (AgentProcess agent = AgentProcess.start(work, repoUri, standby.conninfo(), SLOT, "--partial-interval", "500ms");
             ArchiveCheck archive = new ArchiveCheck(repoUri, ArchiveCheck.systemId(primary))) {
            AgentIT.awaitSlotActive(standby, agent);
            // WAL of timeline 1, streamed by the agent through the standby
            primary.execute("INSERT INTO t SELECT g, 1 FROM generate_series(2001, 3000) g");
            String old = primary.queryString("SELECT pg_walfile_name(pg_current_wal_lsn())");
            primary.execute("SELECT pg_switch_wal()", "INSERT INTO t VALUES (-1, -1)");
            await(() -> archive.names().contains(old), Duration.ofSeconds(60), () -> old + " not archived\n" + agent.output());
            String lsn = primary.queryString("SELECT pg_current_wal_lsn()");
            await(() -> "t".equals(standby.queryString("SELECT pg_last_wal_replay_lsn() >= '" + lsn + "'")), Duration.ofSeconds(60),
                    () -> "standby did not replay " + lsn);
            primary.stop();

            standby.promote();
            standby.execute("INSERT INTO t SELECT g, 2 FROM generate_series(5001, 6000) g");
            String next = standby.queryString("SELECT pg_walfile_name(pg_current_wal_lsn())");
            assertTrue(next.startsWith("00000002"), next);
            standby.execute("SELECT pg_switch_wal()");
            await(() -> archive.names().contains(next), Duration.ofSeconds(60), () -> next + " not archived: " + archive.names()
                    + "\n" + agent.output());
            assertTrue(archive.names().contains("00000002.history"), archive.names().toString());
            assertArrayEquals(Files.readAllBytes(standby.dataDirectory().resolve("pg_wal/00000002.history")),
                    archive.read("00000002.history"));
            archive.assertSegmentsMatch(standby, "00000002", next);
            // the old timeline ends in a partial segment, as pg_receivewal keeps it
            assertTrue(archive.names().stream().anyMatch(n -> n.startsWith("00000001") && n.endsWith(".partial")),
                    archive.names().toString());
            int rc = agent.terminate();
            assertTrue(rc == 0 || rc == 143, agent.output());
        }
    }
}
