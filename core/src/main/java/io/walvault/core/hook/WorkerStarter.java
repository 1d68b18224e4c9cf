package io.walvault.core.hook;

import static java.util.Objects.requireNonNull;

import io.walvault.core.log.DaemonLog;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Starts a hook's worker as a process of its own, detached from the call that starts it: in a
 * session of its own ({@code setsid}), so that PostgreSQL's signals to its archiver or startup
 * process group (at shutdown, when a command is cancelled) do not reach it; with no standard
 * input; its output appended to the role's log in the spool. The worker is the same launcher
 * (bin/walvault, {@code WALVAULT_LAUNCHER}) with the call's own arguments and {@code --worker}.
 * Whether it started is the worker's lock, not this process.
 */
public final class WorkerStarter {

    private WorkerStarter() {
    }

    /**
     * Starts {@code launcher args...} detached, logging to {@code log}. Returns false when it
     * cannot be started (no launcher known: walvault runs in-process, as in tests).
     */
    public static boolean start(Optional<Path> launcher, List<String> args, Path log) throws IOException {
        requireNonNull(args, "args is null");
        if (launcher.isEmpty() || !Files.isExecutable(launcher.get())) {
            return false;
        }
        DaemonLog.keepBounded(log);
        List<String> cmd = new ArrayList<>();
        Path setsid = Path.of("/usr/bin/setsid");
        if (Files.isExecutable(setsid)) {
            cmd.add(setsid.toString());
        }
        cmd.add(launcher.get().toString());
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd)
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .redirectErrorStream(true);
        pb.start();
        return true;
    }

    /** The launcher bin/walvault exported as {@code WALVAULT_LAUNCHER}, if any. */
    public static Optional<Path> launcher() {
        String l = System.getenv("WALVAULT_LAUNCHER");
        return l == null || l.isBlank() ? Optional.empty() : Optional.of(Path.of(l));
    }
}
