package io.walvault.core.repo;

import java.util.Locale;

/** How a repository encrypts its objects, chosen by {@code walvault init} and fixed for its life. */
public enum EncryptionMode {
    /** Objects are stored compressed but not encrypted (the store's own encryption may apply). */
    NONE("none"),
    /** A keyring of random repository keys, sealed under a key derived from a passphrase (Argon2id). */
    PASSPHRASE("passphrase"),
    /** Versioned X25519 public keys in the repository; the private keys stay with whoever restores. */
    PUBLIC_KEY("public-key");

    private final String id;

    EncryptionMode(String id) {
        this.id = id;
    }

    public String id() {
        return id;
    }

    public static EncryptionMode parse(String value) {
        String v = value == null ? "" : value.trim().toLowerCase(Locale.ROOT);
        for (EncryptionMode m : values()) {
            if (m.id.equals(v)) {
                return m;
            }
        }
        throw new IllegalArgumentException("encryption '" + value + "' is unknown (expected 'none', 'passphrase' or 'public-key')");
    }
}
