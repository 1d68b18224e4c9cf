package io.walvault.core.replication.conn;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Parses connection strings the way libpq does ({@code PQconninfoParse}): either
 * {@code keyword=value} pairs separated by white space, values optionally single-quoted with
 * backslash escapes, or a {@code postgresql://} / {@code postgres://} URI. Produces keyword
 * to value; unknown keywords are refused as libpq refuses them. Pure and stateless.
 */
final class ConninfoParser {

    /** The keywords walvault understands (a subset of libpq's; the rest are refused by name). */
    static final Set<String> KEYWORDS = Set.of("host", "hostaddr", "port", "user", "password", "dbname",
            "passfile", "sslmode", "sslrootcert", "sslcert", "sslkey", "application_name",
            "fallback_application_name", "connect_timeout", "channel_binding", "replication");

    private ConninfoParser() {
    }

    static Map<String, String> parse(String conninfo) {
        String s = conninfo.strip();
        if (s.startsWith("postgresql://") || s.startsWith("postgres://")) {
            return parseUri(s);
        }
        return parseKeywordValue(conninfo);
    }

    static Map<String, String> parseKeywordValue(String s) {
        Map<String, String> out = new LinkedHashMap<>();
        int i = 0;
        int n = s.length();
        while (true) {
            while (i < n && Character.isWhitespace(s.charAt(i))) {
                i++;
            }
            if (i >= n) {
                return out;
            }
            int keyStart = i;
            while (i < n && s.charAt(i) != '=' && !Character.isWhitespace(s.charAt(i))) {
                i++;
            }
            String key = s.substring(keyStart, i);
            while (i < n && Character.isWhitespace(s.charAt(i))) {
                i++;
            }
            if (i >= n || s.charAt(i) != '=') {
                throw new IllegalArgumentException("missing \"=\" after \"" + key + "\" in connection info string");
            }
            i++;
            while (i < n && Character.isWhitespace(s.charAt(i))) {
                i++;
            }
            StringBuilder value = new StringBuilder();
            if (i < n && s.charAt(i) == '\'') {
                i++;
                boolean closed = false;
                while (i < n) {
                    char c = s.charAt(i++);
                    if (c == '\\' && i < n) {
                        value.append(s.charAt(i++));
                    } else if (c == '\'') {
                        closed = true;
                        break;
                    } else {
                        value.append(c);
                    }
                }
                if (!closed) {
                    throw new IllegalArgumentException("unterminated quoted string in connection info string");
                }
            } else {
                while (i < n && !Character.isWhitespace(s.charAt(i))) {
                    char c = s.charAt(i++);
                    if (c == '\\' && i < n) {
                        value.append(s.charAt(i++));
                    } else {
                        value.append(c);
                    }
                }
            }
            put(out, key, value.toString());
        }
    }

    static Map<String, String> parseUri(String uri) {
        Map<String, String> out = new LinkedHashMap<>();
        String rest = uri.substring(uri.indexOf("://") + 3);
        int q = rest.indexOf('?');
        String query = q >= 0 ? rest.substring(q + 1) : null;
        if (q >= 0) {
            rest = rest.substring(0, q);
        }
        int slash = rest.indexOf('/');
        String authority = slash >= 0 ? rest.substring(0, slash) : rest;
        if (slash >= 0 && slash + 1 < rest.length()) {
            put(out, "dbname", decode(rest.substring(slash + 1), false));
        }
        int at = authority.lastIndexOf('@');
        if (at >= 0) {
            String userInfo = authority.substring(0, at);
            authority = authority.substring(at + 1);
            int colon = userInfo.indexOf(':');
            String user = colon >= 0 ? userInfo.substring(0, colon) : userInfo;
            if (!user.isEmpty()) {
                put(out, "user", decode(user, false));
            }
            if (colon >= 0) {
                put(out, "password", decode(userInfo.substring(colon + 1), true));
            }
        }
        if (!authority.isEmpty()) {
            StringBuilder hosts = new StringBuilder();
            StringBuilder ports = new StringBuilder();
            boolean anyPort = false;
            String[] parts = authority.split(",", -1);
            for (int k = 0; k < parts.length; k++) {
                String part = parts[k];
                String host;
                String port = "";
                if (part.startsWith("[")) {
                    int close = part.indexOf(']');
                    if (close < 0) {
                        throw new IllegalArgumentException("missing \"]\" in IPv6 host address in URI: \"" + redacted(uri)
                                + "\"");
                    }
                    host = part.substring(1, close);
                    String after = part.substring(close + 1);
                    if (after.startsWith(":")) {
                        port = after.substring(1);
                    } else if (!after.isEmpty()) {
                        throw new IllegalArgumentException("unexpected character after IPv6 host address in URI: \""
                                + redacted(uri) + "\"");
                    }
                } else {
                    int colon = part.lastIndexOf(':');
                    host = colon >= 0 ? part.substring(0, colon) : part;
                    port = colon >= 0 ? part.substring(colon + 1) : "";
                    host = decode(host, false);
                }
                if (k > 0) {
                    hosts.append(',');
                    ports.append(',');
                }
                hosts.append(host);
                ports.append(port);
                anyPort |= !port.isEmpty();
            }
            if (hosts.toString().replace(",", "").length() > 0) {
                put(out, "host", hosts.toString());
            }
            if (anyPort) {
                put(out, "port", ports.toString());
            }
        }
        if (query != null && !query.isEmpty()) {
            for (String pair : query.split("&")) {
                int eq = pair.indexOf('=');
                if (eq <= 0) {
                    throw new IllegalArgumentException("missing key/value separator \"=\" in URI query parameter: \""
                            + (pair.startsWith("password") ? "password" : pair) + "\"");
                }
                String key = decode(pair.substring(0, eq), false);
                String value = decode(pair.substring(eq + 1), key.equals("password"));
                // libpq accepts JDBC's ssl=true as sslmode=require
                if (key.equals("ssl") && value.equals("true")) {
                    key = "sslmode";
                    value = "require";
                }
                put(out, key, value);
            }
        }
        return out;
    }

    private static void put(Map<String, String> out, String key, String value) {
        if (!KEYWORDS.contains(key)) {
            throw new IllegalArgumentException("invalid connection option \"" + key + "\"");
        }
        out.put(key, value);
    }

    /**
     * {@code uri} with the password of its user part and of a {@code password=} parameter
     * replaced by {@code ***}: what an error message may show.
     */
    static String redacted(String uri) {
        return uri.replaceFirst("(://[^/?@]*?:)[^/?@]*@", "$1***@").replaceAll("([?&]password=)[^&]*", "$1***");
    }

    /** {@code s} quoted for an error message, or, for a secret, only where it stood. */
    private static String shown(String s, boolean secret) {
        return secret ? "\"***\" in the password" : "\"" + s + "\"";
    }

    /**
     * Percent-decoding as libpq does it: {@code %XX} only, no {@code +} for space; %00 refused.
     * The error for a {@code secret} value (a password) does not show it.
     */
    static String decode(String s, boolean secret) {
        if (s.indexOf('%') < 0) {
            return s;
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '%') {
                if (i + 2 >= s.length()) {
                    throw new IllegalArgumentException("invalid percent-encoded token: " + shown(s, secret));
                }
                int hi = Character.digit(s.charAt(i + 1), 16);
                int lo = Character.digit(s.charAt(i + 2), 16);
                if (hi < 0 || lo < 0) {
                    throw new IllegalArgumentException("invalid percent-encoded token: " + shown(s, secret));
                }
                int b = hi << 4 | lo;
                if (b == 0) {
                    throw new IllegalArgumentException("forbidden value %00 in percent-encoded value: " + shown(s, secret));
                }
                bytes.write(b);
                i += 2;
            } else {
                byte[] enc = String.valueOf(c).getBytes(StandardCharsets.UTF_8);
                bytes.write(enc, 0, enc.length);
            }
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }
}
