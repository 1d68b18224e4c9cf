package io.walvault.core.hook;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The command line a hook's worker serves: the arguments PostgreSQL's {@code archive_command}
 * or {@code restore_command} passes before the WAL file's, as bin/walvault sees them (the
 * command's name first, joined by single spaces), and the configuration file its settings came
 * from. bin/walvault answers from a worker's statuses only for that very command line
 * ({@link HookSpool#claim}); the worker ends when the file changes ({@link WorkerTenure}).
 *
 * @param arguments  the arguments before the WAL file's, joined by spaces
 * @param configFile the configuration file, if any
 */
public record HookCaller(String arguments, Optional<Path> configFile) {

    /** The worker's own flag, which the calls' command line does not have. */
    public static final String WORKER_FLAG = "--worker";

    public HookCaller {
        requireNonNull(arguments, "arguments is null");
        requireNonNull(configFile, "configFile is null");
    }

    /**
     * The command line of {@code args} (the command's name first), without the worker's flag and
     * the last {@code walArguments} arguments (1 for archive-push's file, 2 for archive-get's name
     * and path).
     */
    public static HookCaller of(List<String> args, int walArguments, Optional<Path> configFile) {
        List<String> a = new ArrayList<>(args);
        a.removeIf(WORKER_FLAG::equals);
        if (a.size() < walArguments) {
            throw new IllegalArgumentException("fewer arguments than WAL arguments: " + args);
        }
        return new HookCaller(String.join(" ", a.subList(0, a.size() - walArguments)), configFile);
    }
}
