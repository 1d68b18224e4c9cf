package io.walvault.core.repo;

import io.walvault.core.config.SecretFiles;
import io.walvault.core.config.TextLines;
import io.walvault.core.crypto.X25519Keys;
import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;

/**
 * The text files that hold X25519 keys (docs/FORMAT.md, "Key files"): one key per line as
 * {@code walvault-secret-key-1:<base64url>} or {@code walvault-public-key-1:<base64url>}, lines
 * starting with {@code #} are comments. A private key file may hold several keys (one per
 * rotated version). Private key files are written 0600, and refused when their mode grants
 * anything to the group or others; public key files may be read by anyone.
 */
public final class KeyFiles {

    static final String SECRET_PREFIX = "walvault-secret-key-1:";
    static final String PUBLIC_PREFIX = "walvault-public-key-1:";

    private KeyFiles() {
    }

    public static String formatPublic(byte[] publicKey) {
        return PUBLIC_PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(publicKey);
    }

    static String formatSecret(byte[] privateKey) {
        return SECRET_PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(privateKey);
    }

    /** Writes a new private key file (0600, refusing to overwrite) and returns the public key. */
    public static byte[] generate(Path privateKeyFile) {
        byte[] priv = X25519Keys.generatePrivateKey();
        byte[] pub = X25519Keys.publicKeyOf(priv);
        String text = "# walvault private key: restoring needs it; keep it secret and keep a copy off this host\n"
                + "# " + formatPublic(pub) + "\n" + formatSecret(priv) + "\n";
        try {
            Files.write(Files.createFile(privateKeyFile,
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"))),
                    text.getBytes(StandardCharsets.US_ASCII), StandardOpenOption.WRITE);
        } catch (FileAlreadyExistsException e) {
            throw new WalvaultException(ErrorCode.CONFIG, "key file '" + privateKeyFile + "' already exists"
                    + " HINT: choose another path; walvault never overwrites a key");
        } catch (IOException e) {
            throw new WalvaultException(ErrorCode.CONFIG, "cannot write key file '" + privateKeyFile + "': " + e.getMessage(), e);
        } finally {
            Arrays.fill(priv, (byte) 0);
        }
        return pub;
    }

    /** The private keys in {@code file}, which must be the owner's alone (0600 or stricter, as ssh requires). */
    public static List<byte[]> readPrivate(Path file) {
        SecretFiles.requireOwnerOnly(file, "private key file");
        return read(file, SECRET_PREFIX, "private");
    }

    /** The single public key in {@code file} (a public key file, or a private key file's comment is not used). */
    public static byte[] readPublic(Path file) {
        List<byte[]> keys = read(file, PUBLIC_PREFIX, "public");
        if (keys.size() != 1) {
            throw new WalvaultException(ErrorCode.CONFIG, "public key file '" + file + "' holds " + keys.size()
                    + " keys, not one");
        }
        return keys.get(0);
    }

    /** The keys in {@code file}; on a failure, those already decoded are wiped. */
    private static List<byte[]> read(Path file, String prefix, String kind) {
        List<byte[]> keys = new ArrayList<>();
        try {
            readInto(keys, file, prefix, kind);
            return keys;
        } catch (RuntimeException e) {
            keys.forEach(k -> Arrays.fill(k, (byte) 0));
            throw e;
        }
    }

    private static void readInto(List<byte[]> keys, Path file, String prefix, String kind) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new WalvaultException(ErrorCode.CONFIG, "cannot read " + kind + " key file '" + file + "': " + e.getMessage(), e);
        }
        for (TextLines.Line line : TextLines.meaningful(lines)) {
            int n = line.number();
            String l = line.text();
            if (!l.startsWith(prefix)) {
                throw new WalvaultException(ErrorCode.CONFIG, kind + " key file '" + file + "' line " + n
                        + " is not a walvault " + kind + " key (expected '" + prefix + "...')");
            }
            byte[] k;
            try {
                k = Base64.getUrlDecoder().decode(l.substring(prefix.length()));
            } catch (IllegalArgumentException e) {
                throw new WalvaultException(ErrorCode.CONFIG, kind + " key file '" + file + "' line " + n + " is not valid base64");
            }
            if (k.length != 32) {
                Arrays.fill(k, (byte) 0);
                throw new WalvaultException(ErrorCode.CONFIG, kind + " key file '" + file + "' line " + n + " holds "
                        + k.length + " bytes, not 32");
            }
            keys.add(k);
        }
        if (keys.isEmpty()) {
            throw new WalvaultException(ErrorCode.CONFIG, kind + " key file '" + file + "' holds no key");
        }
    }
}
