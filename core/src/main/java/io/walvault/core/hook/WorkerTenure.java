package io.walvault.core.hook;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.Optional;

/**
 * How long a hook's worker may go on serving: its answers are true for the settings it started
 * with, so it ends as soon as they may have changed. It is current while the server it serves
 * runs under the same postmaster (a restart may bring another environment), the configuration
 * file is unchanged, the spool still names its origin (a call with other settings re-opened
 * it), and its lifetime is not over. Not thread-safe.
 */
public final class WorkerTenure {

    private final HookSpool spool;
    private final String origin;
    private final Path postmasterPid;
    private final String postmaster;
    private final Optional<Path> configFile;
    private final Optional<FileTime> configStamp;
    private final long deadline;

    /**
     * @param spool      the spool the worker serves (its pg_wal's parent is the data directory)
     * @param origin     the origin it opened the spool for
     * @param configFile the configuration file its settings came from, if any
     * @param lifetime   how long it may serve at most
     */
    public WorkerTenure(HookSpool spool, String origin, Optional<Path> configFile, Duration lifetime) {
        this.spool = requireNonNull(spool, "spool is null");
        this.origin = requireNonNull(origin, "origin is null");
        this.configFile = requireNonNull(configFile, "configFile is null");
        Path data = spool.walDirectory().getParent();
        this.postmasterPid = data == null ? Path.of("/nonexistent/postmaster.pid") : data.resolve("postmaster.pid");
        this.postmaster = run(postmasterPid);
        this.configStamp = configFile.map(WorkerTenure::stamp);
        this.deadline = System.nanoTime() + lifetime.toNanos();
    }

    /** Whether the worker may go on; if not, {@link #reason()} says why. */
    public boolean current() {
        return reason().isEmpty();
    }

    /** Why the worker must end, or empty while it may go on. */
    public Optional<String> reason() {
        if (System.nanoTime() - deadline > 0) {
            return Optional.of("its lifetime is over");
        }
        if (!postmaster.isEmpty() && !postmaster.equals(run(postmasterPid))) {
            return Optional.of("the server it served has stopped or restarted");
        }
        if (configFile.isPresent() && !configStamp.equals(Optional.ofNullable(stamp(configFile.get())))) {
            return Optional.of("the configuration file '" + configFile.get() + "' changed");
        }
        if (!origin.equals(spool.origin())) {
            return Optional.of("a call with other settings took over the spool");
        }
        return Optional.empty();
    }

    private static FileTime stamp(Path file) {
        try {
            return Files.getLastModifiedTime(file);
        } catch (IOException e) {
            return null;
        }
    }

    /** The server's run as {@link PostmasterRun} names it, or "" when there is no postmaster.pid. */
    private static String run(Path postmasterPid) {
        return Files.exists(postmasterPid) ? PostmasterRun.of(postmasterPid.getParent()).text() : "";
    }
}
