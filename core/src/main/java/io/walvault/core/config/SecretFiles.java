package io.walvault.core.config;

import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Set;

/**
 * Files that hold a secret (a passphrase, a private key) must be the owner's alone, as ssh
 * requires of private keys: a file whose mode grants anything to the group or to others is
 * refused before it is read, since whoever could read it holds the repository's key.
 */
public final class SecretFiles {

    private SecretFiles() {
    }

    /**
     * Fails with {@code CONFIG} if {@code file} grants any permission to its group or others;
     * {@code kind} names it in the message ("passphrase file", "private key file"). A missing
     * file, or a file system without POSIX permissions, is left to the read that follows.
     */
    public static void requireOwnerOnly(Path file, String kind) {
        Set<PosixFilePermission> p;
        try {
            p = Files.getPosixFilePermissions(file);
        } catch (NoSuchFileException | UnsupportedOperationException e) {
            return;
        } catch (IOException e) {
            return; // the read reports it, with its own words
        }
        if (p.stream().anyMatch(x -> x.name().startsWith("GROUP") || x.name().startsWith("OTHERS"))) {
            throw new WalvaultException(ErrorCode.CONFIG, kind + " '" + file + "' has mode " + mode(p)
                    + ", which lets its group or others at the secret it holds: refused HINT: chmod 600 '" + file + "'");
        }
    }

    /** {@code 0644}. */
    static String mode(Set<PosixFilePermission> p) {
        int m = 0;
        for (PosixFilePermission x : p) {
            m |= 1 << (8 - x.ordinal());
        }
        return String.format("%04o", m);
    }
}
