package io.walvault.core.config;

import static java.util.Objects.requireNonNull;

import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A walvault config file, read: {@code name = value} lines, {@code #} comments, and
 * {@code [cluster NAME]} sections. The lines before the first section are the file's global
 * part; a section's lines hold the settings of one cluster (one PostgreSQL server) and win over
 * the global part when the section is selected. Any name the {@code known} names do not hold is
 * an error naming the file, the line and the closest known name: a mistyped name would otherwise
 * be a setting the operator believes in force (a mistyped {@code s3-sse} or
 * {@code system-identifier} would quietly weaken a protection). A file that holds a secret must
 * be its owner's alone. Immutable.
 */
public final class ConfigFile {

    /** The characters of a section's name: also what {@code --cluster} and the identity file accept. */
    public static final Pattern CLUSTER_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

    private static final Pattern SECTION = Pattern.compile("\\[\\s*cluster\\s+(\\S+)\\s*]");

    /**
     * One setting's value and the line that gave it.
     *
     * @param value   as written, without the blanks around it
     * @param line    its line number, from 1
     * @param section the section it stands in, or null for the global part
     */
    public record Entry(String value, int line, String section) {
        public Entry {
            requireNonNull(value, "value is null");
        }
    }

    private final Path path;
    private final Map<String, Entry> global;
    private final Map<String, Map<String, Entry>> sections;

    private ConfigFile(Path path, Map<String, Entry> global, Map<String, Map<String, Entry>> sections) {
        this.path = path;
        this.global = global;
        this.sections = sections;
    }

    /** Reads and checks {@code path}; every problem is a {@code CONFIG} error naming the file and line. */
    public static ConfigFile read(Path path, SettingNames known) {
        requireNonNull(path, "path is null");
        requireNonNull(known, "known is null");
        List<String> lines;
        try {
            lines = new ArrayList<>(Files.readAllLines(path, StandardCharsets.UTF_8));
        } catch (CharacterCodingException e) {
            throw new WalvaultException(ErrorCode.CONFIG, "config file '" + path + "' is not UTF-8 text HINT: save it as UTF-8"
                    + " (names and values are ASCII but for paths and labels)", e);
        } catch (IOException e) {
            throw new WalvaultException(ErrorCode.CONFIG, "cannot read config file '" + path + "': " + e.getMessage(), e);
        }
        if (!lines.isEmpty() && lines.get(0).startsWith("\uFEFF")) {
            lines.set(0, lines.get(0).substring(1)); // the byte-order mark some editors write first
        }
        Map<String, Entry> global = new LinkedHashMap<>();
        Map<String, Map<String, Entry>> sections = new LinkedHashMap<>();
        Map<String, Entry> current = global;
        String section = null;
        boolean secret = false;
        for (TextLines.Line l : TextLines.meaningful(lines)) {
            int n = l.number();
            String line = l.text();
            if (line.startsWith("[")) {
                Matcher m = SECTION.matcher(line);
                if (!m.matches()) {
                    throw error(path, n, "'" + line + "' is not a section walvault knows HINT: a section is [cluster NAME]");
                }
                section = m.group(1);
                if (!CLUSTER_NAME.matcher(section).matches()) {
                    throw error(path, n, "'" + section + "' is not a cluster name HINT: use letters, digits, '.', '_' and '-'");
                }
                if (sections.containsKey(section)) {
                    throw error(path, n, "[cluster " + section + "] appears twice");
                }
                current = new LinkedHashMap<>();
                sections.put(section, current);
                continue;
            }
            int eq = line.indexOf('=');
            if (eq <= 0) {
                throw error(path, n, "is not 'name = value'");
            }
            String name = line.substring(0, eq).strip();
            String value = line.substring(eq + 1).strip();
            if (name.equals("cluster")) {
                throw error(path, n, "'cluster' chooses a section and is not a setting HINT: pass --cluster NAME or set"
                        + " WALVAULT_CLUSTER");
            }
            if (!known.contains(name)) {
                throw error(path, n, "unknown setting '" + name + "'" + SimilarNames.hint(name, known.names())
                        .map(h -> " HINT: " + h).orElse(""));
            }
            if (current.put(name, new Entry(value, n, section)) != null) {
                throw error(path, n, "'" + name + "' is set twice" + (section == null ? "" : " in [cluster " + section + "]"));
            }
            secret |= known.isSecret(name);
        }
        if (secret) {
            requirePrivate(path);
        }
        return new ConfigFile(path, Collections.unmodifiableMap(global), Collections.unmodifiableMap(sections));
    }

    private static void requirePrivate(Path path) {
        try {
            Set<PosixFilePermission> p = Files.getPosixFilePermissions(path);
            if (p.stream().anyMatch(x -> x.name().startsWith("GROUP") || x.name().startsWith("OTHERS"))) {
                throw new WalvaultException(ErrorCode.CONFIG, "config file '" + path + "' holds a secret and is readable"
                        + " by others HINT: chmod 600 '" + path + "'");
            }
        } catch (UnsupportedOperationException | IOException ignored) {
            // not a POSIX file system: nothing to check
        }
    }

    private static WalvaultException error(Path path, int line, String what) {
        return new WalvaultException(ErrorCode.CONFIG, "config file '" + path + "' line " + line + ": " + what);
    }

    public Path path() {
        return path;
    }

    /** The setting in the global part. */
    public Optional<Entry> global(String name) {
        return Optional.ofNullable(global.get(name));
    }

    /** The setting in section {@code cluster}, which must exist. */
    public Optional<Entry> inSection(String cluster, String name) {
        Map<String, Entry> s = sections.get(cluster);
        if (s == null) {
            throw new IllegalArgumentException("no section " + cluster);
        }
        return Optional.ofNullable(s.get(name));
    }

    /** Whether there is a {@code [cluster NAME]} section. */
    public boolean hasSection(String cluster) {
        return sections.containsKey(cluster);
    }

    /** The sections' names, in the file's order. */
    public Set<String> sections() {
        return sections.keySet();
    }
}
