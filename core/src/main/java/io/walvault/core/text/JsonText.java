package io.walvault.core.text;

/**
 * JSON text written by hand where a streaming layout must be kept exactly (PostgreSQL's
 * backup_manifest lines) or no mapper is at hand (the commands' {@code --json} output).
 */
public final class JsonText {

    private JsonText() {
    }

    /** {@code s} as a JSON string literal, quoted and escaped; {@code null} for null. */
    public static String literal(String s) {
        if (s == null) {
            return "null";
        }
        StringBuilder sb = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.append('"').toString();
    }
}
