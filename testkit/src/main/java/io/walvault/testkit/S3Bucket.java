package io.walvault.testkit;

import static java.util.Objects.requireNonNull;

import software.amazon.awssdk.services.s3.S3Client;

/** A throwaway bucket on a test {@link S3Server}. */
public record S3Bucket(S3Server server, String name) {
    public S3Bucket {
        requireNonNull(server, "server is null");
        requireNonNull(name, "name is null");
    }

    /** A new SDK client for the bucket's server (close it after use). */
    public S3Client newClient() {
        return server.newClient();
    }
}
