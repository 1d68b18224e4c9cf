package io.walvault.cli.options;

import io.walvault.core.config.Settings;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import picocli.CommandLine.IDefaultValueProvider;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Gives picocli, for each of a command's own options not on the command line, its value from the
 * environment ({@code WALVAULT_<NAME>}), the selected {@code [cluster NAME]} section or the
 * config file's global part ({@link Settings}' precedence), and remembers where each came from
 * for error messages. Options that are a module's setting (the repository's, archive-push's ...)
 * are left to {@link Settings} itself, which the commands read with the same precedence.
 */
public final class ConfigDefaults implements IDefaultValueProvider {

    private final Settings settings;
    private final List<String> args;
    /** Option name ({@code --checkpoint}) to where its value came from, for those this provider gave. */
    private final Map<String, String> given = new LinkedHashMap<>();

    private ConfigDefaults(Settings settings, String[] args) {
        this.settings = settings;
        this.args = List.of(args);
    }

    /**
     * The defaults for a command line: the config file it names ({@code --config FILE}, else
     * WALVAULT_CONFIG), its section ({@code --cluster NAME}, else WALVAULT_CLUSTER) and
     * {@code environment}.
     */
    public static ConfigDefaults of(String[] args, Map<String, String> environment) {
        Path config = optionValue(args, "--config").map(Path::of).orElse(null);
        String cluster = optionValue(args, "--cluster").orElse(null);
        return new ConfigDefaults(WalvaultSettings.load(Map.of(), config, cluster, environment), args);
    }

    /** The value of {@code option} ({@code --name VALUE} or {@code --name=VALUE}) before any {@code --}. */
    public static Optional<String> optionValue(String[] args, String option) {
        String value = null;
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--")) {
                break;
            }
            if (args[i].equals(option) && i + 1 < args.length) {
                value = args[++i];
            } else if (args[i].startsWith(option + "=")) {
                value = args[i].substring(option.length() + 1);
            }
        }
        return Optional.ofNullable(value);
    }

    @Override
    public String defaultValue(ArgSpec arg) {
        if (!(arg instanceof OptionSpec o) || o.hidden() || !o.longestName().startsWith("--")) {
            return null;
        }
        String name = o.longestName().substring(2);
        if (!CommandSettingNames.NAMES.contains(name) || CommandSettingNames.NOT_SETTINGS.contains(name)) {
            return null;
        }
        Optional<String> v = settings.get(name);
        v.ifPresent(x -> given.put(o.longestName(), settings.source(name)));
        return v.orElse(null);
    }

    /**
     * Where the value of {@code option} ({@code --checkpoint}) came from, when not from the
     * command line (picocli asks for every option's default, given or not).
     */
    public Optional<String> sourceOf(String option) {
        if (args.stream().anyMatch(a -> a.equals(option) || a.startsWith(option + "="))) {
            return Optional.empty();
        }
        return Optional.ofNullable(given.get(option));
    }

    /** The options whose values came from the environment or the config file. */
    public List<String> options() {
        return given.keySet().stream().filter(o -> sourceOf(o).isPresent()).toList();
    }
}
