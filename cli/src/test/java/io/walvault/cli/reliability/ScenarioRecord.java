package io.walvault.cli.reliability;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.walvault.testkit.CommitLog;
import io.walvault.testkit.FaultRule;
import io.walvault.testkit.PgHarness;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What one reliability scenario did on one PostgreSQL major, written as one JSON object to
 * {@code cli/target/reliability/<scenario>-pg<major>.json} when it ends (passed or not): the
 * faults it injected and how often each fired, the restores it compared with the truth and
 * their result, and how long it took. {@link ReliabilityReport} turns these files into
 * docs/RELIABILITY.md.
 */
final class ScenarioRecord implements AutoCloseable {

    static final Path DIRECTORY = Rig.ROOT.resolve("cli/target/reliability");

    private final String id;
    private final String title;
    private final int major;
    private final String version;
    private final Instant started = Instant.now();
    private final List<Map<String, Object>> faults = new ArrayList<>();
    private final List<Map<String, Object>> restores = new ArrayList<>();
    private final List<String> notes = new ArrayList<>();
    private final List<String> timeline = new ArrayList<>();
    private boolean passed;
    private String skipped;

    ScenarioRecord(PgHarness pg, String id, String title) {
        this.id = id;
        this.title = title;
        this.major = pg.version().major();
        this.version = pg.version().toString();
    }

    String id() {
        return id;
    }

    /** A fault injected through the proxy: its rule's description and how often it fired. */
    void fault(String kind, FaultRule rule) {
        fault(kind, rule.toString(), rule.fired());
    }

    /** A fault injected otherwise (a kill, a full file system, a flipped byte), {@code count} times. */
    void fault(String kind, String how, int count) {
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("kind", kind);
        f.put("how", how);
        f.put("fired", count);
        faults.add(f);
    }

    /** A restore compared with the truth. */
    void restore(String name, String how, CommitLog.Comparison c, boolean ok) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("name", name);
        r.put("how", how);
        r.put("expected", c.expected());
        r.put("present", c.present());
        r.put("missing", c.missing().size());
        r.put("extra", c.extra().size());
        r.put("wrongContent", c.wrongContent().size());
        r.put("inFlightPresent", c.inFlightPresent());
        r.put("result", ok ? "ok" : "MISMATCH");
        restores.add(r);
    }

    /** Something the scenario observed that the report should show (an exit code, a log line). */
    void note(String text) {
        notes.add(text);
    }

    /** Marks the end of a step: its name and the seconds since the scenario started. */
    void lap(String step) {
        timeline.add(step + " " + Math.round(Duration.between(started, Instant.now()).toMillis() / 100.0) / 10.0 + " s");
    }

    void passed() {
        passed = true;
    }

    void skipped(String why) {
        skipped = why;
    }

    @Override
    public void close() {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("scenario", id);
        out.put("title", title);
        out.put("pgMajor", major);
        out.put("pgVersion", version);
        out.put("started", started.toString());
        out.put("seconds", Math.round(Duration.between(started, Instant.now()).toMillis() / 100.0) / 10.0);
        out.put("result", skipped != null ? "skipped" : passed ? "passed" : "failed");
        if (skipped != null) {
            out.put("skipReason", skipped);
        }
        out.put("faults", faults);
        out.put("restores", restores);
        out.put("notes", notes);
        out.put("timeline", timeline);
        try {
            Files.createDirectories(DIRECTORY);
            new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
                    .writeValue(DIRECTORY.resolve(id + "-pg" + major + ".json").toFile(), out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
