package io.walvault.core.replication;

import static java.util.Objects.requireNonNull;

import java.util.Map;

/**
 * The fields of an ErrorResponse or NoticeResponse, keyed by their one-letter codes
 * ({@code S} severity, {@code V} non-localized severity, {@code C} SQLSTATE, {@code M} message,
 * {@code D} detail, {@code H} hint...). Unknown codes are kept, never refused.
 */
public record ServerMessage(Map<Character, String> fields) {

    public ServerMessage {
        fields = Map.copyOf(requireNonNull(fields, "fields is null"));
    }

    /** The severity, non-localized when the server sends it (ERROR, FATAL, WARNING...). */
    public String severity() {
        String v = fields.get('V');
        return v != null ? v : fields.getOrDefault('S', "");
    }

    public String sqlState() {
        return fields.getOrDefault('C', "");
    }

    public String message() {
        return fields.getOrDefault('M', "");
    }

    /** The detail, or an empty string. */
    public String detail() {
        return fields.getOrDefault('D', "");
    }

    /** The server's hint, or an empty string. */
    public String hint() {
        return fields.getOrDefault('H', "");
    }

    /** {@code SEVERITY: message (SQLSTATE xxxxx)} plus detail: for logs and messages. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder(severity()).append(": ").append(message());
        if (!sqlState().isEmpty()) {
            sb.append(" (SQLSTATE ").append(sqlState()).append(')');
        }
        if (!detail().isEmpty()) {
            sb.append(" DETAIL: ").append(detail());
        }
        if (!hint().isEmpty()) {
            sb.append(" HINT: ").append(hint());
        }
        return sb.toString();
    }
}
