package io.walvault.archiver.backup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ProgressTest {

    @Test
    void linesWhenNotOnATerminal() {
        StringWriter out = new StringWriter();
        Progress p = new Progress(new PrintWriter(out, true), false, Duration.ZERO);
        p.update(1024 * 1024, 4 * 1024 * 1024, 512 * 1024);
        p.update(2 * 1024 * 1024, 0, 512 * 1024);
        p.done();
        String[] lines = out.toString().split("\n");
        assertEquals(2, lines.length, out.toString());
        assertTrue(lines[0].startsWith("backup: 1.0 MiB of 4.0 MiB received (25%), 0.5 MiB stored, "), lines[0]);
        assertTrue(lines[1].startsWith("backup: 2.0 MiB of ? received (?), "), lines[1]);
    }

    @Test
    void oneLineIsNotRepeatedWithinTheInterval() {
        StringWriter out = new StringWriter();
        Progress p = new Progress(new PrintWriter(out, true), false, Duration.ofHours(1));
        p.update(1, 2, 0);
        assertEquals("", out.toString(), "nothing before the first interval has passed");
    }

    @Test
    void aBarRedrawnInPlaceOnATerminal() throws Exception {
        StringWriter out = new StringWriter();
        Progress p = new Progress(new PrintWriter(out, true), true, Duration.ofSeconds(10));
        Thread.sleep(250); // the bar is redrawn at most five times a second
        p.update(3 * 1024 * 1024, 4 * 1024 * 1024, 0);
        p.done();
        String s = out.toString();
        assertTrue(s.startsWith("\r[" + "#".repeat(22) + ".".repeat(8) + "] 3.0 MiB / 4.0 MiB "), s);
        assertTrue(s.endsWith(System.lineSeparator()), "the bar's line is ended");
    }

    @Test
    void theWaitForASpreadCheckpointIsSaidAndLeftOutOfTheRate() throws Exception {
        StringWriter out = new StringWriter();
        Progress p = new Progress(new PrintWriter(out, true), false, Duration.ZERO);
        p.checkpoint(false, Optional.of(Duration.ofSeconds(270)));
        Thread.sleep(1100); // the checkpoint's wait
        p.streamStarted();
        p.update(1000L * 1024 * 1024, 0, 0);
        String[] lines = out.toString().split("\n");
        assertEquals("backup: waiting for the server's checkpoint (spread: up to 270 s; --checkpoint fast starts it at once)",
                lines[0]);
        long mbps = Long.parseLong(lines[1].replaceAll(".*, ([0-9]+) MB/s$", "$1"));
        assertTrue(mbps > 1000, "1000 MiB just after the stream began is not ~1000 MB/s over the wait: " + lines[1]);
        StringWriter fast = new StringWriter();
        new Progress(new PrintWriter(fast, true), false, Duration.ZERO).checkpoint(true, Optional.empty());
        assertEquals("backup: waiting for the server's checkpoint (fast)", fast.toString().strip());
    }
}
