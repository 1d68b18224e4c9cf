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

    /**
     * The string a JSON string literal's body (the text between its quotes) stands for: the
     * escapes {@link #literal} writes, and the others JSON has, undone.
     */
    public static String body(String json) {
        if (json.indexOf('\\') < 0) {
            return json;
        }
        StringBuilder sb = new StringBuilder(json.length());
        for (int i = 0; i < json.length(); i++) {
            char c = json.charAt(i);
            if (c != '\\' || i + 1 == json.length()) {
                sb.append(c);
                continue;
            }
            char n = json.charAt(++i);
            switch (n) {
                case 'u' -> {
                    sb.append((char) Integer.parseInt(json.substring(i + 1, i + 5), 16));
                    i += 4;
                }
                case 'n' -> sb.append('\n');
                case 't' -> sb.append('\t');
                case 'r' -> sb.append('\r');
                case 'b' -> sb.append('\b');
                case 'f' -> sb.append('\f');
                default -> sb.append(n);
            }
        }
        return sb.toString();
    }
}
