package io.walvault.core.replication;

import static java.util.Objects.requireNonNull;

import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;

/**
 * The server's version as it reports it in the {@code server_version} parameter at startup
 * ({@code 18.1}, {@code 16.4 (Debian 16.4-1.pgdg120+1)}, {@code 17beta2}).
 *
 * @param text the reported string
 * @param major the major version (14 for 14.x)
 */
public record ServerVersion(String text, int major) {

    /** The oldest major walvault supports. */
    public static final int OLDEST_SUPPORTED = 14;
    /** The newest major walvault is tested with; newer ones are accepted with a warning. */
    public static final int NEWEST_TESTED = 18;

    public ServerVersion {
        requireNonNull(text, "text is null");
        if (major < 1) {
            throw new IllegalArgumentException("major version " + major + " is invalid");
        }
    }

    /**
     * Parses a {@code server_version} value.
     *
     * @throws ProtocolException if it does not start with a number
     */
    public static ServerVersion parse(String text) {
        requireNonNull(text, "text is null");
        int i = 0;
        while (i < text.length() && Character.isDigit(text.charAt(i))) {
            i++;
        }
        if (i == 0 || i > 4) {
            throw new ProtocolException("server reported version '" + text + "', which does not start with a major version number");
        }
        return new ServerVersion(text, Integer.parseInt(text.substring(0, i)));
    }

    /**
     * Refuses a server older than {@code oldestSupported}.
     *
     * @throws WalvaultException {@link ErrorCode#SERVER_VERSION_UNSUPPORTED}
     */
    public void checkSupported(int oldestSupported) {
        if (major < oldestSupported) {
            throw new WalvaultException(ErrorCode.SERVER_VERSION_UNSUPPORTED, "server version '" + text
                    + "' is not supported: walvault needs PostgreSQL " + oldestSupported + " or later"
                    + " HINT: upgrade the server to a supported major version (" + OLDEST_SUPPORTED + " to " + NEWEST_TESTED + ")");
        }
    }

    @Override
    public String toString() {
        return text;
    }
}
