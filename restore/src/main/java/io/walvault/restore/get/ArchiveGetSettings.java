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
 * @param prefetch how many following segments one call fetches into the local spool
 *                 ({@code archive-get-prefetch}; 0 turns prefetch off)
 * @param parallel how many of those are fetched at once
 * @param background whether a follower process (started by {@code bin/walvault}, see
 *                 {@link ArchiveGet#follow}) fetches ahead, so that this call only hands over the
 *                 file asked for and records it
 */
public record ArchiveGetSettings(OptionalLong systemId, int prefetch, int parallel, boolean background) {

    public static final int DEFAULT_PREFETCH = 16;
    public static final int DEFAULT_PARALLEL = 4;

    /** Settings for a call that prefetches itself, before returning. */
    public ArchiveGetSettings(OptionalLong systemId, int prefetch, int parallel) {
        this(systemId, prefetch, parallel, false);
    }

    public ArchiveGetSettings {
        if (systemId == null) {
            throw new NullPointerException("systemId is null");
        }
        if (prefetch < 0 || prefetch > 1024) {
            throw new WalvaultException(ErrorCode.CONFIG, "archive-get-prefetch must be between 0 and 1024, not " + prefetch);
        }
        if (parallel < 1 || parallel > 64) {
            throw new WalvaultException(ErrorCode.CONFIG, "archive-get parallelism must be between 1 and 64, not " + parallel);
        }
    }

    /** Reads the settings by walvault's precedence (flag, environment, config file, default). */
    public static ArchiveGetSettings from(Settings s) {
        OptionalLong id = OptionalLong.empty();
        var v = s.get("system-identifier");
        if (v.isPresent()) {
            try {
                id = OptionalLong.of(Long.parseUnsignedLong(v.get().trim()));
            } catch (NumberFormatException e) {
                throw new WalvaultException(ErrorCode.CONFIG, "system-identifier '" + v.get() + "' (from "
                        + s.source("system-identifier") + ") is not a number"
                        + " HINT: use the 'Database system identifier' that pg_controldata prints");
            }
        }
        int prefetch = DEFAULT_PREFETCH;
        var p = s.get("archive-get-prefetch");
        if (p.isPresent()) {
            try {
                prefetch = Integer.parseInt(p.get().trim());
            } catch (NumberFormatException e) {
                throw new WalvaultException(ErrorCode.CONFIG, "archive-get-prefetch '" + p.get() + "' (from "
                        + s.source("archive-get-prefetch") + ") is not a number");
            }
        }
        return new ArchiveGetSettings(id, prefetch, DEFAULT_PARALLEL, false);
    }

    /** These settings with the prefetch left to a follower process. */
    public ArchiveGetSettings inBackground() {
        return new ArchiveGetSettings(systemId, prefetch, parallel, true);
    }
}
