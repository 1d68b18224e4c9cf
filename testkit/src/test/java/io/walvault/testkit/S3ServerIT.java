package io.walvault.testkit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CompletedMultipartUpload;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

/** The in-process S3 API answers the SDK the way walvault will use it. */
@ExtendWith(S3Extension.class)
class S3ServerIT {

    @Test
    void putGetListDelete(S3Bucket bucket) {
        try (S3Client s3 = bucket.newClient()) {
            byte[] data = random(100_000, 1);
            s3.putObject(b -> b.bucket(bucket.name()).key("archive/a"), RequestBody.fromBytes(data));
            s3.putObject(b -> b.bucket(bucket.name()).key("archive/b"), RequestBody.fromBytes(new byte[0]));
            s3.putObject(b -> b.bucket(bucket.name()).key("backup/c"), RequestBody.fromBytes(new byte[] {1}));

            assertArrayEquals(data, s3.getObjectAsBytes(b -> b.bucket(bucket.name()).key("archive/a")).asByteArray());
            byte[] range = s3.getObjectAsBytes(b -> b.bucket(bucket.name()).key("archive/a").range("bytes=10-19")).asByteArray();
            assertArrayEquals(java.util.Arrays.copyOfRange(data, 10, 20), range);

            List<String> keys = s3.listObjectsV2Paginator(b -> b.bucket(bucket.name()).prefix("archive/"))
                    .contents().stream().map(S3Object::key).toList();
            assertEquals(List.of("archive/a", "archive/b"), keys);

            s3.deleteObject(b -> b.bucket(bucket.name()).key("archive/a"));
            assertThrows(NoSuchKeyException.class,
                    () -> s3.getObjectAsBytes(b -> b.bucket(bucket.name()).key("archive/a")));
        }
    }

    @Test
    void multipartUploadAssemblesPartsInOrder(S3Bucket bucket) {
        try (S3Client s3 = bucket.newClient()) {
            String key = "big/object";
            String uploadId = s3.createMultipartUpload(b -> b.bucket(bucket.name()).key(key)).uploadId();
            List<CompletedPart> parts = new ArrayList<>();
            java.io.ByteArrayOutputStream all = new java.io.ByteArrayOutputStream();
            for (int i = 1; i <= 3; i++) {
                byte[] part = random(i < 3 ? 5 * 1024 * 1024 : 1234, i);
                all.writeBytes(part);
                int n = i;
                String etag = s3.uploadPart(b -> b.bucket(bucket.name()).key(key).uploadId(uploadId).partNumber(n),
                        RequestBody.fromBytes(part)).eTag();
                parts.add(CompletedPart.builder().partNumber(i).eTag(etag).build());
            }
            s3.completeMultipartUpload(b -> b.bucket(bucket.name()).key(key).uploadId(uploadId)
                    .multipartUpload(CompletedMultipartUpload.builder().parts(parts).build()));
            assertArrayEquals(all.toByteArray(), s3.getObjectAsBytes(b -> b.bucket(bucket.name()).key(key)).asByteArray());
        }
    }

    @Test
    void injectedFaultsReachTheClientAsServerErrors(S3Server server, S3Bucket bucket) {
        server.failCalls("putBlob", 0, 1);
        try (S3Client s3 = server.newClient(1)) {
            S3Exception e = assertThrows(S3Exception.class, () -> s3.putObject(
                    b -> b.bucket(bucket.name()).key("k"), RequestBody.fromBytes(new byte[] {1})));
            assertEquals(500, e.statusCode());
            s3.putObject(b -> b.bucket(bucket.name()).key("k"), RequestBody.fromBytes(new byte[] {2}));
            assertArrayEquals(new byte[] {2}, s3.getObjectAsBytes(b -> b.bucket(bucket.name()).key("k")).asByteArray());
            assertEquals(1, server.failedCalls("putBlob"));
        }
    }

    private static byte[] random(int size, long seed) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }
}
