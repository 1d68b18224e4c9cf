package io.walvault.restore.recovery;

import io.walvault.core.hook.PostmasterRun;
import io.walvault.core.wal.WalSegmentName;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The WAL segment recovery asked for last, and under which postmaster: {@value #FILE} in the
 * restored data directory, one line {@code NAME POSTMASTER-PID POSTMASTER-START}. Every path that
 * answers restore_command for a segment writes it before answering: archive-get in Java, and
 * bin/walvault's no-JVM hand-over from the prefetch spool (the same line, by a shell
 * {@code printf}). PostgreSQL asks for segments one at a time, in order, so the line is where
 * recovery is. Read when recovery probes for the history file of a new timeline, which it does
 * right before it ends and promotes: a restore's recovery that last asked for a segment before
 * its plan's end is ending short ({@link RecoveryExpectation#reachedBy}).
 *
 * <p>The postmaster's pid and start time (the first and third lines of {@code postmaster.pid})
 * tell this run of the server from an earlier one: the probe at the start of a run, before any
 * segment was asked for, must not be judged by what the previous run asked for. The pid alone
 * would not do: a server in a container is pid 1 in every run. A line of two fields (written
 * by an earlier walvault) is judged by the pid alone.
 */
public final class RecoveryProgress {

    /** Relative to the data directory. */
    public static final String FILE = "pg_wal/.walvault-restore.asked";

    private RecoveryProgress() {
    }

    /** Records that recovery asked for segment {@code name} (a 24-digit segment name). */
    public static void record(Path dataDirectory, String name) throws IOException {
        PostmasterRun p = PostmasterRun.of(dataDirectory);
        Files.writeString(dataDirectory.resolve(FILE), name + " " + p.pid() + " " + p.start() + "\n", StandardCharsets.UTF_8);
    }

    /** The segment this run of the server asked for last, if it asked for any. */
    public static Optional<WalSegmentName> lastAskedInThisRun(Path dataDirectory, long segmentSize) {
        String[] f;
        try {
            f = Files.readString(dataDirectory.resolve(FILE), StandardCharsets.UTF_8).strip().split(" ");
        } catch (IOException e) {
            return Optional.empty();
        }
        if (f.length < 2 || f.length > 3 || !WalSegmentName.isSegmentName(f[0])) {
            return Optional.empty();
        }
        PostmasterRun now = PostmasterRun.of(dataDirectory);
        if (!f[1].equals(now.pid()) || f.length == 3 && !f[2].equals(now.start())) {
            return Optional.empty();
        }
        return Optional.of(WalSegmentName.parse(f[0], segmentSize));
    }
}
