package io.walvault.core.config;

import static java.util.Objects.requireNonNull;

import java.net.URI;
import java.time.Duration;
import java.util.Locale;

/**
 * How to reach an S3 (or S3-compatible) repository. Credentials come from the standard AWS chain
 * (environment, profile, container or instance role) unless an access key is given here (from
 * the environment or the config file only, never a command-line flag).
 *
 * @param bucket           the bucket
 * @param prefix           the repository's key prefix in the bucket ("" or "path/without/slashes/around")
 * @param endpoint         a custom endpoint (MinIO, Ceph, R2, S3Proxy), or null for AWS
 * @param region           the region, or null: the AWS chain, or {@code us-east-1} with a custom endpoint
 * @param pathStyle        path-style addressing (most S3-compatible stores need it)
 * @param storageClass     e.g. {@code STANDARD_IA}, or null for the bucket's default
 * @param sse              server-side encryption requested on every write
 * @param kmsKeyId         the KMS key for {@link Sse#KMS}, or null for the account's default
 * @param checksums        when the SDK adds request checksums and validates response ones
 * @param conditionalWrite how create-if-absent is done
 * @param chunkedEncoding  whether uploads may use the SDK's streaming SigV4 ({@code aws-chunked}
 *                         framing with a signature per chunk, what it does over plain http); false:
 *                         each request signs its whole payload instead, for stores that keep the
 *                         framing as the object's bytes
 * @param partSize         multipart part size in bytes (5 MiB to 5 GiB)
 * @param partConcurrency  parts uploaded in parallel per object (each holds one part buffer)
 * @param maxAttempts      attempts per request, with exponential backoff and jitter (throttling, 5xx)
 * @param attemptTimeout   time limit of one attempt of one request
 * @param accessKeyId      a static access key id, or null for the AWS chain
 * @param secretAccessKey  its secret, or null
 */
public record S3Settings(String bucket, String prefix, URI endpoint, String region, boolean pathStyle,
                         String storageClass, Sse sse, String kmsKeyId, Checksums checksums,
                         ConditionalWrite conditionalWrite, boolean chunkedEncoding, long partSize, int partConcurrency, int maxAttempts,
                         Duration attemptTimeout, String accessKeyId, String secretAccessKey) {

    /** Server-side encryption by the store (walvault's own encryption is independent of it). */
    public enum Sse { NONE, AES256, KMS }

    /**
     * The SDK's request checksum behaviour. {@link #WHEN_REQUIRED} (the default) sends checksums
     * only where the API requires them: it works with AWS and with the S3-compatible stores that
     * refuse the newer checksum headers (S3Proxy 2.6, older MinIO, Ceph and others).
     * {@link #WHEN_SUPPORTED} is the SDK's own default, for AWS S3 only.
     */
    public enum Checksums { WHEN_REQUIRED, WHEN_SUPPORTED }

    /**
     * How create-if-absent is done. {@link #AUTO} (default): a HEAD check just before publishing,
     * and {@code If-None-Match: *} on the write, so stores that enforce it (AWS since 2024, MinIO,
     * R2) are race-free and those that ignore it (S3Proxy) still refuse a visible duplicate.
     * {@link #ON}: the header alone (the store is known to enforce it; create is atomic).
     * {@link #OFF}: the HEAD check alone, for stores that reject the header.
     */
    public enum ConditionalWrite { AUTO, ON, OFF }

    public static final long MIN_PART_SIZE = 5L * 1024 * 1024;
    public static final long DEFAULT_PART_SIZE = 16L * 1024 * 1024;

    public S3Settings {
        requireNonNull(bucket, "bucket is null");
        if (!bucket.matches("[a-z0-9][a-z0-9.\\-]{1,61}[a-z0-9]")) {
            throw new IllegalArgumentException("'" + bucket + "' is not a valid bucket name");
        }
        prefix = prefix == null ? "" : prefix.replaceAll("^/+|/+$", "");
        sse = sse == null ? Sse.NONE : sse;
        checksums = checksums == null ? Checksums.WHEN_REQUIRED : checksums;
        conditionalWrite = conditionalWrite == null ? ConditionalWrite.AUTO : conditionalWrite;
        attemptTimeout = attemptTimeout == null ? Duration.ofMinutes(2) : attemptTimeout;
        if (partSize < MIN_PART_SIZE || partSize > 5L * 1024 * 1024 * 1024) {
            throw new IllegalArgumentException("S3 part size " + partSize + " is out of range (5 MiB to 5 GiB)");
        }
        if (partConcurrency < 1 || partConcurrency > 64) {
            throw new IllegalArgumentException("S3 part concurrency " + partConcurrency + " is out of range (1 to 64)");
        }
        if (maxAttempts < 1 || maxAttempts > 100) {
            throw new IllegalArgumentException("S3 max attempts " + maxAttempts + " is out of range (1 to 100)");
        }
        if ((accessKeyId == null) != (secretAccessKey == null)) {
            throw new IllegalArgumentException("an S3 access key id needs its secret access key, and the other way round");
        }
        if (kmsKeyId != null && sse != Sse.KMS) {
            throw new IllegalArgumentException("an S3 KMS key id needs server-side encryption 'kms'");
        }
    }

    /** Defaults for {@code bucket/prefix}: AWS, virtual-host style, 16 MiB parts, 4 in parallel, 10 attempts. */
    public static S3Settings of(String bucket, String prefix) {
        return new S3Settings(bucket, prefix, null, null, false, null, Sse.NONE, null, Checksums.WHEN_REQUIRED,
                ConditionalWrite.AUTO, true, DEFAULT_PART_SIZE, 4, 10, null, null, null);
    }

    public S3Settings withEndpoint(URI endpoint, String region, boolean pathStyle) {
        return new S3Settings(bucket, prefix, endpoint, region, pathStyle, storageClass, sse, kmsKeyId, checksums,
                conditionalWrite, chunkedEncoding, partSize, partConcurrency, maxAttempts, attemptTimeout, accessKeyId, secretAccessKey);
    }

    public S3Settings withCredentials(String accessKeyId, String secretAccessKey) {
        return new S3Settings(bucket, prefix, endpoint, region, pathStyle, storageClass, sse, kmsKeyId, checksums,
                conditionalWrite, chunkedEncoding, partSize, partConcurrency, maxAttempts, attemptTimeout, accessKeyId, secretAccessKey);
    }

    public S3Settings withParts(long partSize, int partConcurrency) {
        return new S3Settings(bucket, prefix, endpoint, region, pathStyle, storageClass, sse, kmsKeyId, checksums,
                conditionalWrite, chunkedEncoding, partSize, partConcurrency, maxAttempts, attemptTimeout, accessKeyId, secretAccessKey);
    }

    public S3Settings withRetries(int maxAttempts) {
        return new S3Settings(bucket, prefix, endpoint, region, pathStyle, storageClass, sse, kmsKeyId, checksums,
                conditionalWrite, chunkedEncoding, partSize, partConcurrency, maxAttempts, attemptTimeout, accessKeyId, secretAccessKey);
    }

    public S3Settings withConditionalWrite(ConditionalWrite conditionalWrite) {
        return new S3Settings(bucket, prefix, endpoint, region, pathStyle, storageClass, sse, kmsKeyId, checksums,
                conditionalWrite, chunkedEncoding, partSize, partConcurrency, maxAttempts, attemptTimeout, accessKeyId, secretAccessKey);
    }

    public S3Settings withStorageClass(String storageClass, Sse sse, String kmsKeyId) {
        return new S3Settings(bucket, prefix, endpoint, region, pathStyle, storageClass, sse, kmsKeyId, checksums,
                conditionalWrite, chunkedEncoding, partSize, partConcurrency, maxAttempts, attemptTimeout, accessKeyId, secretAccessKey);
    }

    public S3Settings withChunkedEncoding(boolean chunkedEncoding) {
        return new S3Settings(bucket, prefix, endpoint, region, pathStyle, storageClass, sse, kmsKeyId, checksums,
                conditionalWrite, chunkedEncoding, partSize, partConcurrency, maxAttempts, attemptTimeout, accessKeyId,
                secretAccessKey);
    }

    public S3Settings withChecksums(Checksums checksums) {
        return new S3Settings(bucket, prefix, endpoint, region, pathStyle, storageClass, sse, kmsKeyId, checksums,
                conditionalWrite, chunkedEncoding, partSize, partConcurrency, maxAttempts, attemptTimeout, accessKeyId, secretAccessKey);
    }

    /** {@code s3://bucket/prefix}. */
    public String location() {
        return "s3://" + bucket + (prefix.isEmpty() ? "" : "/" + prefix);
    }

    static <E extends Enum<E>> E parseEnum(Class<E> type, String name, String value) {
        try {
            return Enum.valueOf(type, value.trim().toUpperCase(Locale.ROOT).replace('-', '_'));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("'" + value + "' is not a valid " + name, e);
        }
    }

    /** Never prints the secret. */
    @Override
    public String toString() {
        return "S3Settings[" + location() + ", endpoint=" + endpoint + ", region=" + region + ", pathStyle=" + pathStyle
                + ", storageClass=" + storageClass + ", sse=" + sse + ", checksums=" + checksums
                + ", conditionalWrite=" + conditionalWrite + ", chunkedEncoding=" + chunkedEncoding + ", partSize=" + partSize + ", partConcurrency="
                + partConcurrency + ", maxAttempts=" + maxAttempts + ", accessKeyId=" + (accessKeyId == null ? "chain" : "set")
                + "]";
    }
}
