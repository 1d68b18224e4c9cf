package io.walvault.cli.restore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.walvault.cli.Main;
import io.walvault.core.wal.Lsn;
import io.walvault.core.wal.ServerWalPosition;
import io.walvault.restore.status.Rpo;
import io.walvault.restore.status.Rto;
import io.walvault.restore.status.ServerReading;
import io.walvault.restore.status.StatusProblem;
import io.walvault.restore.status.StatusReport;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** status's options and its text: limits are checked before anything is read, unknowns are said to be unknown. */
class StatusCommandTest {

    @TempDir
    Path dir;

    private int run(StringWriter err, String... args) {
        return Main.run(args, new PrintWriter(new StringWriter(), true), new PrintWriter(err, true));
    }

    @Test
    void badOptionsAreRefusedBeforeAnythingIsRead() {
        StringWriter err = new StringWriter();
        assertEquals(2, run(err, "status", "--repo", dir.resolve("none").toString(), "--max-backup-age", "3 weeks"));
        assertTrue(err.toString().contains("--max-backup-age '3 weeks' is not a duration"), err.toString());
        StringWriter zero = new StringWriter();
        assertEquals(2, run(zero, "status", "--repo", dir.resolve("none").toString(), "--max-archive-age", "0s"));
        assertTrue(zero.toString().contains("--max-archive-age 0s must be longer than 0"), zero.toString());
        StringWriter both = new StringWriter();
        assertEquals(2, run(both, "status", "--repo", dir.resolve("none").toString(), "--json", "--prometheus"));
        assertTrue(both.toString().contains("--json and --prometheus each choose the output"), both.toString());
        StringWriter conninfo = new StringWriter();
        assertEquals(3, run(conninfo, "status", "--repo", dir.resolve("none").toString(), "--pg", "host"));
        assertTrue(conninfo.toString().contains("missing \"=\" after \"host\""), conninfo.toString());
    }

    @Test
    void theTextSaysWhatIsUnknownAndWhy() {
        Instant now = Instant.parse("2026-11-21T12:00:00Z");
        StatusReport alone = new StatusReport(now, 42, ServerReading.notAsked(), Optional.empty(),
                Rto.unknown("no restore or drill of this cluster recorded: 'walvault verify --drill' measures both"), Optional.empty(),
                Optional.empty(), List.of(), List.of(), List.of(new StatusProblem(StatusProblem.Kind.NO_BACKUP, "no backup")),
                List.of());
        String text = StatusCommand.text(alone);
        assertTrue(text.startsWith("cluster 42 at 2026-11-21T12:00:00Z: NOT HEALTHY\n"), text);
        assertTrue(text.contains("  server:          unknown (no --pg given)\n"), text);
        assertTrue(text.contains("  RPO:             unknown (the server's position is unknown)\n"), text);
        assertTrue(text.contains("  RTO:             unknown (no restore or drill of this cluster recorded: 'walvault verify --drill'"
                + " measures both)\n"), text);
        assertTrue(text.contains("  newest backup:   none\n") && text.contains("  recoverable:     nothing\n"), text);
        assertTrue(text.contains("  PROBLEM NO_BACKUP: no backup\n"), text);

        StatusReport measured = new StatusReport(now, 42, ServerReading.of(new ServerWalPosition(42, Lsn.parse("0/5000000"),
                false)), Optional.of(new Rpo(4096, OptionalLong.of(75))), new Rto(OptionalLong.of(130), 2_000_000_000,
                OptionalLong.of(20_000_000), 3, 600_000_000, OptionalLong.of(20_000_000), 1, Optional.empty()), Optional.empty(),
                Optional.empty(), List.of(),
                List.of(), List.of(), List.of());
        String ok = StatusCommand.text(measured);
        assertTrue(ok.startsWith("cluster 42 at 2026-11-21T12:00:00Z: healthy\n"), ok);
        assertTrue(ok.contains("  server:          0/5000000 (primary, written)\n"), ok);
        assertTrue(ok.contains("  RPO:             4096 bytes, 1m 15s behind the server\n"), ok);
        assertTrue(ok.contains("  RTO:             about 2m 10s: 2.0 GB at 20 MB/s (median of 3 restores), 0.6 GB of WAL at 20 MB/s"
                + " (median of 1 drill)\n"), ok);
    }
}
