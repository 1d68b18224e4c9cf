package io.walvault.bench.e2e;

import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;

/**
 * The figures of one end-to-end run: printed as they are measured, and written into
 * docs/PERFORMANCE.md between markers, so hand-written sections of that page stay.
 */
public final class Report {

    static final String BEGIN = "<!-- bench:e2e:begin -->";
    static final String END = "<!-- bench:e2e:end -->";

    private final List<Figure> figures = new ArrayList<>();
    private final List<String> notes = new ArrayList<>();
    private final PrintStream out;
    private final Instant started = Instant.now();

    public Report(PrintStream out) {
        this.out = out;
    }

    /** Records and prints a figure. */
    public void add(Figure f) {
        figures.add(f);
        out.println(f.line());
        out.println("#   " + f.method()); // how it was measured, with the raw numbers: a run with --no-write writes no table
        out.flush();
    }

    public void add(String name, double value, String unit, String method) {
        add(new Figure(name, value, unit, method));
    }

    /**
     * A figure this run could not measure, printed as {@code name: n/a (reason)} and listed as
     * n/a in the table, so a missing figure is visible rather than absent.
     */
    public void unavailable(String name, String unit, String reason, String method) {
        figures.add(new Figure(name, Double.NaN, unit, method + " (n/a: " + reason + ")"));
        out.println(name + ": n/a (" + reason + ")");
        out.flush();
    }

    /** A sentence about the run (a missed target, a limit met). */
    public void note(String text) {
        notes.add(text);
        out.println("# " + text);
    }

    public List<Figure> figures() {
        return List.copyOf(figures);
    }

    /** The markdown section for docs/PERFORMANCE.md. */
    String markdown(String settings) {
        StringBuilder sb = new StringBuilder();
        sb.append(BEGIN).append('\n');
        sb.append("## Latest end-to-end run\n\n");
        sb.append("Run on ").append(started.truncatedTo(ChronoUnit.SECONDS)).append(" with `bench/run ").append(settings)
                .append("`: ").append(Runtime.getRuntime().availableProcessors()).append(" cores, ")
                .append(ManagementFactory.getOperatingSystemMXBean().getArch()).append(", Java ")
                .append(System.getProperty("java.version")).append(".\n\n");
        sb.append("| figure | value | unit | how it was measured |\n|---|---:|---|---|\n");
        for (Figure f : figures) {
            sb.append("| `").append(f.name()).append("` | ").append(f.formattedValue()).append(" | ").append(f.unit())
                    .append(" | ").append(f.method().replace("|", "\\|")).append(" |\n");
        }
        if (!notes.isEmpty()) {
            sb.append('\n');
            notes.forEach(n -> sb.append("- ").append(n).append('\n'));
        }
        sb.append(END).append('\n');
        return sb.toString();
    }

    /** Replaces the run section of {@code page} (creating the page or the section if needed). */
    public void writeInto(Path page, String settings) throws IOException {
        String section = markdown(settings);
        String text = Files.exists(page) ? Files.readString(page, StandardCharsets.UTF_8) : "# walvault performance\n\n";
        int b = text.indexOf(BEGIN);
        int e = text.indexOf(END);
        String updated = b >= 0 && e > b
                ? text.substring(0, b) + section + text.substring(e + END.length()).replaceFirst("^\n", "")
                : text + (text.endsWith("\n") ? "\n" : "\n\n") + section;
        Files.writeString(page, updated, StandardCharsets.UTF_8);
    }
}
