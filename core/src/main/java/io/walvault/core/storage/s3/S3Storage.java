package io.walvault.core.storage.s3;

import static java.util.Objects.requireNonNull;

import io.walvault.core.config.S3Settings;
import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;
import io.walvault.core.pipeline.Sink;
import io.walvault.core.storage.AbandonedWrites;
import io.walvault.core.storage.ObjectInfo;
import io.walvault.core.storage.ObjectNotFoundException;
import io.walvault.core.storage.Storage;
import io.walvault.core.storage.StorageErrors;
import io.walvault.core.storage.StorageFeature;
import io.walvault.core.storage.StorageKeys;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.UnknownHostException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumSet;
import java.util.List;
import java.util.Iterator;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;
import javax.xml.stream.XMLStreamException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.client.config.ClientOverrideConfiguration;
import software.amazon.awssdk.core.exception.ApiCallAttemptTimeoutException;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.LegacyMd5Plugin;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.services.s3.model.DeleteObjectsResponse;
import software.amazon.awssdk.services.s3.model.ListMultipartUploadsResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.ListPartsResponse;
import software.amazon.awssdk.services.s3.model.MultipartUpload;
import software.amazon.awssdk.services.s3.model.NoSuchUploadException;
import software.amazon.awssdk.services.s3.model.Part;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.ObjectIdentifier;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Error;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * A repository in an S3 bucket (AWS or an S3-compatible store) through the AWS SDK v2 with its
 * synchronous Apache HTTP client. Writes stream as multipart uploads with a bounded number of
 * parts in flight ({@link S3WriteSink}); reads are ranged GETs that resume after a dropped
 * connection ({@link S3ReadStream}). Every request is retried by the SDK's standard strategy
 * (exponential backoff with jitter, {@code s3-max-attempts} attempts) on what a retry can cure:
 * throttling and 5xx answers (the SDK's own rules), and, added here, any client-side failure
 * caused by the connection or a response cut short (reset, closed, timed out, a body that does
 * not parse). A failure that outlasts the retries is a {@code STORAGE} error naming the
 * operation, the key and the cause ({@link #failed}); no SDK exception leaves this package.
 * The only package of walvault that imports the AWS SDK. Thread-safe; share one per process.
 *
 * <p>Length: the storage SPI's operations, each one request with its own mapping of the SDK's
 * failures to walvault's errors; streaming writes and resuming reads are {@link S3WriteSink}'s
 * and {@link S3ReadStream}'s.
 */
public final class S3Storage implements Storage {

    private static final Logger LOG = LoggerFactory.getLogger(S3Storage.class);

    /** Keys per DeleteObjects request: S3's limit. */
    static final int DELETE_BATCH = 1000;

    private final S3Settings settings;
    private final S3Client client;
    private final ExecutorService uploads;
    private final String keyPrefix;
    private volatile int deleteBatch = DELETE_BATCH;
    private volatile boolean multiDelete = true;

    /** A storage with a client built from {@code settings}. */
    public S3Storage(S3Settings settings) {
        this(settings, b -> { });
    }

    /** As {@link #S3Storage(S3Settings)}, letting tests adjust the client (interceptors). */
    S3Storage(S3Settings settings, Consumer<ClientOverrideConfiguration.Builder> extra) {
        this.settings = requireNonNull(settings, "settings is null");
        try {
            this.client = newClient(settings, extra);
        } catch (SdkException e) {
            String why = String.valueOf(e.getMessage()).contains("Unable to load region")
                    ? "no region is configured" : String.valueOf(e.getMessage());
            throw new WalvaultException(ErrorCode.CONFIG, "cannot set up the S3 client for '" + settings.location() + "': "
                    + why + " HINT: set the region (--s3-region, WALVAULT_S3_REGION, AWS_REGION or the AWS profile)"
                    + " and check the endpoint", e);
        }
        this.keyPrefix = settings.prefix().isEmpty() ? "" : settings.prefix() + "/";
        AtomicInteger n = new AtomicInteger();
        ThreadFactory tf = r -> {
            Thread t = new Thread(r, "walvault-s3-upload-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
        // threads are bounded by the parts in flight: partConcurrency per open write
        this.uploads = Executors.newCachedThreadPool(tf);
    }

    static S3Client newClient(S3Settings s, Consumer<ClientOverrideConfiguration.Builder> extra) {
        AwsCredentialsProvider credentials = s.accessKeyId() != null
                ? StaticCredentialsProvider.create(AwsBasicCredentials.create(s.accessKeyId(), s.secretAccessKey()))
                : DefaultCredentialsProvider.builder().build();
        S3ClientBuilder b = S3Client.builder()
                .credentialsProvider(credentials)
                .forcePathStyle(s.pathStyle())
                // over plain http the SDK streams uploads as aws-chunked with a signature per chunk;
                // off: it signs the whole payload instead (stores that keep the framing as the bytes)
                .serviceConfiguration(c -> c.chunkedEncodingEnabled(s.chunkedEncoding()))
                .requestChecksumCalculation(s.checksums() == S3Settings.Checksums.WHEN_REQUIRED
                        ? RequestChecksumCalculation.WHEN_REQUIRED : RequestChecksumCalculation.WHEN_SUPPORTED)
                .responseChecksumValidation(s.checksums() == S3Settings.Checksums.WHEN_REQUIRED
                        ? ResponseChecksumValidation.WHEN_REQUIRED : ResponseChecksumValidation.WHEN_SUPPORTED)
                .httpClientBuilder(ApacheHttpClient.builder().maxConnections(Math.max(50, s.partConcurrency() * 8)))
                .overrideConfiguration(c -> {
                    c.retryStrategy(r -> r.maxAttempts(s.maxAttempts()).retryOnException(S3Storage::transientFailure));
                    c.apiCallAttemptTimeout(s.attemptTimeout());
                    extra.accept(c);
                });
        if (s.checksums() == S3Settings.Checksums.WHEN_REQUIRED) {
            // DeleteObjects requires a checksum: Content-MD5 too (the SDK itself sends only its CRC32
            // header), which S3-compatible stores that predate flexible checksums ask for
            b.addPlugin(LegacyMd5Plugin.create());
        }
        if (s.endpoint() != null) {
            b.endpointOverride(s.endpoint());
        }
        if (s.region() != null) {
            b.region(Region.of(s.region()));
        } else if (s.endpoint() != null) {
            b.region(Region.US_EAST_1); // S3-compatible stores accept any region in the signature
        }
        return b.build();
    }

    /**
     * Whether a retry can cure {@code t}, beyond the SDK's own rules (which retry throttling, 5xx
     * answers and a connection that could not be made or broke before the response): a client-side
     * failure with an I/O error, a stream-parsing error or an attempt timeout anywhere in its causes
     * (a response body reset half-way, which the SDK reports as "Could not parse XML response"
     * and does not retry). An answer of the store (4xx, 501) is never retried here.
     */
    static boolean transientFailure(Throwable t) {
        if (!(t instanceof SdkClientException)) {
            return false;
        }
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (c instanceof IOException || c instanceof XMLStreamException
                    || c instanceof ApiCallAttemptTimeoutException) {
                return true;
            }
        }
        String m = String.valueOf(t.getMessage());
        return m.startsWith("Could not parse XML response") || m.startsWith("Unable to unmarshall response")
                || m.startsWith("Unable to execute HTTP request");
    }

    private static final Pattern ATTEMPTS = Pattern.compile("\\s*\\(SDK Attempt Count: (\\d+)\\)");

    /**
     * The {@code STORAGE} error for a request that failed for good: {@code cannot <action> object
     * '<key>' in 's3://...': <cause> (<root cause>), after <n> attempts}.
     */
    WalvaultException failed(String action, String key, Throwable e) {
        String message = e.getMessage();
        int attempts = 1;
        if (e instanceof SdkException sdk) {
            attempts = sdk.numAttempts() != null ? sdk.numAttempts() : 1;
        }
        Matcher a = ATTEMPTS.matcher(String.valueOf(message));
        if (message != null && a.find()) {
            attempts = Math.max(attempts, Integer.parseInt(a.group(1)));
            message = message.substring(0, a.start()) + message.substring(a.end());
        }
        String why = StorageErrors.describe(message, e);
        if (attempts > 1) {
            why += ", after " + attempts + " attempts";
        }
        if (unreachable(e)) {
            // the store was never reached: say where walvault looked, and what to check
            String endpoint = settings.endpoint() != null ? settings.endpoint().toString()
                    : "AWS S3" + (settings.region() == null ? "" : " in " + settings.region());
            why += " HINT: check that the store is reachable at that endpoint from this host (s3-endpoint,"
                    + " s3-region, DNS, firewall, proxy)";
            return StorageErrors.failed(action, key, location() + "' at endpoint '" + endpoint, e, why);
        }
        return StorageErrors.failed(action, key, location(), e, why);
    }

    /** Whether {@code e} says the store could not be reached at all (refused, unknown host, no route, connect timeout). */
    static boolean unreachable(Throwable e) {
        if (!(e instanceof SdkClientException)) {
            return false;
        }
        for (Throwable c = e; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (c instanceof ConnectException || c instanceof UnknownHostException
                    || c instanceof NoRouteToHostException
                    || c.getClass().getSimpleName().equals("ConnectTimeoutException")
                    || c.getClass().getSimpleName().equals("HttpHostConnectException")) {
                return true;
            }
        }
        return false;
    }

    /** Fewer keys per DeleteObjects request: lets tests cross a request boundary with few objects. */
    void deleteBatch(int keys) {
        if (keys < 1 || keys > DELETE_BATCH) {
            throw new IllegalArgumentException("delete batch " + keys + " is outside 1 to " + DELETE_BATCH);
        }
        this.deleteBatch = keys;
    }

    S3Client client() {
        return client;
    }

    S3Settings settings() {
        return settings;
    }

    ExecutorService uploads() {
        return uploads;
    }

    String bucket() {
        return settings.bucket();
    }

    /** The bucket key of a repository key. */
    String s3Key(String key) {
        return keyPrefix + key;
    }

    @Override
    public InputStream newRead(String key, long offset, long length) {
        StorageKeys.check(key);
        if (offset < 0) {
            throw new IllegalArgumentException("offset " + offset + " is negative");
        }
        return S3ReadStream.open(this, key, offset, length);
    }

    @Override
    public Sink newWrite(String key, WriteMode mode) {
        StorageKeys.check(key);
        return new S3WriteSink(this, key, requireNonNull(mode, "mode is null"));
    }

    @Override
    public Optional<ObjectInfo> info(String key) {
        StorageKeys.check(key);
        return head(key).map(h -> new ObjectInfo(key, h.contentLength(), h.lastModified()));
    }

    Optional<HeadObjectResponse> head(String key) {
        try {
            return Optional.of(client.headObject(b -> b.bucket(bucket()).key(s3Key(key))));
        } catch (NoSuchKeyException e) {
            return Optional.empty();
        } catch (S3Exception e) {
            if (e.statusCode() == 404) {
                return Optional.empty();
            }
            throw failed("stat", key, e);
        } catch (SdkException e) {
            throw failed("stat", key, e);
        }
    }

    @Override
    public Stream<ObjectInfo> list(String prefix) {
        StorageKeys.checkPrefix(prefix);
        Iterator<S3Object> pages;
        try {
            // the SDK asks for the first page here already
            pages = client.listObjectsV2Paginator(b -> b.bucket(bucket()).prefix(keyPrefix + prefix)).contents().iterator();
        } catch (SdkException e) {
            throw failed("list", prefix, e);
        }
        // pages are fetched while the stream is consumed: their errors must read like the others
        Iterator<S3Object> objects = new Iterator<>() {
            @Override
            public boolean hasNext() {
                try {
                    return pages.hasNext();
                } catch (SdkException e) {
                    throw failed("list", prefix, e);
                }
            }

            @Override
            public S3Object next() {
                try {
                    return pages.next();
                } catch (SdkException e) {
                    throw failed("list", prefix, e);
                }
            }
        };
        return StreamSupport.stream(Spliterators.spliteratorUnknownSize(objects, Spliterator.ORDERED | Spliterator.NONNULL), false)
                // directory markers (S3Proxy's filesystem store and some consoles show them) are not objects
                .filter(o -> !o.key().endsWith("/"))
                .map(o -> new ObjectInfo(o.key().substring(keyPrefix.length()), o.size(), o.lastModified()));
    }

    /**
     * ListObjectsV2 with {@code /} as delimiter: a page holds the common prefixes (one per name
     * below which objects lie) and the objects directly at this level, never the keys further
     * down.
     */
    @Override
    public Stream<String> listChildren(String prefix) {
        StorageKeys.checkParent(prefix);
        String full = keyPrefix + prefix;
        List<String> names = new ArrayList<>();
        try {
            for (ListObjectsV2Response page : client.listObjectsV2Paginator(b -> b.bucket(bucket()).prefix(full).delimiter("/"))) {
                page.commonPrefixes().forEach(c -> names.add(c.prefix().substring(full.length())));
                page.contents().stream().filter(o -> !o.key().endsWith("/"))
                        .forEach(o -> names.add(o.key().substring(full.length())));
            }
        } catch (SdkException e) {
            throw failed("list", prefix, e);
        }
        // a page lists its prefixes and its objects apart: sorted together as keys compare (a prefix as "name/")
        names.sort(null);
        return names.stream().map(n -> n.endsWith("/") ? n.substring(0, n.length() - 1) : n).distinct();
    }

    @Override
    public void remove(String key) {
        StorageKeys.check(key);
        try {
            client.deleteObject(b -> b.bucket(bucket()).key(s3Key(key)));
        } catch (SdkException e) {
            throw failed("remove", key, e);
        }
    }

    /**
     * Up to 1000 keys per {@code DeleteObjects} request (the S3 limit), quiet mode: only failures
     * come back. A store that does not implement the request as the SDK sends it (HTTP 501: S3Proxy
     * 2.6 refuses its checksum header; some stores have no multi-object delete) gets one
     * {@code DeleteObject} per key from then on.
     */
    @Override
    public void removeAll(Collection<String> keys) {
        List<String> all = List.copyOf(keys);
        all.forEach(StorageKeys::check);
        for (int from = 0; from < all.size(); from += deleteBatch) {
            List<String> part = all.subList(from, Math.min(all.size(), from + deleteBatch));
            if (!multiDelete) {
                part.forEach(this::remove);
                continue;
            }
            List<ObjectIdentifier> batch = part.stream().map(k -> ObjectIdentifier.builder().key(s3Key(k)).build()).toList();
            DeleteObjectsResponse r;
            try {
                r = client.deleteObjects(b -> b.bucket(bucket()).delete(d -> d.objects(batch).quiet(true)));
            } catch (S3Exception e) {
                if (e.statusCode() == 501) {
                    LOG.info("'{}' does not implement DeleteObjects ({}); removing objects one by one", location(), e.getMessage());
                    multiDelete = false;
                    part.forEach(this::remove);
                    continue;
                }
                throw failed("remove", part.size() + " objects from " + part.get(0) + ", the first", e);
            } catch (SdkException e) {
                throw failed("remove", part.size() + " objects from " + part.get(0) + ", the first", e);
            }
            List<S3Error> failed = r.errors().stream().filter(e -> !"NoSuchKey".equals(e.code())).toList();
            if (!failed.isEmpty()) {
                S3Error first = failed.get(0);
                throw new WalvaultException(ErrorCode.STORAGE, "cannot remove " + failed.size() + " of " + batch.size()
                        + " objects in '" + location() + "', the first '" + first.key().substring(keyPrefix.length())
                        + "': " + first.code() + " " + first.message());
            }
        }
    }

    /**
     * The incomplete multipart uploads under the prefix that were started before
     * {@code untouchedSince}: each one's parts are counted (ListParts) and the upload aborted.
     * An upload that is gone when aborted (finished or aborted meanwhile) is not counted.
     */
    @Override
    public AbandonedWrites removeAbandonedWrites(Instant untouchedSince, boolean dryRun) {
        requireNonNull(untouchedSince, "untouchedSince is null");
        AbandonedWrites removed = AbandonedWrites.NONE;
        String keyMarker = null;
        String uploadMarker = null;
        while (true) {
            ListMultipartUploadsResponse page;
            try {
                String km = keyMarker;
                String um = uploadMarker;
                page = client.listMultipartUploads(b -> b.bucket(bucket()).prefix(keyPrefix).keyMarker(km).uploadIdMarker(um));
            } catch (SdkException e) {
                throw failed("list the incomplete uploads", null, e);
            }
            for (MultipartUpload u : page.uploads()) {
                if (u.initiated() == null || !u.initiated().isBefore(untouchedSince)) {
                    continue;
                }
                String key = u.key().startsWith(keyPrefix) ? u.key().substring(keyPrefix.length()) : u.key();
                long bytes = uploadedBytes(u, key);
                if (!dryRun) {
                    try {
                        client.abortMultipartUpload(b -> b.bucket(bucket()).key(u.key()).uploadId(u.uploadId()));
                    } catch (NoSuchUploadException e) {
                        continue; // finished or aborted meanwhile: not ours to count
                    } catch (S3Exception e) {
                        if (e.statusCode() == 404) {
                            continue;
                        }
                        throw failed("abort the abandoned upload of", key, e);
                    } catch (SdkException e) {
                        throw failed("abort the abandoned upload of", key, e);
                    }
                    LOG.info("aborted the abandoned upload of '{}' in '{}' (started {}, {} bytes)", key, location(),
                            u.initiated(), bytes);
                }
                removed = removed.plus(new AbandonedWrites(1, bytes));
            }
            if (!Boolean.TRUE.equals(page.isTruncated())) {
                return removed;
            }
            keyMarker = page.nextKeyMarker();
            uploadMarker = page.nextUploadIdMarker();
        }
    }

    /** The bytes of the parts an upload holds, as far as the store tells them. */
    private long uploadedBytes(MultipartUpload u, String key) {
        long bytes = 0;
        Integer marker = null;
        while (true) {
            ListPartsResponse parts;
            try {
                Integer m = marker;
                parts = client.listParts(b -> b.bucket(bucket()).key(u.key()).uploadId(u.uploadId()).partNumberMarker(m));
            } catch (NoSuchUploadException e) {
                return bytes;
            } catch (SdkException e) {
                // the size is for the report only: the upload is still aborted
                LOG.warn("cannot list the parts of the abandoned upload of '{}' in '{}': {}", key, location(),
                        StorageErrors.describe(e));
                return bytes;
            }
            for (Part p : parts.parts()) {
                bytes += p.size() == null ? 0 : p.size();
            }
            if (!Boolean.TRUE.equals(parts.isTruncated()) || parts.nextPartNumberMarker() == null) {
                return bytes;
            }
            marker = parts.nextPartNumberMarker();
        }
    }

    @Override
    public Set<StorageFeature> features() {
        return settings.conditionalWrite() == S3Settings.ConditionalWrite.ON
                ? EnumSet.of(StorageFeature.ATOMIC_CREATE) : EnumSet.noneOf(StorageFeature.class);
    }

    @Override
    public String location() {
        return settings.location();
    }

    ObjectNotFoundException notFound(String key) {
        return new ObjectNotFoundException(key, location());
    }

    @Override
    public void close() {
        uploads.shutdownNow();
        client.close();
    }
}
