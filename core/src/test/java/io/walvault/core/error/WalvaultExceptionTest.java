package io.walvault.core.error;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.io.IOException;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class WalvaultExceptionTest {

    @Test
    void theHintIsKeptApartAndLast() {
        WalvaultException e = new WalvaultException(ErrorCode.CORRUPT_DATA, "object 'x' is corrupt HINT: run 'walvault verify'");
        assertEquals("object 'x' is corrupt", e.what());
        assertEquals(Optional.of("run 'walvault verify'"), e.hint());
        assertEquals("object 'x' is corrupt HINT: run 'walvault verify'", e.getMessage());
        WalvaultException plain = new WalvaultException(ErrorCode.STORAGE, "the store failed");
        assertEquals(Optional.empty(), plain.hint());
        assertEquals("the store failed", plain.getMessage());
    }

    @Test
    void contextGoesAroundWhatHappenedAndTheHintStaysLast() {
        IOException cause = new IOException("disk");
        WalvaultException e = new WalvaultException(ErrorCode.STORAGE, "cannot read 'k'", "check the disk", cause);
        WalvaultException c = e.withContext("restore failed: ", " (bundle 3)");
        assertEquals("restore failed: cannot read 'k' (bundle 3) HINT: check the disk", c.getMessage());
        assertEquals(ErrorCode.STORAGE, c.code());
        assertSame(cause, c.getCause());
    }
}
