package io.walvault.testkit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ConnectException;
import java.net.SocketException;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.BooleanSupplier;
import org.apache.http.ConnectionClosedException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.exception.ApiCallAttemptTimeoutException;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CompletedMultipartUpload;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

/** The SDK's S3 client through a {@link FaultProxy} in front of S3Proxy: everything passes, and each fault is the one the client sees. */
@ExtendWith(S3Extension.class)
@Timeout(value = 60, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
class FaultProxyIT {

    private static final int MIB = 1024 * 1024;

    @Test
    void passesRequestsThroughOnPersistentConnections(S3Bucket direct, FaultProxy proxy) {
        S3Bucket bucket = direct.through(proxy);
        String b = bucket.name();
        byte[] data = random(100_000, 1);
        try (S3Client s3 = bucket.newClient(1)) {
            s3.putObject(r -> r.bucket(b).key("archive/a"), RequestBody.fromBytes(data));
            s3.putObject(r -> r.bucket(b).key("archive/empty"), RequestBody.fromBytes(new byte[0]));
            s3.putObject(r -> r.bucket(b).key("archive/a b+c"), RequestBody.fromBytes(new byte[] {7}));

            assertArrayEquals(data, s3.getObjectAsBytes(r -> r.bucket(b).key("archive/a")).asByteArray());
            assertArrayEquals(Arrays.copyOfRange(data, 10, 20),
                    s3.getObjectAsBytes(r -> r.bucket(b).key("archive/a").range("bytes=10-19")).asByteArray());
            assertArrayEquals(new byte[0], s3.getObjectAsBytes(r -> r.bucket(b).key("archive/empty")).asByteArray());
            assertArrayEquals(new byte[] {7}, s3.getObjectAsBytes(r -> r.bucket(b).key("archive/a b+c")).asByteArray());
            assertEquals(100_000L, s3.headObject(r -> r.bucket(b).key("archive/a")).contentLength());
            assertEquals(List.of("archive/a", "archive/a b+c", "archive/empty"),
                    s3.listObjectsV2Paginator(r -> r.bucket(b).prefix("archive/")).contents().stream().map(S3Object::key).toList());

            s3.deleteObject(r -> r.bucket(b).key("archive/a"));
            assertThrows(NoSuchKeyException.class, () -> s3.headObject(r -> r.bucket(b).key("archive/a")));
            assertThrows(NoSuchKeyException.class, () -> s3.getObjectAsBytes(r -> r.bucket(b).key("archive/a")));
            // a HEAD answer has no body although it states a length: the connection goes on after it
            for (int i = 0; i < 10; i++) {
                assertEquals(1L, s3.headObject(r -> r.bucket(b).key("archive/a b+c")).contentLength());
            }
        }
        List<ProxyExchange> log = proxy.exchanges();
        assertEquals(22, log.size(), log.toString());
        assertTrue(log.stream().noneMatch(ProxyExchange::faulted), log.toString());
        assertTrue(log.stream().anyMatch(e -> e.method().equals("PUT") && e.target().equals("/" + b + "/archive/a")
                && e.status() == 200), log.toString());
        assertTrue(log.stream().anyMatch(e -> e.method().equals("HEAD") && e.status() == 404), log.toString());
        // one client, one request at a time: one connection, kept alive through the 404s too
        assertEquals(1, proxy.acceptedConnections());
    }

    @Test
    void multipartUploadOfMoreThan32MiBArrivesWhole(S3Bucket direct, FaultProxy proxy) throws Exception {
        S3Bucket bucket = direct.through(proxy);
        String key = "big/object";
        int[] sizes = {16 * MIB, 16 * MIB, MIB + 12_345};
        MessageDigest sent = MessageDigest.getInstance("SHA-256");
        try (S3Client s3 = bucket.newClient(1)) {
            String uploadId = s3.createMultipartUpload(r -> r.bucket(bucket.name()).key(key)).uploadId();
            List<CompletedPart> parts = new ArrayList<>();
            for (int i = 0; i < sizes.length; i++) {
                byte[] part = random(sizes[i], 100 + i);
                sent.update(part);
                int n = i + 1;
                String etag = s3.uploadPart(r -> r.bucket(bucket.name()).key(key).uploadId(uploadId).partNumber(n),
                        RequestBody.fromBytes(part)).eTag();
                parts.add(CompletedPart.builder().partNumber(n).eTag(etag).build());
            }
            s3.completeMultipartUpload(r -> r.bucket(bucket.name()).key(key).uploadId(uploadId)
                    .multipartUpload(CompletedMultipartUpload.builder().parts(parts).build()));

            MessageDigest received = MessageDigest.getInstance("SHA-256");
            long length = 0;
            try (ResponseInputStream<GetObjectResponse> in = s3.getObject(r -> r.bucket(bucket.name()).key(key))) {
                byte[] buf = new byte[256 * 1024];
                for (int n; (n = in.read(buf)) >= 0; ) {
                    received.update(buf, 0, n);
                    length += n;
                }
            }
            assertEquals(33 * MIB + 12_345, length);
            assertArrayEquals(sent.digest(), received.digest());
        }
    }

    @Test
    void statusFaultAnswersAnS3ErrorWithoutForwarding(S3Bucket direct, FaultProxy proxy) {
        S3Bucket bucket = direct.through(proxy);
        String b = bucket.name();
        FaultRule slow = proxy.rule().method("PUT").key("^k$").withoutQuery("uploadId").inject(Fault.slowDown());
        FaultRule head = proxy.rule().method("HEAD").inject(Fault.status(503, "ServiceUnavailable"));
        try (S3Client s3 = bucket.newClient(1); S3Client check = direct.newClient(1)) {
            S3Exception e = assertThrows(S3Exception.class,
                    () -> s3.putObject(r -> r.bucket(b).key("k"), RequestBody.fromBytes(random(200_000, 2))));
            assertEquals(503, e.statusCode());
            assertEquals("SlowDown", e.awsErrorDetails().errorCode());
            assertEquals(1, slow.fired());
            assertThrows(NoSuchKeyException.class, () -> check.headObject(r -> r.bucket(b).key("k")));

            S3Exception h = assertThrows(S3Exception.class, () -> s3.headObject(r -> r.bucket(b).key("k")));
            assertEquals(503, h.statusCode());
            assertEquals(1, head.fired());

            s3.putObject(r -> r.bucket(b).key("k"), RequestBody.fromBytes(new byte[] {1}));
            assertArrayEquals(new byte[] {1}, check.getObjectAsBytes(r -> r.bucket(b).key("k")).asByteArray());
        }
        // the client retries a 500 InternalError: two failures, then the answer
        FaultRule internal = proxy.rule().method("GET").key("^k$").times(2).inject(Fault.internalError());
        try (S3Client s3 = bucket.newClient(3)) {
            assertArrayEquals(new byte[] {1}, s3.getObjectAsBytes(r -> r.bucket(b).key("k")).asByteArray());
        }
        assertEquals(2, internal.fired());
        assertEquals(2, proxy.exchanges().stream().filter(x -> x.status() == 500 && x.fault().contains("InternalError")).count());
    }

    @Test
    void resetInTheRequestReachesNothing(S3Bucket direct, FaultProxy proxy) {
        S3Bucket bucket = direct.through(proxy);
        String b = bucket.name();
        FaultRule reset = proxy.rule().method("PUT").key("^dropped$").inject(Fault.resetRequest(64 * 1024));
        FaultRule partial = proxy.rule().method("PUT").key("^half$").inject(Fault.resetRequestForwarding(300_000));
        try (S3Client s3 = bucket.newClient(1); S3Client check = direct.newClient(1)) {
            SdkClientException e = assertThrows(SdkClientException.class,
                    () -> s3.putObject(r -> r.bucket(b).key("dropped"), RequestBody.fromBytes(random(MIB, 3))));
            assertConnectionReset(e);
            SdkClientException f = assertThrows(SdkClientException.class,
                    () -> s3.putObject(r -> r.bucket(b).key("half"), RequestBody.fromBytes(random(MIB, 4))));
            assertConnectionReset(f);
            assertEquals(1, reset.fired());
            assertEquals(1, partial.fired());
            assertTrue(proxy.exchanges().stream().anyMatch(x -> x.detail().startsWith("reset after 65536 request bytes")),
                    proxy.exchanges().toString());
            assertTrue(proxy.exchanges().stream().anyMatch(x -> x.detail().equals("reset after 300000 request bytes, sent upstream")),
                    proxy.exchanges().toString());
            assertThrows(NoSuchKeyException.class, () -> check.headObject(r -> r.bucket(b).key("dropped")));
            assertThrows(NoSuchKeyException.class, () -> check.headObject(r -> r.bucket(b).key("half")));
        }
    }

    @Test
    void resetInTheAnswerAfterSomeBytes(S3Bucket direct, FaultProxy proxy) throws Exception {
        S3Bucket bucket = direct.through(proxy);
        byte[] data = random(MIB, 5);
        put(direct, "obj", data);
        FaultRule rule = proxy.rule().method("GET").inject(Fault.resetResponse(20_000));
        try (S3Client s3 = bucket.newClient(1);
                ResponseInputStream<GetObjectResponse> in = s3.getObject(r -> r.bucket(bucket.name()).key("obj"))) {
            // the head came whole, so the client has an answer; its body ends in a reset
            assertEquals((long) MIB, in.response().contentLength());
            byte[] got = new byte[MIB];
            int n = 0;
            IOException e = null;
            try {
                for (int r; n < got.length && (r = in.read(got, n, got.length - n)) >= 0; ) {
                    n += r;
                }
            } catch (IOException x) {
                e = x;
            }
            assertInstanceOf(SocketException.class, e, "expected a reset, read " + n + " bytes");
            assertTrue(e.getMessage().contains("reset"), e.getMessage());
            assertTrue(n > 0 && n < 20_000, "read " + n + " bytes");
            assertArrayEquals(Arrays.copyOf(data, n), Arrays.copyOf(got, n));
        }
        assertEquals(1, rule.fired());
    }

    @Test
    void truncatedBodyEndsEarlyInOrder(S3Bucket direct, FaultProxy proxy) {
        S3Bucket bucket = direct.through(proxy);
        put(direct, "obj", random(MIB, 6));
        FaultRule rule = proxy.rule().method("GET").key("obj").inject(Fault.truncateBody(100_000));
        try (S3Client s3 = bucket.newClient(1)) {
            SdkClientException e = assertThrows(SdkClientException.class,
                    () -> s3.getObjectAsBytes(r -> r.bucket(bucket.name()).key("obj")));
            ConnectionClosedException closed = cause(e, ConnectionClosedException.class);
            assertTrue(closed.getMessage().contains("Premature end of Content-Length delimited message body"), closed.getMessage());
            assertTrue(closed.getMessage().replace(",", "").contains("received: 100000"), closed.getMessage());
        }
        assertEquals(1, rule.fired());
    }

    @Test
    void corruptedBodyKeepsItsLength(S3Bucket direct, FaultProxy proxy) {
        S3Bucket bucket = direct.through(proxy);
        byte[] data = random(300_000, 7);
        put(direct, "obj", data);
        FaultRule rule = proxy.rule().method("GET").inject(Fault.corruptBody(200_000, 3));
        try (S3Client s3 = bucket.newClient(1)) {
            byte[] got = s3.getObjectAsBytes(r -> r.bucket(bucket.name()).key("obj")).asByteArray();
            assertEquals(data.length, got.length);
            for (int i = 0; i < data.length; i++) {
                byte expected = i >= 200_000 && i < 200_003 ? (byte) ~data[i] : data[i];
                assertEquals(expected, got[i], "byte " + i);
            }
            assertArrayEquals(data, s3.getObjectAsBytes(r -> r.bucket(bucket.name()).key("obj")).asByteArray());
        }
        assertEquals(1, rule.fired());
        assertTrue(proxy.exchanges().stream().anyMatch(x -> x.detail().equals("flipped 3 body bytes")), proxy.exchanges().toString());
    }

    @Test
    void stallsMakeTheClientTimeOut(S3Bucket direct, FaultProxy proxy) throws Exception {
        S3Bucket bucket = direct.through(proxy);
        String b = bucket.name();
        put(direct, "obj", new byte[] {1});
        try (S3Client s3 = direct.server().clientBuilder(proxy.endpoint())
                .overrideConfiguration(c -> c.retryStrategy(r -> r.maxAttempts(1)).apiCallAttemptTimeout(Duration.ofMillis(400)))
                .build(); S3Client check = direct.newClient(1)) {
            FaultRule before = proxy.rule().method("GET").inject(Fault.stall(Duration.ofSeconds(3)));
            long t0 = System.nanoTime();
            assertThrows(ApiCallAttemptTimeoutException.class, () -> s3.getObjectAsBytes(r -> r.bucket(b).key("obj")));
            assertTrue(System.nanoTime() - t0 < 2_500_000_000L, "the client waited for the end of the stall");
            assertEquals(1, before.fired());

            // a stall shorter than the timeout only delays the answer
            FaultRule brief = proxy.rule().method("GET").inject(Fault.stall(Duration.ofMillis(150)));
            t0 = System.nanoTime();
            assertArrayEquals(new byte[] {1}, s3.getObjectAsBytes(r -> r.bucket(b).key("obj")).asByteArray());
            assertTrue(System.nanoTime() - t0 >= 150_000_000L);
            assertEquals(1, brief.fired());

            // a stalled answer: the write is done in S3, the client believes it failed
            FaultRule after = proxy.rule().method("PUT").key("^done$").inject(Fault.stallResponse(Duration.ofSeconds(3)));
            assertThrows(ApiCallAttemptTimeoutException.class,
                    () -> s3.putObject(r -> r.bucket(b).key("done"), RequestBody.fromBytes(new byte[] {2})));
            assertEquals(1, after.fired());
            awaitTrue(() -> exists(check, b, "done"), "the stalled write is in S3");
        }
    }

    @Test
    void lateWriteLandsAfterTheClientGaveUp(S3Bucket direct, FaultProxy proxy) throws Exception {
        S3Bucket bucket = direct.through(proxy);
        String b = bucket.name();
        byte[] data = random(MIB, 8);
        FaultRule rule = proxy.rule().method("PUT").key("^late$").inject(Fault.lateWrite());
        try (S3Client s3 = direct.server().clientBuilder(proxy.endpoint())
                .overrideConfiguration(c -> c.retryStrategy(r -> r.maxAttempts(1)).apiCallAttemptTimeout(Duration.ofMillis(700)))
                .build(); S3Client check = direct.newClient(1)) {
            assertThrows(ApiCallAttemptTimeoutException.class,
                    () -> s3.putObject(r -> r.bucket(b).key("late"), RequestBody.fromBytes(data)));
            assertEquals(1, rule.fired());
            awaitTrue(() -> proxy.heldLateWrites() == 1, "the request is held"); // the client may time out first
            assertFalse(exists(check, b, "late"));

            assertEquals(1, proxy.releaseLateWrites());
            assertEquals(0, proxy.heldLateWrites());
            assertArrayEquals(data, check.getObjectAsBytes(r -> r.bucket(b).key("late")).asByteArray());
            assertTrue(proxy.exchanges().stream().anyMatch(x -> x.target().equals("/" + b + "/late") && x.status() == 200
                    && x.detail().equals("late write forwarded, answer dropped")), proxy.exchanges().toString());
            assertEquals(0, proxy.releaseLateWrites());
        }
        // reset after a while, forwarded on a timer
        FaultRule timed = proxy.rule().method("PUT").key("^timed$")
                .inject(Fault.lateWrite(Duration.ofMillis(100), Duration.ofSeconds(1)));
        try (S3Client s3 = bucket.newClient(1); S3Client check = direct.newClient(1)) {
            SdkClientException e = assertThrows(SdkClientException.class,
                    () -> s3.putObject(r -> r.bucket(b).key("timed"), RequestBody.fromBytes(new byte[] {9})));
            assertConnectionReset(e);
            assertEquals(1, timed.fired());
            assertFalse(exists(check, b, "timed"));
            awaitTrue(() -> exists(check, b, "timed"), "the late write landed");
            assertArrayEquals(new byte[] {9}, check.getObjectAsBytes(r -> r.bucket(b).key("timed")).asByteArray());
        }
    }

    @Test
    void outageAnswersEveryRequestUntilRemoved(S3Bucket direct, FaultProxy proxy) throws Exception {
        S3Bucket bucket = direct.through(proxy);
        String b = bucket.name();
        FaultRule other = proxy.rule().method("GET").always().inject(Fault.internalError());
        try (S3Client s3 = bucket.newClient(1)) {
            FaultRule outage = proxy.outage(Fault.serviceUnavailable());
            assertEquals(503, assertThrows(S3Exception.class,
                    () -> s3.putObject(r -> r.bucket(b).key("k"), RequestBody.fromBytes(new byte[] {1}))).statusCode());
            assertEquals(503, assertThrows(S3Exception.class, () -> s3.getObjectAsBytes(r -> r.bucket(b).key("k"))).statusCode());
            assertEquals(503, assertThrows(S3Exception.class, () -> s3.listObjectsV2(r -> r.bucket(b))).statusCode());
            assertEquals(3, outage.fired());
            assertEquals(0, other.fired()); // the outage comes first
            outage.remove();
            other.remove();
            s3.putObject(r -> r.bucket(b).key("k"), RequestBody.fromBytes(new byte[] {1}));

            FaultRule resets = proxy.outage(Fault.reset());
            assertConnectionReset(assertThrows(SdkClientException.class, () -> s3.getObjectAsBytes(r -> r.bucket(b).key("k"))));
            resets.remove();

            // an outage and a rule that lapse on their own
            FaultRule timed = proxy.outage(Fault.slowDown(), Duration.ofMillis(800));
            assertEquals(503, assertThrows(S3Exception.class, () -> s3.getObjectAsBytes(r -> r.bucket(b).key("k"))).statusCode());
            awaitTrue(() -> !timed.active(), "the outage ended");
            assertArrayEquals(new byte[] {1}, s3.getObjectAsBytes(r -> r.bucket(b).key("k")).asByteArray());
            assertEquals(1, timed.fired());
            FaultRule brief = proxy.rule().method("GET").always().activeFor(Duration.ofMillis(800)).inject(Fault.internalError());
            assertEquals(500, assertThrows(S3Exception.class, () -> s3.getObjectAsBytes(r -> r.bucket(b).key("k"))).statusCode());
            awaitTrue(() -> !brief.active(), "the rule lapsed");
            assertArrayEquals(new byte[] {1}, s3.getObjectAsBytes(r -> r.bucket(b).key("k")).asByteArray());
            assertEquals(1, brief.fired());
        }
    }

    @Test
    void refusedConnectionsUntilAcceptedAgain(S3Bucket direct, FaultProxy proxy) {
        S3Bucket bucket = direct.through(proxy);
        String b = bucket.name();
        try (S3Client s3 = bucket.newClient(1)) {
            s3.putObject(r -> r.bucket(b).key("k"), RequestBody.fromBytes(new byte[] {1}));
            proxy.refuseConnections();
            // the open connection was reset; the next one is refused
            assertThrows(SdkClientException.class, () -> s3.getObjectAsBytes(r -> r.bucket(b).key("k")));
            SdkClientException e = assertThrows(SdkClientException.class, () -> s3.getObjectAsBytes(r -> r.bucket(b).key("k")));
            assertTrue(cause(e, ConnectException.class).getMessage().contains("refused"), e.toString());
            proxy.acceptConnections();
            assertArrayEquals(new byte[] {1}, s3.getObjectAsBytes(r -> r.bucket(b).key("k")).asByteArray());
        }
    }

    @Test
    void rulesMatchOnQueryParametersAndCountLikeFailCalls(S3Bucket direct, FaultProxy proxy) {
        S3Bucket bucket = direct.through(proxy);
        String b = bucket.name();
        FaultRule create = proxy.rule().method("POST").query("uploads").skip(1).inject(Fault.internalError());
        FaultRule part2 = proxy.rule().method("PUT").query("partNumber", "2").inject(Fault.slowDown());
        FaultRule list = proxy.rule().method("GET").query("list-type", "2").inject(Fault.serviceUnavailable());
        try (S3Client s3 = bucket.newClient(1)) {
            String id = s3.createMultipartUpload(r -> r.bucket(b).key("mp")).uploadId();
            assertEquals(500, assertThrows(S3Exception.class, () -> s3.createMultipartUpload(r -> r.bucket(b).key("mp2")))
                    .statusCode());
            s3.createMultipartUpload(r -> r.bucket(b).key("mp3"));
            assertEquals(3, create.matched());
            assertEquals(1, create.fired());

            List<CompletedPart> parts = new ArrayList<>();
            for (int n = 1; n <= 3; n++) {
                int p = n;
                byte[] data = random(n < 3 ? 5 * MIB : 10, n);
                if (n == 2) {
                    assertEquals("SlowDown", assertThrows(S3Exception.class, () -> s3.uploadPart(
                            r -> r.bucket(b).key("mp").uploadId(id).partNumber(p), RequestBody.fromBytes(data)))
                            .awsErrorDetails().errorCode());
                }
                String etag = s3.uploadPart(r -> r.bucket(b).key("mp").uploadId(id).partNumber(p), RequestBody.fromBytes(data)).eTag();
                parts.add(CompletedPart.builder().partNumber(p).eTag(etag).build());
            }
            s3.completeMultipartUpload(r -> r.bucket(b).key("mp").uploadId(id)
                    .multipartUpload(CompletedMultipartUpload.builder().parts(parts).build()));
            assertEquals(2, part2.matched());
            assertEquals(1, part2.fired());

            assertEquals(503, assertThrows(S3Exception.class, () -> s3.listObjectsV2(r -> r.bucket(b))).statusCode());
            assertEquals(List.of("mp"), s3.listObjectsV2(r -> r.bucket(b).prefix("mp")).contents().stream().map(S3Object::key).toList());
            assertEquals(1, list.fired());
        }
        proxy.clearRules();
        assertEquals(List.of(), proxy.rules());
    }

    @Test
    void concurrentClientsShareTheProxy(S3Bucket direct, FaultProxy proxy) throws Exception {
        S3Bucket bucket = direct.through(proxy);
        String b = bucket.name();
        ExecutorService pool = Executors.newFixedThreadPool(6);
        try (S3Client s3 = bucket.newClient(1)) {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < 6; t++) {
                int thread = t;
                done.add(pool.submit(() -> {
                    for (int i = 0; i < 8; i++) {
                        String key = "c/" + thread + "/" + i;
                        byte[] data = random(64 * 1024 + i, thread * 100L + i);
                        s3.putObject(r -> r.bucket(b).key(key), RequestBody.fromBytes(data));
                        assertArrayEquals(data, s3.getObjectAsBytes(r -> r.bucket(b).key(key)).asByteArray());
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(96, proxy.exchanges().size());
        assertTrue(proxy.acceptedConnections() <= 6, "connections: " + proxy.acceptedConnections());
    }

    private static void put(S3Bucket bucket, String key, byte[] data) {
        try (S3Client s3 = bucket.newClient(1)) {
            s3.putObject(r -> r.bucket(bucket.name()).key(key), RequestBody.fromBytes(data));
        }
    }

    private static boolean exists(S3Client s3, String bucket, String key) {
        try {
            s3.headObject(r -> r.bucket(bucket).key(key));
            return true;
        } catch (NoSuchKeyException e) {
            return false;
        }
    }

    private static void assertConnectionReset(Throwable e) {
        for (Throwable c = e; c != null; c = c.getCause()) {
            if (c instanceof SocketException && c.getMessage() != null
                    && (c.getMessage().contains("reset") || c.getMessage().contains("Broken pipe"))) {
                return;
            }
        }
        throw new AssertionError("no connection reset in the cause chain", e);
    }

    private static <T extends Throwable> T cause(Throwable e, Class<T> type) {
        for (Throwable c = e; c != null; c = c.getCause()) {
            if (type.isInstance(c)) {
                return type.cast(c);
            }
        }
        throw new AssertionError("no " + type.getSimpleName() + " in the cause chain", e);
    }

    private static void awaitTrue(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting until " + what);
            }
            Thread.sleep(20);
        }
    }

    private static byte[] random(int size, long seed) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }
}
