package io.walvault.core.storage;

import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;

/** The storage error of every driver, so messages read the same whatever the backend. */
public final class StorageErrors {

    private StorageErrors() {
    }

    /**
     * {@code cannot <action> object '<key>' in '<location>': <cause>}; a permission refused by
     * the file system says why it usually happens.
     */
    public static WalvaultException failed(String action, String key, String location, Throwable cause) {
        String hint = cause instanceof java.nio.file.AccessDeniedException
                ? ": permission denied HINT: a local repository's files are owner-only; run every walvault command"
                + " that uses it (archive_command included) as the same OS user, the one PostgreSQL runs as"
                : ": " + cause.getMessage();
        return new WalvaultException(ErrorCode.STORAGE, "cannot " + action + (key == null ? "" : " object '" + key + "'")
                + " in '" + location + "'" + hint, cause);
    }
}
