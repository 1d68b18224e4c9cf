package io.walvault.core.replication.conn;

import java.util.Locale;

/** libpq's {@code sslmode}: whether TLS is used, and how much of the server's certificate is checked. */
public enum SslMode {
    /** Never TLS. */
    DISABLE,
    /** Plaintext first; TLS only if the server refuses the plaintext connection. */
    ALLOW,
    /** TLS if the server offers it, plaintext otherwise (libpq's default). */
    PREFER,
    /** TLS, without checking the certificate (unless a root certificate file exists: then as VERIFY_CA). */
    REQUIRE,
    /** TLS, and the certificate must chain to the root certificate (sslrootcert). */
    VERIFY_CA,
    /** As VERIFY_CA, and the host name must match the certificate. */
    VERIFY_FULL;

    /** The libpq spelling: {@code verify-full}. */
    public String keyword() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    public static SslMode fromKeyword(String value) {
        for (SslMode m : values()) {
            if (m.keyword().equals(value)) {
                return m;
            }
        }
        throw new IllegalArgumentException("invalid sslmode value '" + value
                + "' HINT: use disable, allow, prefer, require, verify-ca or verify-full");
    }

    /** Whether the certificate is checked against a root certificate. */
    public boolean verifiesCertificate() {
        return this == VERIFY_CA || this == VERIFY_FULL;
    }
}
