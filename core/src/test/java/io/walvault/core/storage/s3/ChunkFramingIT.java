package io.walvault.core.storage.s3;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.walvault.core.config.S3Settings;
import io.walvault.core.pipeline.Sink;
import io.walvault.core.storage.StorageCheck;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;
import java.util.regex.Pattern;
import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStoreContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A store that does not understand the SDK's streaming SigV4 uploads over plain http
 * ({@code Content-Encoding: aws-chunked}, {@code x-amz-content-sha256: STREAMING-...}) and keeps
 * the chunk framing as the object's bytes, as some S3-compatible stores do. Modelled by S3Proxy
 * without authentication behind a proxy that hides the two headers from it, so that it stores
 * the body as it came. storage-check must say what happened and what to set; with
 * {@code s3-chunked-encoding=false} the same store works.
 */
class ChunkFramingIT {

    @TempDir
    Path dir;

    private BlobStoreContext context;
    private S3Proxy s3proxy;
    private ResettingProxy hiding;
    private static final String BUCKET = "framing";

    @BeforeEach
    void start() throws Exception {
        Properties props = new Properties();
        props.setProperty("jclouds.filesystem.basedir", dir.toString());
        context = ContextBuilder.newBuilder("filesystem").credentials("id", "secret").overrides(props)
                .buildView(BlobStoreContext.class);
        context.getBlobStore().createContainerInLocation(null, BUCKET);
        s3proxy = S3Proxy.builder().blobStore(context.getBlobStore()).endpoint(URI.create("http://127.0.0.1:0"))
                .awsAuthentication(AuthenticationType.NONE, null, null).build();
        s3proxy.start();
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (!"STARTED".equals(s3proxy.getState()) && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        Pattern streaming = Pattern.compile("(?im)^x-amz-content-sha256:\\s*STREAMING-[^\\r\\n]*$");
        Pattern encoding = Pattern.compile("(?im)^(content-encoding:\\s*aws-chunked|x-amz-decoded-content-length:.*?)\\s*(\\r\\n|$)");
        hiding = new ResettingProxy(URI.create("http://127.0.0.1:" + s3proxy.getPort()), line -> false, 0, 0)
                .rewritingRequestHeads(head -> encoding.matcher(streaming.matcher(head)
                        .replaceAll("x-amz-content-sha256: UNSIGNED-PAYLOAD")).replaceAll(""));
    }

    @AfterEach
    void stop() throws Exception {
        hiding.close();
        s3proxy.stop();
        context.close();
    }

    private S3Settings settings() {
        return S3Settings.of(BUCKET, "p").withEndpoint(hiding.endpoint(), "us-east-1", true)
                .withCredentials("AKIDEXAMPLE", "secret").withParts(S3Settings.MIN_PART_SIZE, 2).withRetries(2);
    }

    private static StorageCheck.Step step(List<StorageCheck.Step> steps, String name) {
        return steps.stream().filter(st -> st.name().startsWith(name)).findFirst().orElseThrow();
    }

    @Test
    void storageCheckSaysTheStoreKeptTheChunkFramingAndWhatToSet() {
        List<StorageCheck.Step> steps;
        try (S3Storage s = new S3Storage(settings())) {
            steps = new StorageCheck(s, null, 2 * S3Settings.MIN_PART_SIZE + 1024 * 1024).run();
        }
        StorageCheck.Step write = step(steps, "write a small object");
        assertFalse(write.ok(), write.toString());
        assertTrue(write.detail().contains("holds 4" ) && write.detail().endsWith(StorageCheck.AWS_CHUNKED_ADVICE), write.detail());
        StorageCheck.Step read = step(steps, "read it back");
        assertFalse(read.ok());
        assertEquals(StorageCheck.AWS_CHUNKED_ADVICE, read.detail());
        assertTrue(read.detail().contains("HINT: set s3-chunked-encoding=false"), read.detail());
        StorageCheck.Step stream = step(steps, "stream of");
        assertFalse(stream.ok());
        assertTrue(stream.detail().endsWith(StorageCheck.AWS_CHUNKED_ADVICE), stream.detail());
    }

    @Test
    void withChunkedEncodingOffTheSameStoreWorks() throws Exception {
        List<StorageCheck.Step> steps;
        try (S3Storage s = new S3Storage(settings().withChunkedEncoding(false))) {
            steps = new StorageCheck(s, null, 2 * S3Settings.MIN_PART_SIZE + 1024 * 1024).run();
            steps.forEach(st -> assertTrue(st.ok(), st.toString()));
            byte[] data = "hello".getBytes(StandardCharsets.US_ASCII);
            try (Sink w = s.newWrite("x")) {
                w.write(data, 0, data.length);
                w.finish();
            }
            try (InputStream in = s.newRead("x")) {
                assertArrayEquals(data, in.readAllBytes());
            }
        }
        assertEquals(7, steps.size(), steps.toString());
    }
}
