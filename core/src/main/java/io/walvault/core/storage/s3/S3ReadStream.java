package io.walvault.core.storage.s3;

import io.walvault.core.storage.StorageErrors;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;

/**
 * A ranged GET as a stream. The SDK retries a request, but not a body that breaks half-way (a
 * reset connection during a multi-GiB restore): this stream then asks again from the byte it
 * had delivered, pinned to the same object version by its ETag, after a short backoff. A break
 * that delivered bytes since the previous one starts the count again; {@code s3-max-attempts}
 * breaks in a row without progress are a {@code STORAGE} error naming the key and the offset.
 */
final class S3ReadStream extends InputStream {

    private static final Logger LOG = LoggerFactory.getLogger(S3ReadStream.class);
    /** Backoff before a resumed request: doubling from this, at most {@link #MAX_BACKOFF_MS}. */
    private static final long FIRST_BACKOFF_MS = 100;
    private static final long MAX_BACKOFF_MS = 5_000;

    private final S3Storage storage;
    private final String key;
    private final long end; // exclusive, or -1: to the object's end
    private long position;
    private String etag;
    private ResponseInputStream<GetObjectResponse> body;
    /** Breaks in a row without a byte delivered in between. */
    private int breaks;
    private long positionAtLastBreak = -1;

    private S3ReadStream(S3Storage storage, String key, long offset, long length) {
        this.storage = storage;
        this.key = key;
        this.position = offset;
        this.end = length < 0 ? -1 : offset + length;
    }

    static InputStream open(S3Storage storage, String key, long offset, long length) {
        S3ReadStream s = new S3ReadStream(storage, key, offset, length);
        s.request();
        return s;
    }

    private void request() {
        if (end >= 0 && position >= end) {
            // nothing to read, but a missing object is still missing
            if (etag == null && storage.head(key).isEmpty()) {
                throw storage.notFound(key);
            }
            body = null;
            return;
        }
        GetObjectRequest.Builder b = GetObjectRequest.builder().bucket(storage.bucket()).key(storage.s3Key(key));
        if (position > 0 || end >= 0) {
            b.range("bytes=" + position + "-" + (end >= 0 ? String.valueOf(end - 1) : ""));
        }
        if (etag != null) {
            b.ifMatch(etag);
        }
        try {
            body = storage.client().getObject(b.build());
            etag = body.response().eTag();
        } catch (NoSuchKeyException e) {
            throw storage.notFound(key);
        } catch (S3Exception e) {
            if (e.statusCode() == 404) {
                throw storage.notFound(key);
            }
            if (e.statusCode() == 416) {
                body = null; // the range starts at or past the end: nothing to read
                return;
            }
            throw storage.failed("read", key, e);
        } catch (SdkException e) {
            throw storage.failed("read", key, e);
        }
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xFF;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        while (true) {
            if (body == null) {
                return -1;
            }
            try {
                int n = body.read(b, off, len);
                if (n > 0) {
                    position += n;
                }
                return n;
            } catch (IOException e) {
                breaks = position > positionAtLastBreak ? 1 : breaks + 1;
                positionAtLastBreak = position;
                int attempts = storage.settings().maxAttempts();
                body.abort();
                body = null;
                if (breaks >= attempts) {
                    throw storage.failed("read", key, new IOException("the response broke off at byte " + position
                            + " " + attempts + " times in a row", e));
                }
                LOG.debug("read of '{}' broke at byte {}, asking again from there: {}", key, position, e.toString());
                try {
                    Thread.sleep(Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS << Math.min(breaks - 1, 16)));
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw new InterruptedIOException("interrupted while reading '" + key + "'");
                }
                try {
                    request();
                } catch (RuntimeException re) {
                    re.addSuppressed(e);
                    throw re;
                }
            }
        }
    }

    @Override
    public void close() throws IOException {
        if (body != null) {
            // abort rather than drain: a ranged read may stop early, and draining GiB is worse than a new connection
            if (end < 0 || position < end) {
                body.abort();
            }
            body.close();
            body = null;
        }
    }
}
