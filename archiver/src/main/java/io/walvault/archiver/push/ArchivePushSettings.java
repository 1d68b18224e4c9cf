package io.walvault.archiver.push;

import io.walvault.core.config.Settings;
import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;
import java.util.OptionalLong;

/**
 * archive-push's own settings.
 *
 * @param systemId  the cluster the archive is for, if pinned ({@code system-identifier}): files of
 *                  any other cluster are refused; it also names the cluster of history and backup
 *                  files
 * @param lookAhead how many further {@code .ready} files one call pushes after its own
 *                  ({@code archive-push-look-ahead}, 0 turns look-ahead off)
 * @param parallel  how many of those are pushed at once ({@code archive-push-parallel})
 */
public record ArchivePushSettings(OptionalLong systemId, int lookAhead, int parallel) {

    /** Defaults: enough to drain a backlog quickly without holding PostgreSQL's archiver long. */
    public static final int DEFAULT_LOOK_AHEAD = 64;
    public static final int DEFAULT_PARALLEL = 4;

    public ArchivePushSettings {
        if (systemId == null) {
            throw new NullPointerException("systemId is null");
        }
        if (lookAhead < 0 || lookAhead > 1024) {
            throw new WalvaultException(ErrorCode.CONFIG, "archive-push-look-ahead must be between 0 and 1024, not " + lookAhead);
        }
        if (parallel < 1 || parallel > 64) {
            throw new WalvaultException(ErrorCode.CONFIG, "archive-push-parallel must be between 1 and 64, not " + parallel);
        }
    }

    /** Reads the settings by walvault's precedence (flag, environment, config file, default). */
    public static ArchivePushSettings from(Settings s) {
        return new ArchivePushSettings(systemIdentifier(s), integer(s, "archive-push-look-ahead", DEFAULT_LOOK_AHEAD),
                integer(s, "archive-push-parallel", DEFAULT_PARALLEL));
    }

    /** The {@code system-identifier} setting, if given (an unsigned 64-bit decimal, as pg_controldata prints it). */
    public static OptionalLong systemIdentifier(Settings s) {
        var v = s.get("system-identifier");
        if (v.isEmpty()) {
            return OptionalLong.empty();
        }
        try {
            return OptionalLong.of(Long.parseUnsignedLong(v.get().trim()));
        } catch (NumberFormatException e) {
            throw new WalvaultException(ErrorCode.CONFIG, "system-identifier '" + v.get() + "' (from " + s.source("system-identifier")
                    + ") is not a number HINT: use the 'Database system identifier' that pg_controldata prints");
        }
    }

    private static int integer(Settings s, String name, int dflt) {
        var v = s.get(name);
        if (v.isEmpty()) {
            return dflt;
        }
        try {
            return Integer.parseInt(v.get().trim());
        } catch (NumberFormatException e) {
            throw new WalvaultException(ErrorCode.CONFIG, name + " '" + v.get() + "' (from " + s.source(name) + ") is not a number");
        }
    }
}
