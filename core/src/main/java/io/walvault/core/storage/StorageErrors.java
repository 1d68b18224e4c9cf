package io.walvault.core.storage;

import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;

/** The storage error of every driver, so messages read the same whatever the backend. */
public final class StorageErrors {

    private StorageErrors() {
    }

    /** {@code cannot <action> object '<key>' in '<location>': <cause>}. */
    public static WalvaultException failed(String action, String key, String location, Throwable cause) {
        return new WalvaultException(ErrorCode.STORAGE, "cannot " + action + (key == null ? "" : " object '" + key + "'")
                + " in '" + location + "': " + cause.getMessage(), cause);
    }
}
