package io.walvault.core.log;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * The log file of a detached helper process (the archive-push watcher, the archive-get
 * follower): bin/walvault appends the process's output to it, and the process keeps it bounded
 * when it starts: past {@value #LIMIT} bytes, the file is copied to {@code NAME.1} (replacing
 * the previous one) and emptied, so at most twice that stays on disk.
 */
public final class DaemonLog {

    /** The size past which a log is rotated. */
    public static final long LIMIT = 1024 * 1024;

    private DaemonLog() {
    }

    /** Rotates {@code log} if it has grown past the limit. Best effort: a log must never stop its process. */
    public static void keepBounded(Path log) {
        try {
            if (!Files.isRegularFile(log) || Files.size(log) <= LIMIT) {
                return;
            }
            Files.copy(log, log.resolveSibling(log.getFileName() + ".1"), StandardCopyOption.REPLACE_EXISTING);
            // emptied in place: the process writes to it in append mode, and goes on writing at its new end
            try (FileChannel ch = FileChannel.open(log, StandardOpenOption.WRITE)) {
                ch.truncate(0);
            }
        } catch (IOException | RuntimeException e) {
            // the log stays as it is
        }
    }
}
