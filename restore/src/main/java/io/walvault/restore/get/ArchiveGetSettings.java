package io.walvault.restore.get;

import io.walvault.core.config.Settings;
import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;
import java.util.OptionalLong;

/**
 * archive-get's own settings.
 *
 * @param systemId the cluster whose WAL to restore ({@code system-identifier}); else the data
 *                 directory's {@code global/pg_control}, else the repository's only cluster
 * @param prefetch how many segments after the one recovery asked for the worker keeps in the
 *                 spool ({@code archive-get-prefetch}; 0 turns the worker and all fetching ahead
 *                 off: for pg_rewind, which asks for a few files only)
 * @param parallel how many of those are fetched at once
 * @param spoolMax at most this many bytes of fetched WAL wait in the spool ({@code archive-get-spool-max})
 */
public record ArchiveGetSettings(OptionalLong systemId, int prefetch, int parallel, long spoolMax) {

    /** 64 segments of 16 MiB ahead, 4 at a time: measured in docs/PERFORMANCE.md ("PITR"). */
    public static final int DEFAULT_PREFETCH = 64;
    public static final int DEFAULT_PARALLEL = 4;
    public static final long DEFAULT_SPOOL_MAX = 1L << 30;

    /** Settings with the default spool bound. */
    public ArchiveGetSettings(OptionalLong systemId, int prefetch, int parallel) {
        this(systemId, prefetch, parallel, DEFAULT_SPOOL_MAX);
    }

    public ArchiveGetSettings {
        if (systemId == null) {
            throw new NullPointerException("systemId is null");
        }
        if (prefetch < 0 || prefetch > 1024) {
            throw new WalvaultException(ErrorCode.CONFIG, "archive-get-prefetch must be between 0 and 1024, not " + prefetch);
        }
        if (parallel < 1 || parallel > 64) {
            throw new WalvaultException(ErrorCode.CONFIG, "archive-get-parallel must be between 1 and 64, not " + parallel);
        }
        if (spoolMax < 0) {
            throw new WalvaultException(ErrorCode.CONFIG, "archive-get-spool-max must not be negative");
        }
    }

    /** Reads the settings by walvault's precedence (flag, environment, config file, default). */
    public static ArchiveGetSettings from(Settings s) {
        int prefetch = s.integer("archive-get-prefetch", DEFAULT_PREFETCH);
        int parallel = s.integer("archive-get-parallel", DEFAULT_PARALLEL);
        long spoolMax = s.size("archive-get-spool-max").orElse(DEFAULT_SPOOL_MAX);
        return new ArchiveGetSettings(s.systemIdentifier(), prefetch, parallel, spoolMax);
    }

    /** Whether a worker fetches ahead. */
    public boolean worker() {
        return prefetch > 0;
    }
}
