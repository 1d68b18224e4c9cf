package io.walvault.core.storage.s3;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.walvault.core.config.S3Settings;
import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;
import io.walvault.core.pipeline.Sink;
import io.walvault.core.storage.ObjectInfo;
import io.walvault.core.storage.Storage;
import io.walvault.testkit.S3Bucket;
import io.walvault.testkit.S3Extension;
import io.walvault.testkit.S3Server;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Transient S3 failures on every kind of request: answered with 500/503 by the store (S3Proxy's
 * fault injection) or cut off in the middle of the response body (a resetting proxy). Each is
 * retried; one that outlasts the retries is a STORAGE error naming the operation and the key,
 * never an SDK exception.
 */
@ExtendWith(S3Extension.class)
class S3FaultsIT {

    private S3Bucket bucket;
    private final List<AutoCloseable> opened = new ArrayList<>();

    @BeforeEach
    void bucket(S3Bucket bucket) {
        this.bucket = bucket;
    }

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : opened) {
            c.close();
        }
    }

    private S3Settings settings(URI endpoint) {
        S3Server server = bucket.server();
        return S3Settings.of(bucket.name(), "faults")
                .withEndpoint(endpoint, server.region(), true)
                .withCredentials(server.accessKey(), server.secretKey())
                .withParts(S3Settings.MIN_PART_SIZE, 2);
    }

    private S3Storage open(S3Settings s) {
        S3Storage st = new S3Storage(s);
        opened.add(st);
        return st;
    }

    private ResettingProxy proxy(java.util.function.Predicate<String> requests, int faults, int bodyBytes) throws IOException {
        ResettingProxy p = new ResettingProxy(bucket.server().endpoint(), requests, faults, bodyBytes);
        opened.add(p);
        return p;
    }

    private static void put(Storage s, String key, byte[] data) throws IOException {
        try (Sink w = s.newWrite(key)) {
            w.write(data, 0, data.length);
            w.finish();
        }
    }

    private static List<String> keys(Storage s, String prefix) {
        try (Stream<ObjectInfo> l = s.list(prefix)) {
            return l.map(ObjectInfo::key).toList();
        }
    }

    private List<String> fill(int n) throws IOException {
        Storage direct = open(settings(bucket.server().endpoint()));
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String k = String.format("wal/%05d-with-a-longer-name-so-the-listing-is-long", i);
            put(direct, k, new byte[] {(byte) i});
            keys.add(k);
        }
        return keys;
    }

    @Test
    void aListingCutOffMidBodyIsRetried() throws Exception {
        List<String> written = fill(40);
        ResettingProxy p = proxy(line -> line.contains("list-type=2"), 2, 700);
        Storage s = open(settings(p.endpoint()).withRetries(4));
        assertEquals(written, keys(s, "wal/"));
        assertEquals(2, p.resets());
    }

    @Test
    void aListingCutOffEveryTimeIsAStorageErrorNamingThePrefix() throws Exception {
        fill(40);
        ResettingProxy p = proxy(line -> line.contains("list-type=2"), 1000, 700);
        Storage s = open(settings(p.endpoint()).withRetries(3));
        WalvaultException e = assertThrows(WalvaultException.class, () -> keys(s, "wal/"));
        assertEquals(ErrorCode.STORAGE, e.code(), e.toString());
        assertTrue(e.getMessage().startsWith("cannot list objects under 'wal/' in 's3://" + bucket.name() + "/faults'"),
                e.getMessage());
        assertTrue(e.getMessage().contains("after 3 attempts"), e.getMessage());
        assertEquals(3, p.resets());
    }

    @Test
    void aGetCutOffMidBodyResumesFromTheByteDelivered() throws Exception {
        Storage direct = open(settings(bucket.server().endpoint()));
        byte[] data = new byte[3 * 1024 * 1024 + 5];
        new Random(3).nextBytes(data);
        put(direct, "big/object", data);
        ResettingProxy p = proxy(line -> line.startsWith("GET ") && line.contains("/big/object"), 3, 256 * 1024);
        Storage s = open(settings(p.endpoint()).withRetries(2));
        try (InputStream in = s.newRead("big/object")) {
            assertArrayEquals(data, in.readAllBytes(), "each break made progress: resumed every time");
        }
        assertEquals(3, p.resets());
        try (InputStream in = s.newRead("big/object", 1000, 2_000_000)) {
            assertArrayEquals(java.util.Arrays.copyOfRange(data, 1000, 2_001_000), in.readAllBytes());
        }
    }

    @Test
    void aGetThatBreaksWithoutProgressIsAStorageErrorNamingTheKey() throws Exception {
        Storage direct = open(settings(bucket.server().endpoint()));
        put(direct, "big/object", new byte[100_000]);
        ResettingProxy p = proxy(line -> line.startsWith("GET ") && line.contains("/big/object"), 1000, 0);
        Storage s = open(settings(p.endpoint()).withRetries(3));
        WalvaultException e = assertThrows(WalvaultException.class, () -> {
            try (InputStream in = s.newRead("big/object")) {
                in.readAllBytes();
            }
        });
        assertEquals(ErrorCode.STORAGE, e.code(), e.toString());
        assertTrue(e.getMessage().startsWith("cannot read object 'big/object' in 's3://"), e.getMessage());
        assertTrue(e.getMessage().contains("broke off at byte 0 3 times in a row"), e.getMessage());
    }

    /** Every request kind, answered 500 twice by the store: retried, then done. */
    @Test
    void serverErrorsOnEveryRequestAreRetried(S3Server server) throws Exception {
        Storage s = open(settings(server.endpoint()).withRetries(3));
        put(s, "a/one", new byte[] {1});
        put(s, "a/two", new byte[] {2});
        for (String call : List.of("list", "blobMetadata", "getBlob", "removeBlob", "putBlob")) {
            server.failCalls(call, 0, 2, call.equals("list") ? 503 : 500);
        }
        assertEquals(List.of("a/one", "a/two"), keys(s, "a/"));
        assertEquals(1, s.info("a/one").orElseThrow().size());
        try (InputStream in = s.newRead("a/two")) {
            assertArrayEquals(new byte[] {2}, in.readAllBytes());
        }
        s.remove("a/one");
        put(s, "a/three", new byte[] {3});
        for (String call : List.of("list", "blobMetadata", "getBlob", "removeBlob", "putBlob")) {
            assertEquals(2, server.failedCalls(call), call);
        }
        server.clearFaults();
        assertEquals(List.of("a/three", "a/two"), keys(s, "a/"));
    }

    /** Every request kind, failing for good: a STORAGE error naming the operation and the key, no SDK exception. */
    @Test
    void serverErrorsThatOutlastTheRetriesAreStorageErrors(S3Server server) throws Exception {
        Storage s = open(settings(server.endpoint()).withRetries(2));
        put(s, "b/one", new byte[] {1});
        List<String> failing = List.of("list", "blobMetadata", "getBlob", "removeBlob", "putBlob", "initiateMultipartUpload");
        List<org.junit.jupiter.api.function.Executable> calls = List.of(
                () -> keys(s, "b/"),
                () -> s.info("b/one"),
                () -> s.newRead("b/one").close(),
                () -> s.remove("b/one"),
                () -> put(s, "b/two", new byte[] {2}),
                () -> put(s, "b/big", new byte[6 * 1024 * 1024]));
        List<String> starts = List.of("cannot list objects under 'b/'", "cannot stat object 'b/one'",
                "cannot read object 'b/one'", "cannot remove object 'b/one'", "cannot publish object 'b/two'",
                "cannot start the upload of object 'b/big'");
        for (int i = 0; i < calls.size(); i++) {
            server.clearFaults();
            server.failCalls(failing.get(i), 0, 1000);
            WalvaultException e = assertThrows(WalvaultException.class, calls.get(i));
            assertEquals(ErrorCode.STORAGE, e.code(), e.toString());
            assertTrue(e.getMessage().startsWith(starts.get(i)), e.getMessage());
            // (the SDK does not count the attempts of a HEAD in its exception)
            assertTrue(i == 1 || e.getMessage().contains("after 2 attempts"), e.getMessage());
            assertEquals(2, server.failedCalls(failing.get(i)), failing.get(i) + " was retried");
        }
    }
}
