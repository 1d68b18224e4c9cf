package io.walvault.cli;

import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * {@code --log-level LEVEL} and {@code --log-file FILE}, which every command takes (before or
 * after its name), or {@code WALVAULT_LOG_LEVEL} and {@code WALVAULT_LOG_FILE}. They are taken
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

    /** Takes the options off {@code args}; the environment gives the defaults. A bad level is a usage error. */
    static LogOptions extract(String[] args, Map<String, String> environment) {
        List<String> rest = new ArrayList<>();
        String level = environment.getOrDefault("WALVAULT_LOG_LEVEL", "info");
        String file = environment.get("WALVAULT_LOG_FILE");
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
                if (a.equals("--log-level")) {
                    level = args[++i];
                } else {
                    file = args[++i];
                }
            } else if (a.startsWith("--log-level=")) {
                level = a.substring("--log-level=".length());
            } else if (a.startsWith("--log-file=")) {
                file = a.substring("--log-file=".length());
            } else {
                rest.add(a);
            }
        }
        level = level.strip().toLowerCase(Locale.ROOT);
        if (!LEVELS.contains(level)) {
            throw new WalvaultException(ErrorCode.USAGE, "log level '" + level + "' is not error, warn, info, debug or trace");
        }
        if (file != null && file.isBlank()) {
            throw new WalvaultException(ErrorCode.USAGE, "--log-file is empty");
        }
        return new LogOptions(rest.toArray(String[]::new), level, Optional.ofNullable(file).map(Path::of));
    }

    /** Whether errors print the exceptions behind their message. */
    boolean debug() {
        return level.equals("debug") || level.equals("trace");
    }

    /** Configures the logger; must run before the first logger is created. */
    void apply() {
        System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", level);
        System.setProperty("org.slf4j.simpleLogger.showDateTime", "true");
        System.setProperty("org.slf4j.simpleLogger.dateTimeFormat", "yyyy-MM-dd'T'HH:mm:ss.SSSXXX");
        System.setProperty("org.slf4j.simpleLogger.levelInBrackets", "false");
        file.ifPresent(f -> System.setProperty("org.slf4j.simpleLogger.logFile", f.toAbsolutePath().toString()));
    }
}
