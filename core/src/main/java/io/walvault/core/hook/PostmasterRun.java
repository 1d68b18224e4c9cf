package io.walvault.core.hook;

import static java.util.Objects.requireNonNull;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Optional;

/**
 * One run of a PostgreSQL server, as its data directory's {@code postmaster.pid} names it: the
 * postmaster's pid (first line) and start time in seconds since the epoch (third line), both
 * written when PostgreSQL creates the file. The pid alone repeats: a server in a container is
 * pid 1 in every run. {@code "0"} stands for a line the file lacks; {@link #NONE} for no file.
 *
 * @param pid   the first line
 * @param start the third line
 */
public record PostmasterRun(String pid, String start) {

    /** No postmaster.pid (the server is not running, or this is no data directory). */
    public static final PostmasterRun NONE = new PostmasterRun("0", "0");

    public PostmasterRun {
        requireNonNull(pid, "pid is null");
        requireNonNull(start, "start is null");
    }

    /** The run of the server whose data directory is {@code dataDirectory}, or {@link #NONE}. */
    public static PostmasterRun of(Path dataDirectory) {
        try (BufferedReader r = Files.newBufferedReader(dataDirectory.resolve("postmaster.pid"), StandardCharsets.UTF_8)) {
            String pid = r.readLine();
            r.readLine();
            String start = r.readLine();
            return new PostmasterRun(field(pid), field(start));
        } catch (IOException e) {
            return NONE;
        }
    }

    /** {@code PID START}, as the spool and bin/walvault write it. */
    public String text() {
        return pid + " " + start;
    }

    /** When the postmaster started, if its file says. */
    public Optional<Instant> startTime() {
        try {
            long seconds = Long.parseLong(start);
            return seconds > 0 ? Optional.of(Instant.ofEpochSecond(seconds)) : Optional.empty();
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    private static String field(String line) {
        return line == null || line.isBlank() ? "0" : line.strip();
    }
}
