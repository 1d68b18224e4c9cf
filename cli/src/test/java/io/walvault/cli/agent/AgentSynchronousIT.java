package io.walvault.cli.agent;

import static io.walvault.cli.agent.AgentIT.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.walvault.cli.WalvaultProcess;
import io.walvault.restore.recovery.RecoveryConfigWriter;
import io.walvault.restore.recovery.RecoverySettings;
import io.walvault.restore.recovery.RecoveryTarget;
import io.walvault.restore.recovery.ShellQuote;
import io.walvault.restore.recovery.TargetAction;
import io.walvault.restore.recovery.TargetTimeline;
import io.walvault.testkit.PgCluster;
import io.walvault.testkit.PgHarness;
import io.walvault.testkit.PgTest;
import io.walvault.testkit.ServerUser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;

/**
 * RPO zero: with the agent ({@code --synchronous}) named in synchronous_standby_names and
 * synchronous_commit = remote_write, every commit acknowledged to a client is in the repository
 * after the primary is killed (-9) and never comes back: a copy of the server taken before the
 * load recovers from the repository alone and has every acknowledged row.
 */
class AgentSynchronousIT {

    static final String SLOT = AgentIT.SLOT;

    @PgTest
    void everyAcknowledgedCommitSurvivesTheLossOfThePrimary(PgHarness harness) throws Exception {
        PgCluster primary = harness.cluster().setting("wal_keep_size", "1GB").start();
        primary.execute("CREATE TABLE acked (id int PRIMARY KEY, pad text)");
        Path work = harness.scratchDirectory("agent");
        String repoUri = work.resolve("repo").toUri().toString();
        ArchiveCheck.init(repoUri);
        String conninfo = primary.conninfo() + " application_name=walvault_sync";
        // a long partial interval: what reaches the repository at the end is what the agent ships when the server goes away
        try (AgentProcess agent = AgentProcess.start(work, repoUri, conninfo, SLOT, "--synchronous", "--partial-interval", "5s")) {
            AgentIT.awaitSlotActive(primary, agent);
            // a cold copy stands in for a base backup; the agent streams from before it
            primary.stop();
            Path copy = harness.scratchDirectory("copy").resolve("data");
            PgCluster.copyDataDirectory(primary.dataDirectory(), copy);
            primary.start();
            primary.configure(Map.of("synchronous_standby_names", "walvault_sync", "synchronous_commit", "remote_write"));
            primary.reload();
            await(() -> "sync".equals(primary.queryString("SELECT sync_state FROM pg_stat_replication WHERE application_name = 'walvault_sync'")),
                    Duration.ofSeconds(60), () -> "agent not a synchronous standby\n" + agent.output());

            // clients commit one row at a time and record what was acknowledged; the primary dies under them
            List<Integer> acknowledged = new CopyOnWriteArrayList<>();
            AtomicBoolean stop = new AtomicBoolean();
            Thread[] clients = new Thread[3];
            for (int c = 0; c < clients.length; c++) {
                int client = c;
                clients[c] = new Thread(() -> {
                    try (Connection conn = primary.connect(); Statement s = conn.createStatement()) {
                        for (int i = client; !stop.get(); i += clients.length) {
                            s.execute("INSERT INTO acked VALUES (" + i + ", repeat('x', 200))");
                            acknowledged.add(i);
                        }
                    } catch (Exception expected) {
                        // the primary was killed
                    }
                });
                clients[c].start();
            }
            Thread.sleep(2500);
            primary.killPostmaster();
            stop.set(true);
            for (Thread t : clients) {
                t.join(30_000);
            }
            assertTrue(acknowledged.size() > 50, "only " + acknowledged.size() + " commits before the crash");
            // the agent ships what its spool holds once the connection is gone, then keeps trying to reconnect
            await(() -> agent.output().contains("reconnecting"), Duration.ofSeconds(60), agent::output);
            int rc = agent.terminate();
            assertTrue(rc == 0 || rc == 143, agent.output());

            // the copy recovers from the repository alone (through archive-get, which serves the partial segment)
            Path jar = WalvaultProcess.sharedJar();
            String walvault = WalvaultProcess.executable().toString();
            ServerUser.get().adopt(work);
            RecoveryConfigWriter.write(copy, new RecoverySettings(ShellQuote.word(walvault) + " archive-get --repo "
                    + ShellQuote.word(repoUri) + " %f %p", "", new RecoveryTarget.EndOfArchive(), true, TargetAction.PROMOTE,
                    TargetTimeline.latest(), true));
            PgCluster restored = harness.cluster().name("restored").dataDirectory(copy).env("WALVAULT_JAR", jar.toString())
                    .env("WALVAULT_CDS_DIR", WalvaultProcess.sharedClassArchives().toString()).create();
            restored.startNoWait();
            assertEquals(PgCluster.RecoveryOutcome.PROMOTED, restored.awaitRecoveryEnd(Duration.ofSeconds(120)), restored.logSinceStart());
            String missing = restored.queryString("SELECT count(*) FROM unnest('{" + String.join(",",
                    acknowledged.stream().map(String::valueOf).toList()) + "}'::int[]) a(id) WHERE NOT EXISTS"
                    + " (SELECT 1 FROM acked WHERE acked.id = a.id)");
            assertEquals("0", missing, "acknowledged commits missing after recovery (of " + acknowledged.size() + ")\n"
                    + agent.output());
        }
    }

}
