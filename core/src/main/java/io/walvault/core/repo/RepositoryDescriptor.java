package io.walvault.core.repo;

import static java.util.Objects.requireNonNull;

import io.walvault.core.compress.Compression;
import io.walvault.core.error.CorruptDataException;
import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;
import java.util.Map;
import java.util.Set;

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

    /**
     * The descriptor from the fields of {@code walvault.json} ({@link Json#readFlatObject}): every
     * field known, of its type, the required ones present; otherwise corruption naming {@code key}.
     */
    static RepositoryDescriptor fromFields(Map<String, Object> f, String key) {
        for (String name : f.keySet()) {
            if (!Set.of("format", "id", "created", "compression", "encryption", "cipher").contains(name)) {
                throw new CorruptDataException("object '" + key + "' is corrupt: unknown field '"
                        + name + "'");
            }
        }
        if (!(f.get("format") instanceof Long format) || format < Integer.MIN_VALUE || format > Integer.MAX_VALUE) {
            throw new CorruptDataException("object '" + key + "' is corrupt: 'format' is missing"
                    + " or not an integer");
        }
        return new RepositoryDescriptor(format.intValue(), text(f, "id", key, true), text(f, "created", key, true),
                text(f, "compression", key, true), text(f, "encryption", key, true), text(f, "cipher", key, false));
    }

    private static String text(Map<String, Object> f, String name, String key, boolean required) {
        Object v = f.get(name);
        if (v == null && !required) {
            return null;
        }
        if (!(v instanceof String s)) {
            throw new CorruptDataException("object '" + key + "' is corrupt: '" + name + "' is "
                    + (v == null ? "missing" : "not a string"));
        }
        return s;
    }
}
