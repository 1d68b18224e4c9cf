package io.walvault.core.storage;

import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;

/** A create-if-absent write found its key taken. Callers catch it to compare contents. */
public final class ObjectExistsException extends WalvaultException {

    private static final long serialVersionUID = 1L;

    private final String key;

    public ObjectExistsException(String key, String location) {
        super(ErrorCode.OBJECT_EXISTS, "object '" + key + "' already exists in '" + location + "'");
        this.key = key;
    }

    public String key() {
        return key;
    }
}
