package io.walvault.core.repo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Private key files are the owner's alone, as ssh requires; public key files may be read by anyone. */
class KeyFilesTest {

    @TempDir
    Path dir;

    @Test
    void aPrivateKeyFileOthersCanReachIsRefused() throws Exception {
        Path priv = dir.resolve("restore.key");
        byte[] pub = KeyFiles.generate(priv);
        assertEquals(1, KeyFiles.readPrivate(priv).size(), "written 0600: accepted");
        Files.setPosixFilePermissions(priv, PosixFilePermissions.fromString("rw-r-----"));
        WalvaultException e = assertThrows(WalvaultException.class, () -> KeyFiles.readPrivate(priv));
        assertEquals(ErrorCode.CONFIG, e.code());
        assertEquals("private key file '" + priv + "' has mode 0640, which lets its group or others at the secret it holds:"
                + " refused HINT: chmod 600 '" + priv + "'", e.getMessage());
        Files.setPosixFilePermissions(priv, PosixFilePermissions.fromString("r--------"));
        assertEquals(1, KeyFiles.readPrivate(priv).size());

        Path pubFile = dir.resolve("repo.pub");
        Files.writeString(pubFile, KeyFiles.formatPublic(pub) + "\n");
        Files.setPosixFilePermissions(pubFile, PosixFilePermissions.fromString("rw-r--r--"));
        assertArrayEquals(pub, KeyFiles.readPublic(pubFile), "a public key is no secret");
    }

    @Test
    void aMissingPrivateKeyFileIsStillReportedAsMissing() {
        WalvaultException e = assertThrows(WalvaultException.class, () -> KeyFiles.readPrivate(dir.resolve("nope")));
        assertEquals(ErrorCode.CONFIG, e.code());
        assertTrue(e.getMessage().startsWith("cannot read private key file"), e.getMessage());
    }
}
