package io.walvault.testkit;

import static java.util.Objects.requireNonNull;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A request as a {@link FaultRule} sees it: a path-style S3 request line taken apart.
 * {@code target} is the request target as sent ({@code /bucket/a%20b?partNumber=2&uploadId=x});
 * {@code path}, {@code bucket}, {@code key} and the query are percent-decoded
 * ({@code /bucket/a b}, {@code bucket}, {@code a b}, {@code {partNumber=2, uploadId=x}}); a query
 * parameter without a value ({@code ?uploads}) maps to the empty string.
 */
public record ProxiedRequest(String method, String target, String path, String bucket, String key,
        Map<String, String> query) {

    public ProxiedRequest {
        requireNonNull(method, "method is null");
        requireNonNull(target, "target is null");
        requireNonNull(path, "path is null");
        requireNonNull(bucket, "bucket is null");
        requireNonNull(key, "key is null");
        query = Collections.unmodifiableMap(new LinkedHashMap<>(requireNonNull(query, "query is null")));
    }

    /** Takes apart {@code method} and {@code target} as they appear on a request line. */
    public static ProxiedRequest of(String method, String target) {
        requireNonNull(method, "method is null");
        requireNonNull(target, "target is null");
        int q = target.indexOf('?');
        String rawPath = q < 0 ? target : target.substring(0, q);
        if (rawPath.startsWith("http://") || rawPath.startsWith("https://")) { // absolute form
            int slash = rawPath.indexOf('/', rawPath.indexOf("//") + 2);
            rawPath = slash < 0 ? "/" : rawPath.substring(slash);
        }
        String path = decode(rawPath);
        String rest = path.startsWith("/") ? path.substring(1) : path;
        int slash = rest.indexOf('/');
        String bucket = slash < 0 ? rest : rest.substring(0, slash);
        String key = slash < 0 ? "" : rest.substring(slash + 1);
        Map<String, String> query = new LinkedHashMap<>();
        if (q >= 0) {
            for (String pair : target.substring(q + 1).split("&")) {
                if (pair.isEmpty()) {
                    continue;
                }
                int eq = pair.indexOf('=');
                query.putIfAbsent(decode(eq < 0 ? pair : pair.substring(0, eq)), eq < 0 ? "" : decode(pair.substring(eq + 1)));
            }
        }
        return new ProxiedRequest(method, target, path, bucket, key, query);
    }

    /** Percent-decoding as in URIs: {@code +} stays a plus (S3 clients encode a space as %20). */
    private static String decode(String s) {
        ByteArrayOutputStream b = new ByteArrayOutputStream(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '%' && i + 2 < s.length() && hex(s.charAt(i + 1)) >= 0 && hex(s.charAt(i + 2)) >= 0) {
                b.write(hex(s.charAt(i + 1)) * 16 + hex(s.charAt(i + 2)));
                i += 2;
            } else if (c < 256) {
                b.write(c); // the request line was read as ISO-8859-1: one char per byte sent
            } else {
                b.writeBytes(String.valueOf(c).getBytes(StandardCharsets.UTF_8));
            }
        }
        return b.toString(StandardCharsets.UTF_8);
    }

    private static int hex(char c) {
        return Character.digit(c, 16);
    }
}
