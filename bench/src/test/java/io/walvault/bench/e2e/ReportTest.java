package io.walvault.bench.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReportTest {

    @Test
    void printsOneLinePerFigureWithHowItWasMeasuredAndNaForWhatCouldNotBeMeasured() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        Report r = new Report(new PrintStream(bytes, true, StandardCharsets.UTF_8));
        r.add("archive_push_p50_ms", 12.345, "ms", "median");
        r.unavailable("restore_MBps", "MB/s", "restore command not available", "walvault restore");
        assertEquals("archive_push_p50_ms: 12.3 ms\n#   median\nrestore_MBps: n/a (restore command not available)\n",
                bytes.toString(StandardCharsets.UTF_8));
    }

    @Test
    void replacesOnlyTheGeneratedSectionOfThePage(@TempDir Path dir) throws Exception {
        Path page = dir.resolve("PERFORMANCE.md");
        Files.writeString(page, "# title\n\nintro\n\n" + Report.BEGIN + "\nold table\n" + Report.END + "\n\n## targets\n\nkept\n");
        Report r = new Report(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
        r.add("bench_wall_s", 600, "s", "wall | time");
        r.unavailable("agent_rpo_s", "s", "agent command not available", "agent");
        r.writeInto(page, "--quick");
        String text = Files.readString(page);
        assertTrue(text.startsWith("# title\n\nintro\n\n" + Report.BEGIN + "\n"), text);
        assertTrue(text.endsWith(Report.END + "\n\n## targets\n\nkept\n"), text);
        assertTrue(text.contains("| `bench_wall_s` | 600 | s | wall \\| time |"), text);
        assertTrue(text.contains("| `agent_rpo_s` | n/a | s | agent (n/a: agent command not available) |"), text);
        assertTrue(!text.contains("old table"), text);
    }
}
