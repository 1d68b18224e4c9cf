package io.walvault.core.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.net.URI;
import org.junit.jupiter.api.Test;

class S3SettingsTest {

    @Test
    void defaultsSuitS3CompatibleStores() {
        S3Settings s = S3Settings.of("my-bucket", "/pg/main/");
        assertEquals("pg/main", s.prefix(), "slashes around the prefix are dropped");
        assertEquals("s3://my-bucket/pg/main", s.location());
        assertEquals(S3Settings.Checksums.WHEN_REQUIRED, s.checksums());
        assertEquals(S3Settings.ConditionalWrite.AUTO, s.conditionalWrite());
        assertEquals(16L * 1024 * 1024, s.partSize());
        assertEquals(4, s.partConcurrency());
        assertEquals("s3://my-bucket", S3Settings.of("my-bucket", "").location());
        assertEquals(URI.create("http://minio:9000"),
                s.withEndpoint(URI.create("http://minio:9000"), null, true).endpoint());
    }

    @Test
    void refusesWhatS3WouldRefuseLater() {
        assertThrows(IllegalArgumentException.class, () -> S3Settings.of("Bad_Bucket", ""));
        assertThrows(IllegalArgumentException.class, () -> S3Settings.of("b", ""));
        S3Settings s = S3Settings.of("bucket", "");
        assertThrows(IllegalArgumentException.class, () -> s.withParts(4L * 1024 * 1024, 4), "parts below 5 MiB");
        assertThrows(IllegalArgumentException.class, () -> s.withParts(S3Settings.MIN_PART_SIZE, 0));
        assertThrows(IllegalArgumentException.class, () -> s.withRetries(0));
        assertThrows(IllegalArgumentException.class, () -> s.withCredentials("AKID", null));
        assertThrows(IllegalArgumentException.class, () -> s.withStorageClass(null, S3Settings.Sse.AES256, "key-id"),
                "a KMS key without sse=kms");
    }

    @Test
    void enumsParseTheSpellingsUsersWrite() {
        assertEquals(S3Settings.Checksums.WHEN_SUPPORTED,
                S3Settings.parseEnum(S3Settings.Checksums.class, "s3-checksums", "when-supported"));
        assertEquals(S3Settings.Sse.KMS, S3Settings.parseEnum(S3Settings.Sse.class, "s3-sse", "kms"));
        assertThrows(IllegalArgumentException.class, () -> S3Settings.parseEnum(S3Settings.Sse.class, "s3-sse", "rot13"));
    }
}
