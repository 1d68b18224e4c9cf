package io.walvault.cli;

import io.walvault.cli.options.ConfigDefaults;
import io.walvault.cli.options.WalvaultSettings;
import io.walvault.core.config.Settings;
import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;
import io.walvault.core.log.DaemonLog;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * {@code --log-level LEVEL} and {@code --log-file FILE}, which every command takes (before or
 * after its name), or {@code WALVAULT_LOG_LEVEL} and {@code WALVAULT_LOG_FILE}, or
 * {@code log-level} and {@code log-file} in the config file. They are taken
 * off the command line before the command is parsed and given to the logger before the first
 * log line, which then carries a timestamp with its offset and the level. At {@code debug} an
 * error also prints the chain of exceptions behind its message.
 *
 * @param args the command line without these options
 * @param level error, warn, info (default), debug or trace
 * @param file where log lines go instead of standard error, appended
 */
record LogOptions(String[] args, String level, Optional<Path> file) {

    static final Set<String> LEVELS = Set.of("error", "warn", "info", "debug", "trace");

    /**
     * Takes the options off {@code args}; unless given there, the environment
     * ({@code WALVAULT_LOG_LEVEL}, {@code WALVAULT_LOG_FILE}) or the config file the command line
     * names ({@code log-level}, {@code log-file}, in its {@code [cluster NAME]} section or before
     * the first) gives them, with the precedence of every other setting. A bad level is a usage
     * error naming where it came from. A config file that cannot be read is left to the command,
     * which says what is wrong with it.
     */
    static LogOptions extract(String[] args, Map<String, String> environment) {
        List<String> rest = new ArrayList<>();
        Map<String, String> flags = new HashMap<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--")) {
                rest.addAll(List.of(args).subList(i, args.length));
                break;
            }
            if (a.equals("--log-level") || a.equals("--log-file")) {
                if (i + 1 == args.length) {
                    throw new WalvaultException(ErrorCode.USAGE, a + " needs a value");
                }
                flags.put(a.substring(2), args[++i]);
            } else if (a.startsWith("--log-level=") || a.startsWith("--log-file=")) {
                flags.put(a.substring(2, a.indexOf('=')), a.substring(a.indexOf('=') + 1));
            } else {
                rest.add(a);
            }
        }
        Settings settings;
        try {
            // --config and --cluster are read, not taken: the command parses them again
            settings = WalvaultSettings.load(flags, ConfigDefaults.optionValue(args, "--config").map(Path::of).orElse(null),
                    ConfigDefaults.optionValue(args, "--cluster").orElse(null), environment);
        } catch (WalvaultException e) {
            // the command reads the file again and reports what is wrong with it; its log options from flags still count
            settings = Settings.load(WalvaultSettings.LOG_NAMES, flags, null, null, environment);
        }
        String level = settings.get("log-level").orElse("info").strip().toLowerCase(Locale.ROOT);
        if (!LEVELS.contains(level)) {
            throw new WalvaultException(ErrorCode.USAGE, "log level '" + level + "' (" + settings.source("log-level")
                    + ") is not error, warn, info, debug or trace");
        }
        Optional<String> file = settings.get("log-file").map(String::strip);
        if (file.isPresent() && file.get().isEmpty()) {
            throw new WalvaultException(ErrorCode.USAGE, "the log file (" + settings.source("log-file") + ") is empty");
        }
        String[] line = rest.toArray(String[]::new);
        if (file.isEmpty()) {
            file = agentLog(Main.commandFirst(line), settings);
        }
        return new LogOptions(line, level, file.filter(f -> !f.equals(STANDARD_ERROR)).map(Path::of));
    }

    /** {@code --log-file -}: standard error, also for the agent. */
    static final String STANDARD_ERROR = "-";

    /** The agent's log file, in its spool directory (a subdirectory: the spool's own files are WAL). */
    static final String AGENT_LOG = "log/agent.log";

    /**
     * The agent, a service that runs for months, logs to a file by default: {@value #AGENT_LOG}
     * in its spool directory ({@code --spool}, else the setting), kept bounded by
     * {@link DaemonLog} when the agent starts; errors that stop it still reach standard error.
     * Empty for other commands, and when the spool is not given (the agent then refuses to
     * start, on standard error).
     */
    private static Optional<String> agentLog(String[] line, Settings settings) {
        if (line.length == 0 || !line[0].equals("agent") || Arrays.asList(line).contains("--help")
                || Arrays.asList(line).contains("-h")) {
            return Optional.empty();
        }
        Optional<String> spool = ConfigDefaults.optionValue(line, "--spool").or(() -> settings.names().contains("spool")
                ? settings.get("spool") : Optional.empty());
        return spool.filter(s -> !s.isBlank()).map(s -> Path.of(s.strip()).resolve(AGENT_LOG).toString());
    }

    /** Whether errors print the exceptions behind their message. */
    boolean debug() {
        return level.equals("debug") || level.equals("trace");
    }

    /**
     * Configures the logger; must run before the first logger is created. A log file is kept
     * bounded first (rotated past {@link DaemonLog#LIMIT}); a missing one is created owner-only,
     * in missing directories created owner-only (the agent's spool, which it creates so anyway).
     */
    void apply() {
        file.ifPresent(f -> {
            Path log = f.toAbsolutePath();
            try {
                Files.createDirectories(log.getParent(), PosixFilePermissions.asFileAttribute(
                        PosixFilePermissions.fromString("rwx------")));
                if (!Files.exists(log)) {
                    Files.createFile(log, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
                }
            } catch (IOException e) {
                // the logger says it cannot open the file and writes to standard error
            }
            DaemonLog.keepBounded(log);
        });
        System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", level);
        System.setProperty("org.slf4j.simpleLogger.showDateTime", "true");
        System.setProperty("org.slf4j.simpleLogger.dateTimeFormat", "yyyy-MM-dd'T'HH:mm:ss.SSSXXX");
        System.setProperty("org.slf4j.simpleLogger.levelInBrackets", "false");
        file.ifPresent(f -> System.setProperty("org.slf4j.simpleLogger.logFile", f.toAbsolutePath().toString()));
    }
}
