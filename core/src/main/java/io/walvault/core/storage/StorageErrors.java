package io.walvault.core.storage;

import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;
import java.nio.file.AccessDeniedException;

/** The storage error of every driver, so messages read the same whatever the backend. */
public final class StorageErrors {

    private StorageErrors() {
    }

    /**
     * {@code cannot <action> object '<key>' in '<location>': <cause>}; a permission refused by
     * the file system says why it usually happens.
     */
    public static WalvaultException failed(String action, String key, String location, Throwable cause) {
        return failed(action, key, location, cause, describe(cause));
    }

    /** {@link #failed(String, String, String, Throwable)} with the cause already put in words. */
    public static WalvaultException failed(String action, String key, String location, Throwable cause, String why) {
        String hint = cause instanceof AccessDeniedException
                ? ": permission denied HINT: a local repository's files are owner-only; run every walvault command"
                + " that uses it (archive_command included) as the same OS user, the one PostgreSQL runs as"
                : ": " + why;
        String what = action.equals("list") ? (key == null || key.isEmpty() ? " objects" : " objects under '" + key + "'")
                : key == null ? "" : " object '" + key + "'";
        return new WalvaultException(ErrorCode.STORAGE, "cannot " + action + what + " in '" + location + "'" + hint, cause);
    }

    /**
     * A cause in words: its message (without a final period), followed by its root cause's when
     * that says more ("could not parse XML response (Connection reset)").
     */
    public static String describe(Throwable cause) {
        return describe(cause.getMessage(), cause);
    }

    /** {@link #describe(Throwable)} with the cause's message given (a driver may have cleaned it). */
    public static String describe(String message, Throwable cause) {
        String m = message == null ? cause.getClass().getSimpleName() : message.strip();
        if (m.endsWith(".")) {
            m = m.substring(0, m.length() - 1);
        }
        Throwable root = cause;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        if (root != cause) {
            String r = root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage().strip();
            if (!m.contains(r)) {
                m += " (" + r + ")";
            }
        }
        return m;
    }
}
