package io.walvault.cli.reliability;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.walvault.testkit.PgCluster;
import io.walvault.testkit.PgHarness;
import io.walvault.testkit.PgTest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Scenario: RPO zero. The streaming agent runs with {@code --synchronous} and is named in
 * synchronous_standby_names (synchronous_commit = remote_write); a backup is taken before the
 * load; clients commit rows one at a time and the postmaster is killed (-9) under them. A
 * default {@code walvault restore} of that backup (the agent's newest {@code .partial} included,
 * as archive-get serves it) holds every acknowledged commit.
 */
class SynchronousAgentReliabilityIT {

    @PgTest(slot = 1)
    void everyAcknowledgedCommitSurvivesAKilledPrimaryThroughADefaultRestore(PgHarness pg) throws Exception {
        try (ScenarioRecord rec = new ScenarioRecord(pg, "rpo-zero", "RPO 0: synchronous agent, kill -9 of the postmaster")) {
            Rig rig = Rig.local(pg, rec, null);
            PgCluster primary = rig.startPrimary(null, Map.of());
            Path agentLog = rig.scratch.resolve("agent.log");
            Files.writeString(agentLog, "");
            io.walvault.testkit.ServerUser.get().adopt(agentLog);
            Process agent = rig.startLogged(agentLog, Map.of("WALVAULT_JAVA_OPTS", "-Xmx256m"), "agent",
                    "--pg", rig.backupConninfo() + " application_name=walvault_sync", "--slot", "walvault",
                    "--spool", rig.scratch.resolve("spool").toString(), "--synchronous", "--partial-interval", "5s",
                    "--reconnect-max", "2s", "--log-file", "-");
            try {
                Rig.await(() -> "streaming".equals(primary.queryString(
                        "SELECT state FROM pg_stat_replication WHERE application_name = 'walvault_sync'")), Duration.ofSeconds(90),
                        () -> "the agent does not stream:\n" + read(agentLog));
                rig.truth.write(500);
                rig.backup("before-load");
                primary.execute("ALTER SYSTEM SET synchronous_standby_names = 'walvault_sync'",
                        "ALTER SYSTEM SET synchronous_commit = 'remote_write'");
                primary.reload();
                Rig.await(() -> "sync".equals(primary.queryString(
                        "SELECT sync_state FROM pg_stat_replication WHERE application_name = 'walvault_sync'")),
                        Duration.ofSeconds(60), () -> "the agent is not a synchronous standby\n" + read(agentLog));

                rig.truth.startBackground(3);
                Thread.sleep(3000L * Rig.SOAK);
                primary.killPostmaster();
                rig.truth.stop();
                int acked = rig.truth.acknowledgedCount();
                assertTrue(acked > 50, "only " + acked + " commits before the kill");
                rec.fault("kill -9 postmaster", "the primary's postmaster killed under 3 committing clients ("
                        + acked + " commits acknowledged, " + rig.truth.inFlight().size() + " in flight)", 1);
                // the agent ships what it holds once the connection is gone, then tries to reconnect
                Rig.await(() -> read(agentLog).contains("reconnecting"), Duration.ofSeconds(60), () -> read(agentLog));
            } finally {
                agent.destroy();
                if (!agent.waitFor(90, TimeUnit.SECONDS)) {
                    agent.destroyForcibly();
                }
            }
            rec.note("agent stopped with SIGTERM: exit " + agent.exitValue());
            PgCluster restored = rig.restoreAndPromote("rpo-zero");
            rig.compare("rpo-zero", "default restore of the backup taken before the load (no target)", restored, false);
            rec.passed();
        }
    }

    private static String read(Path log) {
        try {
            return Files.readString(log, StandardCharsets.UTF_8);
        } catch (java.io.IOException e) {
            return e.toString();
        }
    }
}
