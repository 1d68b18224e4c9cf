package io.walvault.core.config;

import static java.util.Objects.requireNonNull;

import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where a setting comes from, in the one precedence walvault has (docs/ARCHITECTURE.md,
 * "Configuration"):
 *
 * <pre>
 *   command-line flag  --s3-region eu-west-1
 *   &gt; environment      WALVAULT_S3_REGION=eu-west-1
 *   &gt; config file      s3-region = eu-west-1        (the file given by --config or WALVAULT_CONFIG)
 *   &gt; default
 * </pre>
 *
 * Names are kebab-case; the environment name is {@code WALVAULT_} plus the name in upper case
 * with {@code _} for {@code -}. The config file has one {@code name = value} per line and
 * {@code #} comments; an unknown name in it is an error (a typo must not silently fall back to a
 * default). The names known are core's ({@link SettingNames#CORE}) and those the caller's modules
 * declare ({@link #load(SettingNames, Map, Path, Map)}). Secrets ({@link SettingNames#isSecret})
 * are refused as flags, which other users can see in the process list, and a config file holding
 * one must not be readable by group or others. Immutable.
 */
public final class Settings {

    private final SettingNames known;
    private final Map<String, String> flags;
    private final Map<String, String> env;
    private final Map<String, String> file;
    private final Path configFile;

    private Settings(SettingNames known, Map<String, String> flags, Map<String, String> env, Map<String, String> file,
                     Path configFile) {
        this.known = known;
        this.flags = flags;
        this.env = env;
        this.file = file;
        this.configFile = configFile;
    }

    /**
     * Reads core's settings ({@link SettingNames#CORE}): {@code flags} (name to value, only those
     * given), the process environment {@code environment}, and the config file named by the
     * {@code config} flag or {@code WALVAULT_CONFIG}.
     */
    public static Settings load(Map<String, String> flags, Path configFlag, Map<String, String> environment) {
        return load(SettingNames.CORE, flags, configFlag, environment);
    }

    /**
     * Reads the settings named by core and by {@code names} (what the caller's modules declare):
     * {@code flags} (name to value, only those given), the process environment
     * {@code environment}, and the config file named by the {@code config} flag or
     * {@code WALVAULT_CONFIG}, where any other name is an error.
     */
    public static Settings load(SettingNames names, Map<String, String> flags, Path configFlag, Map<String, String> environment) {
        requireNonNull(flags, "flags is null");
        requireNonNull(environment, "environment is null");
        SettingNames known = SettingNames.CORE.and(requireNonNull(names, "names is null"));
        Map<String, String> f = new LinkedHashMap<>();
        flags.forEach((k, v) -> {
            if (v == null) {
                return;
            }
            if (!known.contains(k)) {
                throw new WalvaultException(ErrorCode.INTERNAL, "unknown setting '" + k + "'");
            }
            if (known.isSecret(k)) {
                throw new WalvaultException(ErrorCode.CONFIG, "'" + k + "' cannot be given on the command line"
                        + " HINT: set " + envName(k) + " or put it in the config file");
            }
            f.put(k, v);
        });
        Map<String, String> e = new LinkedHashMap<>();
        for (String name : known.names()) {
            String v = environment.get(envName(name));
            if (v != null && !v.isEmpty()) {
                e.put(name, v);
            }
        }
        Path config = configFlag != null ? configFlag
                : Optional.ofNullable(environment.get("WALVAULT_CONFIG")).filter(s -> !s.isEmpty()).map(Path::of).orElse(null);
        Map<String, String> c = config == null ? Map.of() : readConfigFile(config, known);
        return new Settings(known, f, e, c, config);
    }

    /** {@code WALVAULT_S3_REGION} for {@code s3-region}. */
    public static String envName(String name) {
        return "WALVAULT_" + name.toUpperCase(Locale.ROOT).replace('-', '_');
    }

    static Map<String, String> readConfigFile(Path path, SettingNames known) {
        List<String> lines;
        try {
            lines = Files.readAllLines(path, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new WalvaultException(ErrorCode.CONFIG, "cannot read config file '" + path + "': " + e.getMessage(), e);
        }
        Map<String, String> m = new LinkedHashMap<>();
        int n = 0;
        for (String raw : lines) {
            n++;
            String line = raw.strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            int eq = line.indexOf('=');
            if (eq <= 0) {
                throw new WalvaultException(ErrorCode.CONFIG, "config file '" + path + "' line " + n
                        + " is not 'name = value'");
            }
            String name = line.substring(0, eq).strip();
            String value = line.substring(eq + 1).strip();
            if (!known.contains(name)) {
                throw new WalvaultException(ErrorCode.CONFIG, "config file '" + path + "' line " + n + ": unknown setting '"
                        + name + "'");
            }
            if (m.put(name, value) != null) {
                throw new WalvaultException(ErrorCode.CONFIG, "config file '" + path + "' line " + n + ": '" + name
                        + "' is set twice");
            }
        }
        if (m.keySet().stream().anyMatch(known::isSecret)) {
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
        return m;
    }

    /** The value of {@code name} by precedence, if set anywhere. */
    public Optional<String> get(String name) {
        if (!known.contains(name)) {
            throw new WalvaultException(ErrorCode.INTERNAL, "unknown setting '" + name + "'");
        }
        String v = flags.get(name);
        if (v == null) {
            v = env.get(name);
        }
        if (v == null) {
            v = file.get(name);
        }
        return Optional.ofNullable(v);
    }

    private static final Pattern SIZE = Pattern.compile("([0-9]{1,15})\\s*(|B|[kK]B?|MB?|GB?|TB?)");

    /**
     * A size setting, in bytes: a number of bytes, or a number with a unit ({@code 512MB},
     * {@code 4GB}, {@code 1TB}; {@code k}, {@code M}, {@code G}, {@code T} alone too; units are
     * powers of 1024, as in PostgreSQL's settings). Empty when unset.
     */
    public OptionalLong size(String name) {
        Optional<String> v = get(name);
        if (v.isEmpty()) {
            return OptionalLong.empty();
        }
        Matcher m = SIZE.matcher(v.get().trim());
        if (!m.matches()) {
            throw new WalvaultException(ErrorCode.CONFIG, name + " '" + v.get() + "' (from " + source(name) + ") is not a size",
                    "write bytes, or a number with kB, MB, GB or TB (8GB)", null);
        }
        long unit = switch (m.group(2).isEmpty() ? ' ' : Character.toUpperCase(m.group(2).charAt(0))) {
            case 'K' -> 1L << 10;
            case 'M' -> 1L << 20;
            case 'G' -> 1L << 30;
            case 'T' -> 1L << 40;
            default -> 1L;
        };
        return OptionalLong.of(Long.parseLong(m.group(1)) * unit);
    }

    /** A whole-number setting, or {@code otherwise} when unset. */
    public int integer(String name, int otherwise) {
        Optional<String> v = get(name);
        if (v.isEmpty()) {
            return otherwise;
        }
        try {
            return Integer.parseInt(v.get().trim());
        } catch (NumberFormatException e) {
            throw new WalvaultException(ErrorCode.CONFIG, name + " '" + v.get() + "' (from " + source(name) + ") is not a number");
        }
    }

    /** The {@code system-identifier} setting (the cluster walvault is told to expect), empty when unset. */
    public OptionalLong systemIdentifier() {
        Optional<String> v = get("system-identifier");
        if (v.isEmpty()) {
            return OptionalLong.empty();
        }
        try {
            return OptionalLong.of(Long.parseUnsignedLong(v.get().trim()));
        } catch (NumberFormatException e) {
            throw new WalvaultException(ErrorCode.CONFIG, "system-identifier '" + v.get() + "' (from " + source("system-identifier")
                    + ") is not a number HINT: use the 'Database system identifier' that pg_controldata prints");
        }
    }

    /** Where {@code name}'s value comes from, for messages ("--s3-region", "WALVAULT_S3_REGION", "config file '...'"). */
    public String source(String name) {
        if (flags.containsKey(name)) {
            return "--" + name;
        }
        if (env.containsKey(name)) {
            return envName(name);
        }
        if (file.containsKey(name)) {
            return "'" + name + "' in config file '" + configFile + "'";
        }
        return "the default of '" + name + "'";
    }

    /** The names these settings know (core's and those given to {@link #load(SettingNames, Map, Path, Map)}), sorted. */
    public Set<String> names() {
        return known.names();
    }

    public Optional<Path> configFile() {
        return Optional.ofNullable(configFile);
    }

    @Override
    public String toString() {
        return "Settings[flags=" + flags.keySet() + ", env=" + env.keySet() + ", file=" + file.keySet() + "]";
    }
}
