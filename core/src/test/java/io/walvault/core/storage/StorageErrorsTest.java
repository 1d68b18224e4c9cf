package io.walvault.core.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import org.junit.jupiter.api.Test;

class StorageErrorsTest {

    @Test
    void namesTheObjectTheStoreAndTheCause() {
        WalvaultException e = StorageErrors.failed("read", "wal/x", "file:///r/", new IOException("disk on fire"));
        assertEquals(ErrorCode.STORAGE, e.code());
        assertEquals("cannot read object 'wal/x' in 'file:///r/': disk on fire", e.getMessage());
    }

    @Test
    void aRefusedPermissionSaysWhichUserShouldRunWalvault() {
        WalvaultException e = StorageErrors.failed("read", "wal/x", "file:///r/", new AccessDeniedException("/r/wal/x"));
        assertTrue(e.getMessage().startsWith("cannot read object 'wal/x' in 'file:///r/': permission denied HINT: "), e.getMessage());
        assertTrue(e.getMessage().contains("same OS user"), e.getMessage());
        assertFalse(e.getMessage().contains("/r/wal/x"), "the raw exception text is not the message: " + e.getMessage());
    }
}
