package io.walvault.testkit;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStore;
import org.jclouds.blobstore.BlobStoreContext;
import org.jclouds.http.HttpResponse;
import org.jclouds.http.HttpResponseException;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;

/**
 * A real S3 API for tests: S3Proxy started in-process on loopback, backed by a temporary
 * directory (so multi-GiB objects are not held in memory), with throwaway credentials.
 * Reach it with any S3 client through {@link #endpoint()} with path-style access.
 *
 * <p>Faults: {@link #failCalls(String, int, int)} makes chosen blob-store operations fail with
 * an HTTP 500, to test retries and the abort of multipart uploads. Faults on the wire (resets,
 * cut or corrupted answers, stalls, writes that land late) come from a {@link FaultProxy} put
 * in front of the server.
 */
public final class S3Server implements AutoCloseable {

    /** The region the server claims (S3Proxy accepts any). */
    public static final String REGION = "us-east-1";

    private final Path baseDir;
    private final S3Proxy proxy;
    private final BlobStoreContext context;
    private final String accessKey;
    private final String secretKey;
    private final Map<String, Fault> faults = new ConcurrentHashMap<>();

    private S3Server(Path baseDir, S3Proxy proxy, BlobStoreContext context, String accessKey, String secretKey) {
        this.baseDir = baseDir;
        this.proxy = proxy;
        this.context = context;
        this.accessKey = accessKey;
        this.secretKey = secretKey;
    }

    /** Starts a new server on a free loopback port. */
    public static S3Server start() {
        Path dir = null;
        try {
            dir = Files.createTempDirectory("walvault-s3-");
            Properties props = new Properties();
            props.setProperty("jclouds.filesystem.basedir", dir.toString());
            String access = "AK" + UUID.randomUUID().toString().replace("-", "").substring(0, 18).toUpperCase();
            String secret = UUID.randomUUID().toString() + UUID.randomUUID();
            BlobStoreContext ctx = ContextBuilder.newBuilder("filesystem")
                    .credentials(access, secret)
                    .overrides(props)
                    .buildView(BlobStoreContext.class);
            S3Server[] self = new S3Server[1];
            BlobStore faulty = faultInjecting(ctx.getBlobStore(), () -> self[0].faults);
            S3Proxy proxy = S3Proxy.builder()
                    .blobStore(faulty)
                    .endpoint(URI.create("http://127.0.0.1:0"))
                    .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, access, secret)
                    .build();
            self[0] = new S3Server(dir, proxy, ctx, access, secret);
            proxy.start();
            long deadline = System.nanoTime() + 30_000_000_000L;
            while (!"STARTED".equals(proxy.getState())) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("S3Proxy did not start: state " + proxy.getState());
                }
                PgCluster.sleep(20);
            }
            return self[0];
        } catch (Exception e) {
            if (dir != null) {
                try {
                    PgInstallation.deleteTree(dir);
                } catch (IOException suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            throw new IllegalStateException("cannot start S3Proxy: " + e.getMessage(), e);
        }
    }

    public URI endpoint() {
        return URI.create("http://127.0.0.1:" + proxy.getPort());
    }

    public String accessKey() {
        return accessKey;
    }

    public String secretKey() {
        return secretKey;
    }

    public String region() {
        return REGION;
    }

    /** A new bucket with a unique name. */
    public S3Bucket createBucket() {
        String name = "wv-" + UUID.randomUUID().toString().substring(0, 13);
        context.getBlobStore().createContainerInLocation(null, name);
        return new S3Bucket(this, name);
    }

    /**
     * An AWS SDK v2 client for this server: custom endpoint, path-style, and checksums only when
     * required (the SDK's default checksum headers are refused by S3Proxy, as by several
     * S3-compatible stores).
     */
    public S3Client newClient() {
        return newClient(3);
    }

    /** {@link #newClient()} with at most {@code maxAttempts} attempts per request (1: no retries). */
    public S3Client newClient(int maxAttempts) {
        return newClient(endpoint(), maxAttempts);
    }

    /**
     * {@link #newClient(int)} reaching this server through {@code endpoint}, a
     * {@link FaultProxy} in front of it.
     */
    public S3Client newClient(URI endpoint, int maxAttempts) {
        return clientBuilder(endpoint)
                .overrideConfiguration(c -> c.retryStrategy(b -> b.maxAttempts(maxAttempts)))
                .build();
    }

    /**
     * The builder behind {@link #newClient(URI, int)}, without its override configuration, for
     * tests that set their own (timeouts, retries) or their own HTTP client.
     */
    public S3ClientBuilder clientBuilder(URI endpoint) {
        return S3Client.builder()
                .endpointOverride(requireNonNull(endpoint, "endpoint is null"))
                .region(Region.of(REGION))
                .forcePathStyle(true)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(accessKey, secretKey)))
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
                .httpClientBuilder(ApacheHttpClient.builder());
    }

    /**
     * Makes the blob-store operation {@code method} (a jclouds {@code BlobStore} method name such
     * as {@code putBlob} or {@code uploadMultipartPart}) fail with HTTP 500 for {@code count}
     * calls after letting {@code skip} calls through.
     */
    public void failCalls(String method, int skip, int count) {
        failCalls(method, skip, count, 500);
    }

    /** {@link #failCalls(String, int, int)} with the HTTP status to answer (500, 503 SlowDown...). */
    public void failCalls(String method, int skip, int count, int httpStatus) {
        faults.put(method, new Fault(skip, count, httpStatus));
    }

    /** Removes every planned fault. */
    public void clearFaults() {
        faults.clear();
    }

    /** How many calls of {@code method} a planned fault has failed so far. */
    public int failedCalls(String method) {
        Fault f = faults.get(method);
        return f == null ? 0 : f.failed.get();
    }

    @Override
    public void close() {
        try {
            proxy.stop();
        } catch (Exception e) {
            System.err.println("warning: S3Proxy did not stop: " + e.getMessage());
        } finally {
            context.close();
            try {
                PgInstallation.deleteTree(baseDir);
            } catch (IOException e) {
                System.err.println("warning: cannot remove '" + baseDir + "': " + e.getMessage());
            }
        }
    }

    private static final class Fault {
        final int skip;
        final int count;
        final int status;
        final AtomicInteger seen = new AtomicInteger();
        final AtomicInteger failed = new AtomicInteger();

        Fault(int skip, int count, int status) {
            this.skip = skip;
            this.count = count;
            this.status = status;
        }

        boolean fire() {
            int n = seen.getAndIncrement();
            if (n >= skip && n < skip + count) {
                failed.incrementAndGet();
                return true;
            }
            return false;
        }
    }

    private static BlobStore faultInjecting(BlobStore delegate, Supplier<Map<String, Fault>> faults) {
        InvocationHandler h = (proxy, method, args) -> {
            Map<String, Fault> plan = faults.get();
            Fault f = plan == null ? null : plan.get(method.getName());
            if (f != null && f.fire()) {
                // S3Proxy answers a jclouds HttpResponseException with the response's status
                throw new HttpResponseException("fault injected by the test into " + method.getName(), null,
                        HttpResponse.builder().statusCode(f.status).message("injected fault").build());
            }
            try {
                return method.invoke(delegate, args);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        };
        return (BlobStore) Proxy.newProxyInstance(BlobStore.class.getClassLoader(), new Class<?>[] {BlobStore.class}, h);
    }
}
