package io.walvault.core.repo;

import static java.util.Objects.requireNonNull;

import io.walvault.core.compress.Compression;
import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;

/**
 * The repository's descriptor, {@code walvault.json}: the one small object read when a
 * repository is opened. Immutable once written; its presence is what makes a location a
 * repository.
 *
 * @param format      the repository format version ({@link #FORMAT})
 * @param id          a random UUID naming this repository (bound into the keyring's sealing)
 * @param created     ISO-8601 creation time
 * @param compression {@code lz4} or {@code none}
 * @param encryption  {@code none}, {@code passphrase} or {@code public-key}
 * @param cipher      the object cipher ({@link #CIPHER}), or absent when not encrypted
 */
public record RepositoryDescriptor(int format, String id, String created, String compression, String encryption,
                                   String cipher) {

    /** The format this walvault writes and reads. */
    public static final int FORMAT = 1;
    public static final String CIPHER = "aes-256-gcm-stream-v1";

    public RepositoryDescriptor {
        requireNonNull(id, "id is null");
        requireNonNull(created, "created is null");
        requireNonNull(compression, "compression is null");
        requireNonNull(encryption, "encryption is null");
        if (format != FORMAT) {
            throw new WalvaultException(ErrorCode.REPOSITORY_FORMAT, "repository format " + format
                    + " is not supported by this walvault (it reads format " + FORMAT + ")"
                    + (format > FORMAT ? " HINT: upgrade walvault" : ""));
        }
        try {
            Compression.parse(compression);
            EncryptionMode mode = EncryptionMode.parse(encryption);
            if (mode != EncryptionMode.NONE && !CIPHER.equals(cipher)) {
                throw new IllegalArgumentException("cipher '" + cipher + "' is unknown");
            }
            if (mode == EncryptionMode.NONE && cipher != null) {
                throw new IllegalArgumentException("an unencrypted repository names cipher '" + cipher + "'");
            }
        } catch (IllegalArgumentException e) {
            throw new WalvaultException(ErrorCode.REPOSITORY_FORMAT, "repository descriptor is invalid: " + e.getMessage(), e);
        }
    }

    public Compression compressionValue() {
        return Compression.parse(compression);
    }

    public EncryptionMode encryptionMode() {
        return EncryptionMode.parse(encryption);
    }
}
