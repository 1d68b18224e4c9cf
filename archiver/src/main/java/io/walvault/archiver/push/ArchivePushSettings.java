package io.walvault.archiver.push;

import io.walvault.core.config.ClusterGuard;
import io.walvault.core.config.Settings;
import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;
import io.walvault.core.wal.WalFileName;
import java.io.IOException;
import java.nio.file.Path;
import java.util.OptionalLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * archive-push's own settings.
 *
 * @param systemId  the cluster the archive is for, if pinned ({@code system-identifier}): files of
 *                  any other cluster are refused; it also names the cluster of history and backup
 *                  files
 * @param lookAhead whether a worker pushes the {@code .ready} files ahead of PostgreSQL's calls
 *                  ({@code archive-push-look-ahead}: 0 turns the worker off, each call then pushes its
 *                  own file; any other value turns it on)
 * @param parallel  how many files the worker pushes at once ({@code archive-push-parallel})
 * @param queueMax  {@code archive-push-queue-max}: how many bytes of WAL may wait in pg_wal while the
 *                  repository fails before the oldest is given up unarchived (unset: never)
 * @param guard     the configuration's {@code [cluster NAME]} section's guard: a file of another
 *                  cluster than the section's is refused
 */
public record ArchivePushSettings(OptionalLong systemId, int lookAhead, int parallel, OptionalLong queueMax, ClusterGuard guard) {

    private static final Logger LOG = LoggerFactory.getLogger(ArchivePushSettings.class);

    /** Defaults: enough to drain a backlog quickly without holding PostgreSQL's archiver long. */
    public static final int DEFAULT_LOOK_AHEAD = 64;
    public static final int DEFAULT_PARALLEL = 4;

    public ArchivePushSettings {
        if (systemId == null) {
            throw new NullPointerException("systemId is null");
        }
        if (queueMax == null) {
            throw new NullPointerException("queueMax is null");
        }
        if (guard == null) {
            throw new NullPointerException("guard is null");
        }
        if (lookAhead < 0 || lookAhead > 1024) {
            throw new WalvaultException(ErrorCode.CONFIG, "archive-push-look-ahead must be between 0 and 1024, not " + lookAhead);
        }
        if (parallel < 1 || parallel > 64) {
            throw new WalvaultException(ErrorCode.CONFIG, "archive-push-parallel must be between 1 and 64, not " + parallel);
        }
    }

    /** Without a queue limit. */
    public ArchivePushSettings(OptionalLong systemId, int lookAhead, int parallel) {
        this(systemId, lookAhead, parallel, OptionalLong.empty());
    }

    /** Without a section's guard. */
    public ArchivePushSettings(OptionalLong systemId, int lookAhead, int parallel, OptionalLong queueMax) {
        this(systemId, lookAhead, parallel, queueMax, ClusterGuard.NONE);
    }

    /**
     * The cluster {@code file} belongs to ({@link ArchivePushFile#clusterOf}), which must be the
     * pinned one and the section's: its header is read for that anyway.
     */
    public long clusterOf(Path file, WalFileName name) throws IOException {
        long id = ArchivePushFile.clusterOf(file, name, systemId);
        guard.check(id);
        return id;
    }

    /** Whether a worker pushes ahead. */
    public boolean worker() {
        return lookAhead > 0;
    }

    /** Reads the settings by walvault's precedence (flag, environment, config file, default). */
    public static ArchivePushSettings from(Settings s) {
        return new ArchivePushSettings(s.systemIdentifier(), s.integer("archive-push-look-ahead", DEFAULT_LOOK_AHEAD),
                s.integer("archive-push-parallel", DEFAULT_PARALLEL), s.size("archive-push-queue-max"), ClusterGuard.of(s, LOG::warn));
    }
}
