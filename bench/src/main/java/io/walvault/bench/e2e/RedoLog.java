package io.walvault.bench.e2e;

import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The redo phase of a recovery as the server logged it: from its "redo starts at" line to its
 * "redo done at" line (PostgreSQL 14-18 log both), timed by the lines' {@code %m} prefixes
 * (the testkit's {@code log_line_prefix} starts with them). Pure functions.
 */
public final class RedoLog {

    private static final Pattern STAMP = Pattern.compile("^(\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\.\\d{3})");
    private static final Pattern RESTORED_BY_SERVER = Pattern.compile("restored log file \"[0-9A-F]{24}\" from archive");
    private static final Pattern FETCHED_BY_JAVA = Pattern.compile("restored '[0-9A-F]{24}'");
    private static final DateTimeFormatter FORMAT = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSS");

    private RedoLog() {
    }

    /** The redo phase in {@code log} (the log of one start), if both lines are there. */
    public static Optional<Duration> redoPhase(String log) {
        LocalDateTime start = null;
        LocalDateTime done = null;
        for (String line : log.split("\n")) {
            if (start == null && line.contains("redo starts at ")) {
                start = stamp(line);
            } else if (start != null && done == null && line.contains("redo done at ")) {
                done = stamp(line);
            }
        }
        return start != null && done != null ? Optional.of(Duration.between(start, done)) : Optional.empty();
    }

    /** How many files the server restored through restore_command ("restored log file ... from archive"). */
    public static int restoredFromArchive(String log) {
        return count(log, RESTORED_BY_SERVER);
    }

    /**
     * How many of those a Java archive-get call fetched itself (its "restored 'NAME'" line), as
     * opposed to the launcher's rename of a segment the worker had fetched ahead.
     */
    public static int fetchedByJavaCalls(String log) {
        return count(log, FETCHED_BY_JAVA);
    }

    private static int count(String log, Pattern p) {
        int n = 0;
        for (String line : log.split("\n")) {
            if (p.matcher(line).find()) {
                n++;
            }
        }
        return n;
    }

    private static LocalDateTime stamp(String line) {
        Matcher m = STAMP.matcher(line);
        return m.find() ? LocalDateTime.parse(m.group(1), FORMAT) : null;
    }
}
