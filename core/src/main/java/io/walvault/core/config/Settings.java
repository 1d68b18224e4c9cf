package io.walvault.core.config;

import static java.util.Objects.requireNonNull;

import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
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
 *   &gt; [cluster NAME]   s3-region = eu-west-1        (the section --cluster or WALVAULT_CLUSTER selects)
 *   &gt; config file      s3-region = eu-west-1        (its global part: the lines before the first section)
 *   &gt; default
 * </pre>
 *
 * The config file is the one given by --config or WALVAULT_CONFIG ({@link ConfigFile}). Names
 * are kebab-case; the environment name is {@code WALVAULT_} plus the name in upper case with
 * {@code _} for {@code -}. The names known are core's ({@link SettingNames#CORE}) and those the
 * caller's modules declare ({@link #load(SettingNames, Map, Path, Map)}); an unknown name in the
 * file is an error. Secrets ({@link SettingNames#isSecret}) are refused as flags, which other
 * users can see in the process list, and a config file holding one must not be readable by group
 * or others. Every value knows its {@linkplain #source source} for messages. Immutable.
 */
public final class Settings {

    /** The environment variable that selects a section when --cluster is not given. */
    public static final String CLUSTER_ENV = "WALVAULT_CLUSTER";

    private final SettingNames known;
    private final Map<String, String> flags;
    private final Map<String, String> env;
    private final ConfigFile file;
    private final Optional<String> cluster;
    private final String clusterSource;

    private Settings(SettingNames known, Map<String, String> flags, Map<String, String> env, ConfigFile file,
                     Optional<String> cluster, String clusterSource) {
        this.known = known;
        this.flags = flags;
        this.env = env;
        this.file = file;
        this.cluster = cluster;
        this.clusterSource = clusterSource;
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
     * {@code WALVAULT_CONFIG}, where any other name is an error. The section is the one
     * {@code WALVAULT_CLUSTER} selects, if any.
     */
    public static Settings load(SettingNames names, Map<String, String> flags, Path configFlag, Map<String, String> environment) {
        return load(names, flags, configFlag, null, environment);
    }

    /**
     * As {@link #load(SettingNames, Map, Path, Map)}, with the {@code [cluster NAME]} section
     * {@code clusterFlag} (the {@code --cluster} option; null: {@code WALVAULT_CLUSTER}, else none)
     * winning over the file's global part. A cluster without a config file, or without its
     * section in it, is an error.
     */
    public static Settings load(SettingNames names, Map<String, String> flags, Path configFlag, String clusterFlag,
                                Map<String, String> environment) {
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
        ConfigFile c = config == null ? null : ConfigFile.read(config, known);
        String clusterSource = clusterFlag != null ? "--cluster" : CLUSTER_ENV;
        Optional<String> cluster = Optional.ofNullable(clusterFlag != null ? clusterFlag : environment.get(CLUSTER_ENV))
                .map(String::strip).filter(s -> !s.isEmpty());
        if (cluster.isPresent()) {
            if (c == null) {
                throw new WalvaultException(ErrorCode.CONFIG, "cluster '" + cluster.get() + "' (from " + clusterSource
                        + ") needs a config file to hold its [cluster " + cluster.get() + "] section HINT: pass --config FILE"
                        + " or set WALVAULT_CONFIG");
            }
            if (!c.hasSection(cluster.get())) {
                throw new WalvaultException(ErrorCode.CONFIG, "config file '" + config + "' has no [cluster " + cluster.get()
                        + "] section (cluster from " + clusterSource + ") HINT: " + SimilarNames.closest(cluster.get(), c.sections())
                        .map(s -> "did you mean '" + s + "'? ").orElse("") + (c.sections().isEmpty() ? "the file has no sections"
                        : "its sections are " + String.join(", ", c.sections())));
            }
        }
        return new Settings(known, f, e, c, cluster, clusterSource);
    }

    /** {@code WALVAULT_S3_REGION} for {@code s3-region}. */
    public static String envName(String name) {
        return "WALVAULT_" + name.toUpperCase(Locale.ROOT).replace('-', '_');
    }

    /** The file's entry for {@code name}: the selected section's, else the global part's. */
    private Optional<ConfigFile.Entry> fromFile(String name) {
        if (file == null) {
            return Optional.empty();
        }
        if (cluster.isPresent()) {
            Optional<ConfigFile.Entry> inSection = file.inSection(cluster.get(), name);
            if (inSection.isPresent()) {
                return inSection;
            }
        }
        return file.global(name);
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
            return fromFile(name).map(ConfigFile.Entry::value);
        }
        return Optional.of(v);
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

    /**
     * Where {@code name}'s value comes from, for messages: {@code --s3-region},
     * {@code WALVAULT_S3_REGION}, {@code 's3-region' in config file '/etc/walvault/main.conf' line 4}
     * or {@code 's3-region' in [cluster main] of config file '/etc/walvault/main.conf' line 9}.
     */
    public String source(String name) {
        if (flags.containsKey(name)) {
            return "--" + name;
        }
        if (env.containsKey(name)) {
            return envName(name);
        }
        Optional<ConfigFile.Entry> f = fromFile(name);
        if (f.isPresent()) {
            return "'" + name + "' in " + (f.get().section() == null ? "" : "[cluster " + f.get().section() + "] of ")
                    + "config file '" + file.path() + "' line " + f.get().line();
        }
        return "the default of '" + name + "'";
    }

    /** The {@code [cluster NAME]} section selected (by --cluster or WALVAULT_CLUSTER), if any. */
    public Optional<String> cluster() {
        return cluster;
    }

    /** Where the cluster came from: {@code --cluster} or {@code WALVAULT_CLUSTER}. */
    public String clusterSource() {
        return clusterSource;
    }

    /** The names these settings know (core's and those given to {@link #load(SettingNames, Map, Path, Map)}), sorted. */
    public Set<String> names() {
        return known.names();
    }

    public Optional<Path> configFile() {
        return Optional.ofNullable(file).map(ConfigFile::path);
    }

    @Override
    public String toString() {
        return "Settings[flags=" + flags.keySet() + ", env=" + env.keySet() + ", file=" + configFile().orElse(null)
                + cluster.map(c -> ", cluster=" + c).orElse("") + "]";
    }
}
