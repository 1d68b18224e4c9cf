package io.walvault.core.replication.conn;

import java.util.Locale;

/** libpq's {@code channel_binding}: whether SCRAM binds the authentication to the TLS channel. */
public enum ChannelBinding {
    /** Never use channel binding. */
    DISABLE,
    /** Use it when TLS is on and the server offers SCRAM-SHA-256-PLUS (the default). */
    PREFER,
    /** Refuse to connect unless the server authenticates with SCRAM-SHA-256-PLUS. */
    REQUIRE;

    public String keyword() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static ChannelBinding fromKeyword(String value) {
        for (ChannelBinding m : values()) {
            if (m.keyword().equals(value)) {
                return m;
            }
        }
        throw new IllegalArgumentException("invalid channel_binding value '" + value
                + "' HINT: use disable, prefer or require");
    }
}
