package io.walvault.archiver.backup;

import static java.util.Objects.requireNonNull;

import io.walvault.core.config.Settings;
import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;
import io.walvault.core.replication.ServerCompression;
import io.walvault.core.replication.ServerErrorException;
import java.util.Locale;
import java.util.Optional;

/**
 * The {@code backup-server-compression} setting: {@code auto} (the default) or one
 * {@link ServerCompression}. {@code auto} asks PostgreSQL 15 and newer for LZ4, which measured
 * fastest end to end (docs/PERFORMANCE.md), and takes the backup uncompressed from a server built
 * without LZ4; an explicit method the server lacks fails the backup at once, before the
 * checkpoint.
 *
 * @param fixed the method asked for, or empty for {@code auto}
 */
public record ServerCompressionChoice(Optional<ServerCompression> fixed) {

    /** What {@code auto} asks a server of 15 or newer for. */
    static final ServerCompression AUTO = ServerCompression.parse("lz4");

    public ServerCompressionChoice {
        requireNonNull(fixed, "fixed is null");
    }

    public static ServerCompressionChoice auto() {
        return new ServerCompressionChoice(Optional.empty());
    }

    /**
     * The {@code backup-server-compression} setting by walvault's precedence (flag, environment,
     * config file; default {@code auto}); a bad value is a configuration error naming where it
     * came from.
     */
    public static ServerCompressionChoice from(Settings settings) {
        Optional<String> text = settings.get("backup-server-compression");
        try {
            return text.map(ServerCompressionChoice::parse).orElse(auto());
        } catch (IllegalArgumentException e) {
            throw new WalvaultException(ErrorCode.CONFIG, "backup-server-compression (" + settings.source("backup-server-compression")
                    + "): " + e.getMessage() + " HINT: auto, off, lz4[:LEVEL], zstd[:level=N,workers=N] or gzip[:LEVEL]");
        }
    }

    /** {@code auto}, or what {@link ServerCompression#parse} reads. */
    public static ServerCompressionChoice parse(String text) {
        requireNonNull(text, "text is null");
        return text.trim().toLowerCase(Locale.ROOT).equals("auto") ? auto()
                : new ServerCompressionChoice(Optional.of(ServerCompression.parse(text)));
    }

    public boolean isAuto() {
        return fixed.isEmpty();
    }

    /** What to ask the server for; the server's major version decides whether it can at all. */
    ServerCompression asked() {
        return fixed.orElse(AUTO);
    }

    /**
     * Whether the server refused BASE_BACKUP because its build lacks the method, which it says
     * before it starts the backup: "invalid compression specification: this build does not
     * support compression with LZ4" (42601, while it reads the options) or "lz4 compression is
     * not supported by this build" (0A000). Then an {@code auto} backup asks again uncompressed.
     */
    static boolean unsupportedByServer(ServerErrorException e) {
        String m = e.serverError().message().toLowerCase(Locale.ROOT);
        return (e.sqlState().equals("42601") || e.sqlState().equals("0A000")) && m.contains("compression")
                && m.contains("this build");
    }

    @Override
    public String toString() {
        return fixed.map(ServerCompression::toString).orElse("auto");
    }
}
