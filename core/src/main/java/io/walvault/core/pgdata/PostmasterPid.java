package io.walvault.core.pgdata;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * A data directory's {@code postmaster.pid}: whether a server is running on the directory. Its
 * first line is the postmaster's process id; the file outlives a crashed server, so a running
 * server is one whose process is alive and, where the system tells, runs a {@code postgres}
 * program (a reused process id of another program does not count). Stateless.
 */
public final class PostmasterPid {

    /** The lock file's name in a data directory. */
    public static final String NAME = "postmaster.pid";

    private PostmasterPid() {
    }

    /** The process id of the server running on {@code dataDirectory}, or empty when none is. */
    public static OptionalLong running(Path dataDirectory) throws IOException {
        OptionalLong pid = recorded(dataDirectory);
        if (pid.isEmpty()) {
            return pid;
        }
        Optional<ProcessHandle> p = ProcessHandle.of(pid.getAsLong());
        if (p.isEmpty() || !p.get().isAlive()) {
            return OptionalLong.empty();
        }
        Optional<String> command = p.get().info().command();
        if (command.isPresent() && !Path.of(command.get()).getFileName().toString().contains("postgres")) {
            return OptionalLong.empty(); // the id was reused by another program after the server stopped
        }
        return pid;
    }

    /** The process id the file records (its first line), or empty when there is no file or no number in it. */
    static OptionalLong recorded(Path dataDirectory) throws IOException {
        try (BufferedReader r = Files.newBufferedReader(dataDirectory.resolve(NAME), StandardCharsets.UTF_8)) {
            String first = r.readLine();
            if (first == null || !first.strip().matches("-?[0-9]{1,10}")) {
                return OptionalLong.empty();
            }
            long pid = Long.parseLong(first.strip());
            // a standalone backend writes its id negated
            return OptionalLong.of(Math.abs(pid));
        } catch (NoSuchFileException e) {
            return OptionalLong.empty();
        }
    }
}
