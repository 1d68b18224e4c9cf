package io.walvault.core.storage.s3;

import io.walvault.core.config.S3Settings;
import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;
import io.walvault.core.pipeline.Sink;
import io.walvault.core.storage.ObjectExistsException;
import io.walvault.core.storage.Storage.WriteMode;
import io.walvault.core.storage.StorageCheck;
import io.walvault.core.storage.StorageErrors;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.CreateMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.ServerSideEncryption;

/**
 * One S3 write of unknown length.
 *
 * <pre>
 *   write() ─▶ part buffer ──full──▶ [semaphore: at most partConcurrency parts in flight] ─▶ UploadPart (pool)
 *   finish() ─▶ one part only? PutObject : last UploadPart, wait, CompleteMultipartUpload ─▶ HEAD: size check
 *   close() without finish ─▶ cancel parts, AbortMultipartUpload (failures attached as suppressed)
 * </pre>
 *
 * Memory: the buffer being filled plus at most {@code partConcurrency} buffers uploading, each of
 * at most the part size; small objects start with a small buffer that grows. The part size
 * doubles every 1000 parts so an object of any size fits in S3's 10000 parts. The writer blocks
 * while the part slots are full: backpressure, never unbounded buffering.
 */
final class S3WriteSink implements Sink {

    private static final Logger LOG = LoggerFactory.getLogger(S3WriteSink.class);
    private static final int FIRST_BUFFER = 256 * 1024;
    private static final int PARTS_PER_SIZE_STEP = 1000;

    private final S3Storage storage;
    private final S3Settings settings;
    private final String key;
    private final String s3Key;
    private final WriteMode mode;
    private final Semaphore slots;
    private final List<Future<CompletedPart>> parts = new ArrayList<>();
    /**
     * Part buffers whose upload has ended, for the writer to fill again instead of allocating
     * one per part (tens of MiB each, garbage G1 had to collect). Arrays alive stay at most the
     * one being filled plus partConcurrency.
     */
    private final BlockingQueue<byte[]> spare;
    private byte[] buffer = new byte[FIRST_BUFFER];
    private int filled;
    private long written;
    private String uploadId;
    private volatile Throwable partFailure;
    private boolean finished;
    private boolean closed;

    S3WriteSink(S3Storage storage, String key, WriteMode mode) {
        this.storage = storage;
        this.settings = storage.settings();
        this.key = key;
        this.s3Key = storage.s3Key(key);
        this.mode = mode;
        this.slots = new Semaphore(settings.partConcurrency());
        this.spare = new ArrayBlockingQueue<>(settings.partConcurrency());
    }

    private int partSize() {
        int step = Math.min(parts.size() / PARTS_PER_SIZE_STEP, 8);
        return (int) Math.min(settings.partSize() << step, Integer.MAX_VALUE - 64);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        if (finished || closed) {
            throw new IllegalStateException("write after finish or close");
        }
        checkParts();
        while (len > 0) {
            int size = partSize();
            if (filled == buffer.length && buffer.length < size) {
                buffer = Arrays.copyOf(buffer, (int) Math.min((long) buffer.length * 2, size));
            }
            int n = Math.min(len, buffer.length - filled);
            System.arraycopy(b, off, buffer, filled, n);
            filled += n;
            off += n;
            len -= n;
            written += n;
            if (filled == size) {
                uploadPart();
            }
        }
    }

    private void uploadPart() throws IOException {
        if (uploadId == null) {
            CreateMultipartUploadRequest.Builder r = CreateMultipartUploadRequest.builder().bucket(storage.bucket()).key(s3Key);
            if (settings.storageClass() != null) {
                r.storageClass(settings.storageClass());
            }
            if (settings.sse() != S3Settings.Sse.NONE) {
                r.serverSideEncryption(sse());
                r.ssekmsKeyId(settings.kmsKeyId());
            }
            try {
                uploadId = storage.client().createMultipartUpload(r.build()).uploadId();
            } catch (SdkException e) {
                throw storage.failed("start the upload of", key, e);
            }
            LOG.debug("started multipart upload of '{}'", key);
        }
        try {
            slots.acquire();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while uploading '" + key + "'");
        }
        byte[] data = buffer;
        int length = filled;
        int number = parts.size() + 1;
        try {
            parts.add(storage.uploads().submit(() -> {
                try {
                    String etag = storage.client().uploadPart(b -> b.bucket(storage.bucket()).key(s3Key)
                                    .uploadId(uploadId).partNumber(number).contentLength((long) length),
                            body(data, length)).eTag();
                    return CompletedPart.builder().partNumber(number).eTag(etag).build();
                } catch (Throwable t) {
                    partFailure = t;
                    throw t;
                } finally {
                    spare.offer(data); // the upload, retries included, is done with it
                    slots.release();
                }
            }));
        } catch (RuntimeException e) {
            slots.release();
            throw e;
        }
        int next = Math.min(partSize(), Math.max(FIRST_BUFFER, length));
        byte[] reused = spare.poll();
        buffer = reused != null && reused.length == next ? reused : new byte[next];
        filled = 0;
    }

    private static RequestBody body(byte[] data, int length) {
        // a fresh stream per attempt over the same array: retries without copying the part
        return RequestBody.fromContentProvider(() -> new ByteArrayInputStream(data, 0, length), length,
                "application/octet-stream");
    }

    private ServerSideEncryption sse() {
        return settings.sse() == S3Settings.Sse.KMS ? ServerSideEncryption.AWS_KMS : ServerSideEncryption.AES256;
    }

    private void checkParts() {
        Throwable t = partFailure;
        if (t != null) {
            throw storage.failed("upload a part of", key, t);
        }
    }

    @Override
    public void finish() throws IOException {
        if (finished || closed) {
            throw new IllegalStateException("finish after finish or close");
        }
        checkParts();
        boolean headCheck = mode.createOnly() && settings.conditionalWrite() != S3Settings.ConditionalWrite.ON;
        String ifNoneMatch = mode.createOnly() && settings.conditionalWrite() != S3Settings.ConditionalWrite.OFF
                ? "*" : null;
        try {
            if (uploadId == null) {
                if (headCheck && storage.head(key).isPresent()) {
                    throw new ObjectExistsException(key, storage.location());
                }
                PutObjectRequest.Builder r = PutObjectRequest.builder().bucket(storage.bucket()).key(s3Key)
                        .contentLength((long) filled).ifNoneMatch(ifNoneMatch);
                if (settings.storageClass() != null) {
                    r.storageClass(settings.storageClass());
                }
                if (settings.sse() != S3Settings.Sse.NONE) {
                    r.serverSideEncryption(sse());
                    r.ssekmsKeyId(settings.kmsKeyId());
                }
                storage.client().putObject(r.build(), body(buffer, filled));
            } else {
                if (filled > 0) {
                    uploadPart();
                }
                List<CompletedPart> done = new ArrayList<>(parts.size());
                for (Future<CompletedPart> f : parts) {
                    done.add(f.get());
                }
                if (headCheck && storage.head(key).isPresent()) {
                    throw new ObjectExistsException(key, storage.location());
                }
                storage.client().completeMultipartUpload(b -> b.bucket(storage.bucket()).key(s3Key).uploadId(uploadId)
                        .ifNoneMatch(ifNoneMatch).multipartUpload(m -> m.parts(done)));
                uploadId = null;
            }
        } catch (S3Exception e) {
            if (mode.createOnly() && (e.statusCode() == 412 || e.statusCode() == 409)) {
                throw new ObjectExistsException(key, storage.location());
            }
            throw storage.failed("publish", key, e);
        } catch (SdkException e) {
            throw storage.failed("publish", key, e);
        } catch (ExecutionException e) {
            throw storage.failed("upload a part of", key, e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while uploading '" + key + "'");
        }
        buffer = null;
        finished = true;
        // A store can acknowledge and still hold something else (field reports of 0-byte objects):
        // check the size before telling the caller the object is safe.
        long stored = storage.head(key).map(h -> h.contentLength()).orElse(-1L);
        if (stored != written) {
            throw new WalvaultException(ErrorCode.STORAGE, "object '" + key + "' in '" + storage.location()
                    + "' holds " + stored + " bytes after upload, not the " + written + " written"
                    + (stored > written && keptChunkFraming() ? ": " + StorageCheck.AWS_CHUNKED_ADVICE
                    : ""));
        }
    }

    /** Whether the object just published starts with aws-chunked framing instead of the bytes written. */
    private boolean keptChunkFraming() {
        try (InputStream in = storage.newRead(key, 0, 128)) {
            return StorageCheck.looksLikeAwsChunked(in.readAllBytes());
        } catch (IOException | RuntimeException e) {
            return false; // only a better message was at stake
        }
    }

    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        buffer = null;
        if (uploadId == null) {
            return;
        }
        // Unfinished: let the parts in flight end (at most partConcurrency, each bounded by the
        // attempt timeout) so none lands after the abort, then abort: no garbage, no storage cost.
        RuntimeException failure = null;
        for (Future<CompletedPart> f : parts) {
            try {
                f.get();
            } catch (ExecutionException ignored) {
                // that part failed: the abort below cleans up either way
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        try {
            storage.client().abortMultipartUpload(b -> b.bucket(storage.bucket()).key(s3Key).uploadId(uploadId));
            LOG.debug("aborted multipart upload of '{}'", key);
        } catch (SdkException e) {
            failure = storage.failed("abort the unfinished upload of", key, e);
        }
        uploadId = null;
        if (failure != null) {
            throw failure;
        }
    }
}
