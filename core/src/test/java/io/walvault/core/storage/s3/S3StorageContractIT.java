package io.walvault.core.storage.s3;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.walvault.core.config.S3Settings;
import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;
import io.walvault.core.pipeline.Sink;
import io.walvault.core.storage.AbstractStorageContractTest;
import io.walvault.core.storage.ObjectExistsException;
import io.walvault.core.storage.Storage;
import io.walvault.testkit.S3Bucket;
import io.walvault.testkit.S3Extension;
import io.walvault.testkit.S3Server;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.core.client.config.ClientOverrideConfiguration;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.S3Object;

/** The storage contract on a real S3 API (S3Proxy, in-process), plus faults and S3 headers. */
@ExtendWith(S3Extension.class)
class S3StorageContractIT extends AbstractStorageContractTest {

    private S3Bucket bucket;
    private final List<Storage> opened = new ArrayList<>();

    @BeforeEach
    void bucket(S3Bucket bucket) {
        this.bucket = bucket;
    }

    @AfterEach
    void closeStorages() {
        opened.forEach(Storage::close);
    }

    private S3Settings settings() {
        S3Server server = bucket.server();
        return S3Settings.of(bucket.name(), "repo/prefix")
                .withEndpoint(server.endpoint(), server.region(), true)
                .withCredentials(server.accessKey(), server.secretKey())
                .withParts(S3Settings.MIN_PART_SIZE, 3);
    }

    private S3Storage open(S3Settings s, Consumer<ClientOverrideConfiguration.Builder> extra) {
        S3Storage st = new S3Storage(s, extra);
        opened.add(st);
        return st;
    }

    @Override
    protected Storage storage() {
        S3Storage st = open(settings(), b -> { });
        st.deleteBatch(10); // removesManyAtOnce then sends three DeleteObjects requests
        return st;
    }

    /** Every object in the bucket, prefix or not: garbage shows up here. */
    private List<String> everything() {
        try (S3Client c = bucket.newClient()) {
            // S3Proxy's filesystem store lists its directories as "name/" markers: not objects
            return c.listObjectsV2Paginator(b -> b.bucket(bucket.name())).contents().stream().map(S3Object::key)
                    .filter(k -> !k.endsWith("/")).toList();
        }
    }

    private static final class Headers implements ExecutionInterceptor {
        final Map<String, Map<String, List<String>>> byOperation = new ConcurrentHashMap<>();

        @Override
        public void beforeTransmission(Context.BeforeTransmission context, ExecutionAttributes attributes) {
            byOperation.put(context.request().getClass().getSimpleName(), context.httpRequest().headers());
        }

        String header(String operation, String name) {
            Map<String, List<String>> h = byOperation.get(operation);
            if (h == null) {
                return null;
            }
            return h.entrySet().stream().filter(e -> e.getKey().equalsIgnoreCase(name)).map(e -> e.getValue().get(0))
                    .findFirst().orElse(null);
        }
    }

    @Override
    protected int abandonedWriteSize() {
        return (int) S3Settings.MIN_PART_SIZE + 1000; // one part sent: a multipart upload exists
    }

    @Override
    protected long minimumAbandonedBytes() {
        return S3Settings.MIN_PART_SIZE;
    }

    private List<String> incompleteUploads() {
        try (S3Client c = bucket.newClient()) {
            return c.listMultipartUploads(b -> b.bucket(bucket.name())).uploads().stream()
                    .map(software.amazon.awssdk.services.s3.model.MultipartUpload::key).sorted().toList();
        }
    }

    @Test
    void anAbandonedMultipartUploadIsAbortedAndOnlyUnderThePrefix() throws Exception {
        Storage s = storage();
        // another repository in the same bucket, with an abandoned upload of its own
        try (S3Client c = bucket.newClient()) {
            c.createMultipartUpload(b -> b.bucket(bucket.name()).key("other/repo/object"));
        }
        Sink abandoned = s.newWrite("mpu/abandoned"); // its process is killed: never finished nor closed
        byte[] data = random((int) S3Settings.MIN_PART_SIZE + 1, 11);
        abandoned.write(data, 0, data.length);
        java.time.Instant later = java.time.Instant.now().plusSeconds(60);
        for (int i = 0; i < 100 && s.removeAbandonedWrites(later, true).bytes() < minimumAbandonedBytes(); i++) {
            Thread.sleep(100);
        }
        assertEquals(List.of("other/repo/object", "repo/prefix/mpu/abandoned"), incompleteUploads());
        io.walvault.core.storage.AbandonedWrites removed = s.removeAbandonedWrites(later, false);
        assertEquals(new io.walvault.core.storage.AbandonedWrites(1, S3Settings.MIN_PART_SIZE), removed);
        assertEquals(List.of("other/repo/object"), incompleteUploads(), "aborted, and only under the repository's prefix");
    }

    @Test
    void keysLiveUnderThePrefix() throws Exception {
        Storage s = storage();
        put(s, "a/b", new byte[] {1});
        assertEquals(List.of("repo/prefix/a/b"), everything());
        assertEquals("s3://" + bucket.name() + "/repo/prefix", s.location());
    }

    @Test
    void faultInTheMiddleOfAMultipartUploadLeavesNoGarbage(S3Server server) throws Exception {
        Storage s = open(settings().withRetries(1), b -> { });
        server.failCalls("uploadMultipartPart", 3, 1000);
        WalvaultException e = assertThrows(WalvaultException.class,
                () -> writeGenerated(s, "mp/failed", 40L * 1024 * 1024, 5));
        assertEquals(ErrorCode.STORAGE, e.code(), e.toString());
        assertTrue(e.getMessage().contains("'mp/failed'"), e.getMessage());
        assertTrue(server.failedCalls("uploadMultipartPart") >= 1);
        assertEquals(List.of(), everything(), "no object and no parts left");
        try (S3Client c = bucket.newClient()) {
            assertEquals(0, c.listMultipartUploads(b -> b.bucket(bucket.name())).uploads().size());
        }
        server.clearFaults();
        byte[] digest = writeGenerated(s, "mp/failed", 12L * 1024 * 1024, 5);
        assertArrayEquals(digest, digestOf(s, "mp/failed"), "the key is usable after the failed upload");
    }

    @Test
    void faultWhenCompletingLeavesNoGarbage(S3Server server) throws Exception {
        Storage s = open(settings().withRetries(1), b -> { });
        server.failCalls("completeMultipartUpload", 0, 1000);
        assertThrows(WalvaultException.class, () -> writeGenerated(s, "mp/complete", 12L * 1024 * 1024, 6));
        assertEquals(List.of(), everything());
    }

    @Test
    void throttlingAndServerErrorsAreRetried(S3Server server) throws Exception {
        Storage s = open(settings().withRetries(4), b -> { });
        server.failCalls("uploadMultipartPart", 1, 2, 503);
        byte[] digest = writeGenerated(s, "retry/mp", 16L * 1024 * 1024, 7);
        assertEquals(2, server.failedCalls("uploadMultipartPart"));
        assertArrayEquals(digest, digestOf(s, "retry/mp"));
        server.failCalls("putBlob", 0, 2, 500);
        put(s, "retry/single", new byte[] {9});
        assertEquals(2, server.failedCalls("putBlob"));
        assertArrayEquals(new byte[] {9}, get(s, "retry/single"));
    }

    /** Breaks the body of the first {@code breaks} GET responses after {@code after} bytes, like a reset connection. */
    private static final class BrokenBodies implements ExecutionInterceptor {
        final java.util.concurrent.atomic.AtomicInteger left;
        final long after;

        BrokenBodies(int breaks, long after) {
            this.left = new java.util.concurrent.atomic.AtomicInteger(breaks);
            this.after = after;
        }

        @Override
        public java.util.Optional<java.io.InputStream> modifyHttpResponseContent(Context.ModifyHttpResponse context,
                                                                                 ExecutionAttributes attributes) {
            java.util.Optional<java.io.InputStream> body = context.responseBody();
            if (!(context.request() instanceof software.amazon.awssdk.services.s3.model.GetObjectRequest)
                    || body.isEmpty() || left.getAndDecrement() <= 0) {
                return body;
            }
            java.io.InputStream in = body.get();
            return java.util.Optional.of(new java.io.FilterInputStream(in) {
                long seen;

                @Override
                public int read(byte[] b, int off, int len) throws java.io.IOException {
                    if (seen >= after) {
                        throw new java.net.SocketException("Connection reset (injected by the test)");
                    }
                    int n = super.read(b, off, (int) Math.min(len, after - seen));
                    seen += Math.max(n, 0);
                    return n;
                }
            });
        }
    }

    @Test
    void aReadThatBreaksHalfWayResumesWhereItStopped() throws Exception {
        Storage writer = storage();
        byte[] digest = writeGenerated(writer, "resume/object", 20L * 1024 * 1024, 9);
        Storage reader = open(settings(), b -> b.addExecutionInterceptor(new BrokenBodies(2, 3L * 1024 * 1024 + 17)));
        assertArrayEquals(digest, digestOf(reader, "resume/object"), "two broken bodies, resumed by ranged GETs");
        // a break that delivered nothing since the previous one counts against s3-max-attempts
        Storage hopeless = open(settings().withRetries(3), b -> b.addExecutionInterceptor(new BrokenBodies(100, 0)));
        WalvaultException e = assertThrows(WalvaultException.class, () -> digestOf(hopeless, "resume/object"));
        assertEquals(ErrorCode.STORAGE, e.code(), e.toString());
        assertTrue(e.getMessage().contains("'resume/object'") && e.getMessage().contains("3 times in a row"), e.getMessage());
    }

    @Test
    void createSendsIfNoneMatchAndStillChecksWhereTheStoreIgnoresIt() throws Exception {
        Headers h = new Headers();
        Storage s = open(settings(), b -> b.addExecutionInterceptor(h));
        put(s, "cond/single", new byte[] {1});
        assertEquals("*", h.header("PutObjectRequest", "If-None-Match"));
        writeGenerated(s, "cond/multi", 11L * 1024 * 1024, 8);
        assertEquals("*", h.header("CompleteMultipartUploadRequest", "If-None-Match"));
        // S3Proxy 2.6 ignores the header: the HEAD check before publishing refuses the duplicate
        assertThrows(ObjectExistsException.class, () -> put(s, "cond/single", new byte[] {2}));
        assertArrayEquals(new byte[] {1}, get(s, "cond/single"));
        // overwrite never sends it
        try (Sink w = s.newWrite("cond/single", Storage.WriteMode.OVERWRITE)) {
            w.write(new byte[] {3}, 0, 1);
            w.finish();
        }
        assertEquals(null, h.header("PutObjectRequest", "If-None-Match"));
    }

    @Test
    void conditionalWriteOffSendsNoHeader() throws Exception {
        Headers h = new Headers();
        Storage s = open(settings().withConditionalWrite(S3Settings.ConditionalWrite.OFF), b -> b.addExecutionInterceptor(h));
        put(s, "off/single", new byte[] {1});
        assertEquals(null, h.header("PutObjectRequest", "If-None-Match"));
        assertThrows(ObjectExistsException.class, () -> put(s, "off/single", new byte[] {2}));
    }

    @Test
    void storageClassAndServerSideEncryptionArePassedThrough() throws Exception {
        Headers h = new Headers();
        Storage s = open(settings().withStorageClass("STANDARD_IA", S3Settings.Sse.AES256, null),
                b -> b.addExecutionInterceptor(h));
        try (Sink w = s.newWrite("sc/single")) {
            w.write(new byte[] {1}, 0, 1);
            try {
                w.finish();
            } catch (WalvaultException ignored) {
                // whether S3Proxy honours these is not the point: the request must carry them
            }
        }
        assertEquals("STANDARD_IA", h.header("PutObjectRequest", "x-amz-storage-class"));
        assertEquals("AES256", h.header("PutObjectRequest", "x-amz-server-side-encryption"));
    }
}
