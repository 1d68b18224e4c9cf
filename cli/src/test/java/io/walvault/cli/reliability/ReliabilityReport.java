package io.walvault.cli.reliability;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * Writes docs/RELIABILITY.md from the records the reliability scenarios left in
 * cli/target/reliability ({@link ScenarioRecord}). Run by {@code bin/reliability}, which runs the
 * suite first:
 * <pre>
 * java -cp cli/target/test-classes:cli/target/walvault.jar io.walvault.cli.reliability.ReliabilityReport \
 *     cli/target/reliability docs/RELIABILITY.md [SUITE-SECONDS]
 * </pre>
 */
public final class ReliabilityReport {

    /** A scenario as the report describes it: its test and what it proves. */
    private record Scenario(String id, String test, String proves) {
    }

    private static final List<Scenario> SCENARIOS = List.of(
            new Scenario("s3-faults", "S3FaultsReliabilityIT",
                    "archive_command pushes through S3 faults (throttling and 5xx bursts, resets mid-request and mid-response,"
                    + " an answer stalled past the client's timeout, a late write); PostgreSQL retries what failed; a restore"
                    + " read through faults on its GETs (a listing reset mid-body, bodies cut short, reset or corrupted)"
                    + " equals the truth exactly"),
            new Scenario("late-manifest", "LateManifestReliabilityIT",
                    "a backup whose manifest PUT lands only after the backup gave up fails with a documented exit code and"
                    + " is never listed; a default restore uses the previous good backup and equals the truth; expire"
                    + " keeps the good backup and its WAL"),
            new Scenario("store-outage", "StoreOutageReliabilityIT",
                    "a store outage in the middle of a restored server's recovery stops it (restore_command 150, walvault's"
                    + " reason in the server log) instead of promoting; started again after the outage, it recovers to the truth"),
            new Scenario("corrupt-wal", "CorruptWalReliabilityIT",
                    "a WAL object with a flipped byte is named by verify --all and stops recovery instead of a promotion"
                    + " with rows missing; repaired and started again, the server equals the truth"),
            new Scenario("kill-9", "KilledProcessesReliabilityIT",
                    "archive-push killed (-9) mid-upload and after publishing, backup killed mid-stream: nothing lost, no"
                    + " backup listed for the killed one, expire keeps its leftovers within the grace period and keeps the"
                    + " good backup and its WAL, the restore equals the truth"),
            new Scenario("rpo-zero", "SynchronousAgentReliabilityIT",
                    "with the synchronous agent, every commit acknowledged before kill -9 of the postmaster is in a default"
                    + " restore of a backup taken before the load (the newest .partial served)"),
            new Scenario("full-fs-repository", "FullDiskReliabilityIT",
                    "the local repository's file system full: archive-push fails while it is, PostgreSQL keeps the WAL,"
                    + " archiving catches up once space is freed, the restore equals the truth (root only: a tmpfs)"),
            new Scenario("full-fs-pgdata", "FullDiskReliabilityIT",
                    "the restored server's file system full: archive-get cannot write, recovery stops (150) instead of"
                    + " promoting; with space freed it recovers to the truth (root only: a tmpfs)"),
            new Scenario("damaged-backups", "DamagedBackupReliabilityIT",
                    "a damaged bundle makes restore of that backup fail loudly and verify name it, while an older intact"
                    + " backup restores to the truth; a damaged manifest of one backup leaves info, verify and restore of"
                    + " another working"),
            new Scenario("wal-repair", "WalRepairReliabilityIT",
                    "a WAL object lost from the repository and pushed again by hand from the primary's pg_wal (the repair"
                    + " archive-get's hint asks for) is stored again, and the server that stopped at the gap recovers to the truth"),
            new Scenario("kill-9-leftovers", "KilledBackupLeftoversReliabilityIT",
                    "what a backup killed mid-stream leaves in the repository (its temporary files included) is removed by"
                    + " expire once older than the grace period; the good backup restores to the truth"),
            new Scenario("kill-9-expire", "KilledExpireReliabilityIT",
                    "expire on S3 killed (-9) again and again while one of its requests is held (removing backups, the"
                    + " chunk sweep, WAL): after every kill verify --all passes and the newest backup is listed; a final run"
                    + " leaves only the newest backup, whose restore equals the truth"));

    private ReliabilityReport() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length < 2) {
            System.err.println("usage: ReliabilityReport RECORDS-DIR OUTPUT.md [SUITE-SECONDS]");
            System.exit(2);
        }
        Path dir = Path.of(args[0]);
        Path out = Path.of(args[1]);
        Double suiteSeconds = args.length > 2 ? Double.valueOf(args[2]) : null;
        Map<String, Map<Integer, JsonNode>> records = new LinkedHashMap<>();
        ObjectMapper json = new ObjectMapper();
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : s.filter(f -> f.toString().endsWith(".json")).sorted().toList()) {
                JsonNode r = json.readTree(p.toFile());
                records.computeIfAbsent(r.get("scenario").asText(), k -> new TreeMap<>()).put(r.get("pgMajor").asInt(), r);
            }
        }
        if (records.isEmpty()) {
            System.err.println("no scenario records in " + dir + ": run the reliability suite first");
            System.exit(1);
        }
        String report = render(records, suiteSeconds);
        Files.writeString(out, report, StandardCharsets.UTF_8);
        System.out.println("wrote " + out + " from " + records.size() + " scenarios");
        boolean failed = records.values().stream().flatMap(m -> m.values().stream())
                .anyMatch(r -> "failed".equals(r.get("result").asText()));
        System.exit(failed ? 1 : 0);
    }

    static String render(Map<String, Map<Integer, JsonNode>> records, Double suiteSeconds) {
        TreeSet<Integer> majors = new TreeSet<>();
        TreeSet<String> versions = new TreeSet<>();
        Instant first = null;
        Map<Integer, Double> perMajor = new TreeMap<>();
        for (Map<Integer, JsonNode> m : records.values()) {
            for (var e : m.entrySet()) {
                majors.add(e.getKey());
                versions.add(e.getValue().get("pgVersion").asText());
                Instant started = Instant.parse(e.getValue().get("started").asText());
                first = first == null || started.isBefore(first) ? started : first;
                perMajor.merge(e.getKey(), e.getValue().get("seconds").asDouble(), Double::sum);
            }
        }
        StringBuilder sb = new StringBuilder();
        sb.append("# Reliability\n\n");
        sb.append("<!-- generated by bin/reliability from cli/target/reliability/*.json; do not edit by hand -->\n\n");
        sb.append("What walvault promises when things break, checked the way an SRE would break them: faults are injected"
                + " into real runs (real PostgreSQL servers, the built `bin/walvault`, S3 through a fault-injecting proxy,"
                + " kill -9, full file systems, damaged objects), and every scenario ends with a restore that is started"
                + " and compared row by row with the truth: the ids a client recorded only after PostgreSQL acknowledged"
                + " their commit (`CommitLog` in testkit). A restore is **exact** when it holds every acknowledged row with"
                + " its content and nothing else; **complete** (RPO 0 after a crash) when it holds every acknowledged row"
                + " and nothing that was never written (commits in flight at the crash may be there or not).\n\n");
        sb.append("Regenerate this page (runs the suite, then writes this file):\n\n```sh\nbin/reliability"
                + "                      # PostgreSQL 14 and 18\nbin/reliability -Dpg.versions=15,17   # other majors\n"
                + "bin/reliability -Dwalvault.reliability.soak=5   # soak: five times the data per scenario\n```\n\n");
        sb.append("The scenarios are ordinary integration tests (`*ReliabilityIT` in `cli/src/test/java/io/walvault/cli/"
                + "reliability`), so `mvn -B verify` runs them too. Each writes `cli/target/reliability/<scenario>-pg<major>.json`"
                + " with the faults it injected (and how often each actually fired: a fault that never fired fails the test),"
                + " the restores it compared and their results, and its duration.\n\n");
        sb.append("## Latest run\n\n");
        sb.append("- date: ").append(first == null ? "?" : DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'", Locale.ROOT)
                .withZone(ZoneOffset.UTC).format(first)).append('\n');
        sb.append("- PostgreSQL: ").append(String.join(", ", versions)).append('\n');
        if (suiteSeconds != null) {
            sb.append("- suite wall time (both majors, build excluded): ").append(duration(suiteSeconds)).append('\n');
        }
        perMajor.forEach((m, s) -> sb.append("- scenario time on PostgreSQL ").append(m).append(": ").append(duration(s)).append('\n'));
        sb.append("- machine: 2 cores, shared\n\n");

        sb.append("| # | scenario | what it proves |");
        majors.forEach(m -> sb.append(" PG ").append(m).append(" |"));
        sb.append("\n|---|---|---|");
        majors.forEach(m -> sb.append("---|"));
        sb.append('\n');
        List<String> order = new ArrayList<>();
        SCENARIOS.forEach(s -> order.add(s.id()));
        records.keySet().stream().filter(id -> !order.contains(id)).forEach(order::add);
        int n = 0;
        for (String id : order) {
            Map<Integer, JsonNode> m = records.get(id);
            if (m == null) {
                continue;
            }
            n++;
            sb.append("| ").append(n).append(" | [").append(id).append("](#").append(id).append(") | ")
                    .append(describe(id).proves()).append(" |");
            for (int major : majors) {
                JsonNode r = m.get(major);
                sb.append(' ').append(r == null ? "not run" : r.get("result").asText() + " (" + duration(r.get("seconds").asDouble()) + ")")
                        .append(" |");
            }
            sb.append('\n');
        }
        sb.append("\n## Scenarios\n");
        for (String id : order) {
            Map<Integer, JsonNode> m = records.get(id);
            if (m == null) {
                continue;
            }
            Scenario s = describe(id);
            JsonNode any = m.values().iterator().next();
            sb.append("\n### ").append(id).append("\n\n");
            sb.append("**").append(any.get("title").asText()).append("** (`").append(s.test()).append("`): ").append(s.proves())
                    .append(".\n\n");
            sb.append("Faults injected:\n\n| PG | fault | how | fired |\n|---|---|---|---|\n");
            for (var e : m.entrySet()) {
                for (JsonNode f : e.getValue().get("faults")) {
                    sb.append("| ").append(e.getKey()).append(" | ").append(cell(f.get("kind").asText())).append(" | ")
                            .append(cell(f.get("how").asText())).append(" | ").append(f.get("fired").asInt()).append(" |\n");
                }
            }
            sb.append("\nRestores compared with the truth:\n\n| PG | restore | how | expected | present | missing | extra"
                    + " | wrong content | in flight present | result |\n|---|---|---|---|---|---|---|---|---|---|\n");
            for (var e : m.entrySet()) {
                for (JsonNode r : e.getValue().get("restores")) {
                    sb.append("| ").append(e.getKey()).append(" | ").append(cell(r.get("name").asText())).append(" | ")
                            .append(cell(r.get("how").asText())).append(" | ").append(r.get("expected").asInt()).append(" | ")
                            .append(r.get("present").asInt()).append(" | ").append(r.get("missing").asInt()).append(" | ")
                            .append(r.get("extra").asInt()).append(" | ").append(r.get("wrongContent").asInt()).append(" | ")
                            .append(r.get("inFlightPresent").asInt()).append(" | ").append(r.get("result").asText()).append(" |\n");
                }
            }
            sb.append("\nObserved:\n\n");
            for (var e : m.entrySet()) {
                JsonNode r = e.getValue();
                sb.append("- PG ").append(e.getKey()).append(" (").append(r.get("result").asText()).append(", ")
                        .append(duration(r.get("seconds").asDouble())).append(")");
                if (r.has("skipReason")) {
                    sb.append(": skipped: ").append(r.get("skipReason").asText());
                }
                sb.append('\n');
                for (JsonNode note : r.get("notes")) {
                    sb.append("  - ").append(note.asText()).append('\n');
                }
                if (r.has("timeline") && !r.get("timeline").isEmpty()) {
                    List<String> steps = new ArrayList<>();
                    r.get("timeline").forEach(t -> steps.add(t.asText()));
                    sb.append("  - timeline (seconds from the start): ").append(String.join(", ", steps)).append('\n');
                }
            }
        }
        return sb.toString();
    }

    private static Scenario describe(String id) {
        return SCENARIOS.stream().filter(s -> s.id().equals(id)).findFirst().orElse(new Scenario(id, "?", "(no description)"));
    }

    private static String cell(String s) {
        return s.replace("|", "\\|").replace("\n", " ");
    }

    private static String duration(double seconds) {
        return seconds >= 90 ? String.format(Locale.ROOT, "%d min %02d s", (long) seconds / 60, (long) seconds % 60)
                : String.format(Locale.ROOT, "%.0f s", seconds);
    }
}
