package io.walvault.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Properties;

/**
 * A supported PostgreSQL major version and the embedded binaries that stand for it.
 *
 * <p>The versions the tests run against come from the system property {@code pg.versions}
 * (a comma-separated list of majors, or {@code all}); the build passes the Maven property of
 * the same name, which defaults to the oldest and the newest supported major.
 */
public record PgVersion(int major, String binariesVersion) implements Comparable<PgVersion> {

    /** Every major walvault supports, oldest first. */
    public static final List<Integer> SUPPORTED_MAJORS = List.of(14, 15, 16, 17, 18);

    public PgVersion {
        if (!SUPPORTED_MAJORS.contains(major)) {
            throw new IllegalArgumentException("unsupported PostgreSQL major " + major
                    + "; supported: " + SUPPORTED_MAJORS);
        }
        if (binariesVersion == null || !binariesVersion.startsWith(major + ".")) {
            throw new IllegalArgumentException("binaries version '" + binariesVersion
                    + "' does not belong to major " + major);
        }
    }

    /** The version for a major, with the binaries the build pinned. */
    public static PgVersion of(int major) {
        String binaries = TestkitProperties.get().getProperty("pg.binaries." + major);
        if (binaries == null) {
            throw new IllegalArgumentException("unsupported PostgreSQL major " + major
                    + "; supported: " + SUPPORTED_MAJORS);
        }
        return new PgVersion(major, binaries);
    }

    /** The newest supported major. */
    public static PgVersion newest() {
        return of(SUPPORTED_MAJORS.get(SUPPORTED_MAJORS.size() - 1));
    }

    /**
     * Whether this is the newest of the versions selected for this run: a scenario whose part
     * PostgreSQL handles alike on every major runs that part there only, to keep the suite short.
     */
    public boolean newestSelected() {
        return selected().stream().max(Comparator.naturalOrder()).map(this::equals).orElse(true);
    }

    /** The versions selected for this run by {@code -Dpg.versions}. */
    public static List<PgVersion> selected() {
        return parse(System.getProperty("pg.versions", "14,18"));
    }

    static List<PgVersion> parse(String spec) {
        String s = spec.trim().toLowerCase(Locale.ROOT);
        List<PgVersion> out = new ArrayList<>();
        if (s.isEmpty() || s.equals("all")) {
            SUPPORTED_MAJORS.forEach(m -> out.add(of(m)));
            return out;
        }
        for (String part : s.split(",")) {
            String p = part.trim();
            if (p.isEmpty()) {
                continue;
            }
            int major;
            try {
                major = Integer.parseInt(p);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("pg.versions: '" + p + "' is not a PostgreSQL major"
                        + " version; use a list such as 14,18 or 'all'", e);
            }
            PgVersion v = of(major);
            if (!out.contains(v)) {
                out.add(v);
            }
        }
        out.sort(null);
        return out;
    }

    @Override
    public int compareTo(PgVersion o) {
        return Integer.compare(major, o.major);
    }

    @Override
    public String toString() {
        return "PostgreSQL " + major + " (" + binariesVersion + ")";
    }

    /** The build-time facts of the testkit (filtered resource). */
    static final class TestkitProperties {
        private static volatile Properties props;

        private TestkitProperties() {
        }

        static Properties get() {
            Properties p = props;
            if (p == null) {
                p = new Properties();
                try (InputStream in = PgVersion.class.getResourceAsStream("testkit.properties")) {
                    if (in == null) {
                        throw new IllegalStateException("testkit.properties is missing from the classpath;"
                                + " build the testkit module with Maven");
                    }
                    p.load(in);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                props = p;
            }
            return p;
        }
    }
}
