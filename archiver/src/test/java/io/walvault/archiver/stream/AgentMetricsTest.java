package io.walvault.archiver.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.walvault.core.Version;
import io.walvault.core.wal.Lsn;
import org.junit.jupiter.api.Test;

/** The agent's metrics: what is unknown has no sample, no label per segment, the build and the repository's gauges. */
class AgentMetricsTest {

    @Test
    void whatIsUnknownHasNoSampleAndNothingIsASentinel() {
        AgentMetrics m = new AgentMetrics();
        String fresh = m.render();
        assertFalse(fresh.contains(" -1\n"), fresh);
        for (String absent : new String[] {"last_archive_timestamp_seconds", "last_backup_timestamp_seconds",
                "last_backup_age_seconds", "last_backup_success"}) {
            assertFalse(fresh.contains("walvault_agent_" + absent), absent + ":\n" + fresh);
        }
        assertTrue(fresh.contains("walvault_build_info{version=\"" + Version.get() + "\"} 1\n"), fresh);

        m.durable(Lsn.parse("0/3000000"), false);
        m.backup(false, 0);
        String after = m.render();
        assertTrue(after.contains("walvault_agent_last_archive_timestamp_seconds "), after);
        assertTrue(after.contains("walvault_agent_segments_archived_total 1\n"), after);
        assertTrue(after.contains("walvault_agent_last_backup_success 0\n"), after);
        assertFalse(after.contains("walvault_agent_last_backup_age_seconds"), "no backup succeeded yet:\n" + after);
        assertFalse(after.contains("segment=\""), "a label value per segment is a new series every 16 MiB:\n" + after);

        m.backup(true, System.currentTimeMillis() / 1000 - 30);
        String ok = m.render();
        assertTrue(ok.contains("walvault_agent_last_backup_success 1\n"), ok);
        long age = ok.lines().filter(l -> l.startsWith("walvault_agent_last_backup_age_seconds ")).mapToLong(l ->
                Long.parseLong(l.substring(l.indexOf(' ') + 1))).findFirst().orElseThrow();
        assertTrue(age >= 30 && age < 60, ok);
    }

    @Test
    void theRepositorysGaugesFollowTheAgentsOwn() {
        AgentMetrics m = new AgentMetrics();
        m.repositoryGauges(() -> "walvault_status_healthy{system_identifier=\"42\"} 1\n");
        String text = m.render();
        assertTrue(text.endsWith("walvault_status_healthy{system_identifier=\"42\"} 1\n"), text);
        assertEquals(1, text.lines().filter(l -> l.startsWith("walvault_build_info")).count(), text);
    }
}
