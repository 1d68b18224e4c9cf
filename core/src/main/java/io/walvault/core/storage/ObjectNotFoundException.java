package io.walvault.core.storage;

import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;

/** The object asked for does not exist. Callers catch it (archive-get answers "not there"). */
public final class ObjectNotFoundException extends WalvaultException {

    private static final long serialVersionUID = 1L;

    private final String key;

    public ObjectNotFoundException(String key, String location) {
        super(ErrorCode.OBJECT_NOT_FOUND, "object '" + key + "' does not exist in '" + location + "'");
        this.key = key;
    }

    public String key() {
        return key;
    }
}
