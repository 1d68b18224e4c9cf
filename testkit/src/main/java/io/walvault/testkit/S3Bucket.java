package io.walvault.testkit;

import static java.util.Objects.requireNonNull;

import java.net.URI;
import java.util.LinkedHashMap;
import java.util.Map;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * A throwaway bucket on a test {@link S3Server}, reached at {@code endpoint}: the server's own,
 * or a {@link FaultProxy}'s in front of it ({@link #through(FaultProxy)}). Code under test
 * should take the endpoint from here, not from {@link #server()}, so that the same test can
 * run with and without a proxy.
 */
public record S3Bucket(S3Server server, String name, URI endpoint) {
    public S3Bucket {
        requireNonNull(server, "server is null");
        requireNonNull(name, "name is null");
        requireNonNull(endpoint, "endpoint is null");
    }

    /** The bucket {@code name} on {@code server}, reached directly. */
    public S3Bucket(S3Server server, String name) {
        this(server, name, requireNonNull(server, "server is null").endpoint());
    }

    /** The same bucket reached through {@code proxy}. */
    public S3Bucket through(FaultProxy proxy) {
        return new S3Bucket(server, name, requireNonNull(proxy, "proxy is null").endpoint());
    }

    public String accessKey() {
        return server.accessKey();
    }

    public String secretKey() {
        return server.secretKey();
    }

    public String region() {
        return server.region();
    }

    /** {@code s3://<bucket>/<prefix>} ({@code s3://<bucket>} for an empty prefix). */
    public String repo(String prefix) {
        requireNonNull(prefix, "prefix is null");
        return "s3://" + name + (prefix.isEmpty() ? "" : "/" + prefix);
    }

    /**
     * walvault's repository settings for {@code prefix} in this bucket, by setting name in a
     * stable order: {@code repo}, {@code s3-endpoint} (this bucket's endpoint),
     * {@code s3-path-style}, {@code s3-region}, {@code s3-access-key-id} and
     * {@code s3-secret-access-key}. walvault refuses the secret as a command-line flag: put it in
     * the config file or {@code WALVAULT_S3_SECRET_ACCESS_KEY}.
     */
    public Map<String, String> settings(String prefix) {
        Map<String, String> s = new LinkedHashMap<>();
        s.put("repo", repo(prefix));
        s.put("s3-endpoint", endpoint.toString());
        s.put("s3-path-style", "true");
        s.put("s3-region", region());
        s.put("s3-access-key-id", accessKey());
        s.put("s3-secret-access-key", secretKey());
        return s;
    }

    /** {@link #settings(String)} as config file lines ({@code name = value}), each ended by a newline. */
    public String config(String prefix) {
        StringBuilder b = new StringBuilder();
        settings(prefix).forEach((k, v) -> b.append(k).append(" = ").append(v).append('\n'));
        return b.toString();
    }

    /** A new SDK client for the bucket at its endpoint (close it after use). */
    public S3Client newClient() {
        return server.newClient(endpoint, 3);
    }

    /** {@link #newClient()} with at most {@code maxAttempts} attempts per request (1: no retries). */
    public S3Client newClient(int maxAttempts) {
        return server.newClient(endpoint, maxAttempts);
    }
}
