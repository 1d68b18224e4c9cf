package io.walvault.core.storage;

import static java.util.Objects.requireNonNull;

import io.walvault.core.pipeline.Sink;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * A self-test of a storage, for {@code walvault storage-check}: everything the repository relies
 * on, tried on throwaway objects under {@code walvault-check/<random>/}, which are removed
 * afterwards. Meant for S3-compatible stores, whose deviations (checksum headers, conditional
 * writes, multipart) are the usual trouble, but it runs on any driver.
 */
public final class StorageCheck {

    /** One step's outcome. */
    public record Step(String name, boolean ok, String detail) {
        public Step {
            requireNonNull(name, "name is null");
            requireNonNull(detail, "detail is null");
        }
    }

    private final Storage storage;
    private final Storage atomicProbe;
    private final long streamSize;
    private final String prefix = "walvault-check/" + UUID.randomUUID() + "/";

    /**
     * @param atomicProbe the same store configured to trust conditional writes alone, to find
     *                    out whether the store enforces them; or null to skip that step
     * @param streamSize  bytes of the streaming step (large enough for several S3 parts)
     */
    public StorageCheck(Storage storage, Storage atomicProbe, long streamSize) {
        this.storage = requireNonNull(storage, "storage is null");
        this.atomicProbe = atomicProbe;
        this.streamSize = streamSize;
    }

    /**
     * What to tell when a store kept an upload's {@code aws-chunked} framing as the object's
     * bytes (see {@link #looksLikeAwsChunked}).
     */
    public static final String AWS_CHUNKED_ADVICE = "the store kept the upload's aws-chunked framing (a hex chunk size,"
            + " then ';chunk-signature=...') as the object's bytes: it does not decode the streaming SigV4 uploads the"
            + " S3 client sends over plain http HINT: set s3-chunked-encoding=false (each request then signs its whole"
            + " payload instead), or reach the store over https";

    /**
     * Whether {@code head}, the first bytes of an object read back, is the framing of an
     * {@code aws-chunked} upload rather than the bytes written: a chunk size in hex followed by
     * {@code ;chunk-signature=} (signed chunks) or by CRLF (unsigned chunks with a trailer).
     */
    public static boolean looksLikeAwsChunked(byte[] head) {
        int i = 0;
        while (i < head.length && i < 17 && Character.digit(head[i], 16) >= 0) {
            i++;
        }
        if (i == 0 || i > 16) {
            return false;
        }
        return startsWith(head, i, ";chunk-signature=") || startsWith(head, i, "\r\n");
    }

    private static boolean startsWith(byte[] b, int from, String s) {
        if (b.length - from < s.length()) {
            return false;
        }
        for (int j = 0; j < s.length(); j++) {
            if (b[from + j] != s.charAt(j)) {
                return false;
            }
        }
        return true;
    }

    /** The bytes read back differ from those written: says why when the store kept aws-chunked framing. */
    private static IOException differs(String what, byte[] readHead) {
        return new IOException(looksLikeAwsChunked(readHead) ? AWS_CHUNKED_ADVICE : what);
    }

    private interface Body {
        String run() throws Exception;
    }

    private static void step(List<Step> steps, String name, Body body) {
        try {
            steps.add(new Step(name, true, body.run()));
        } catch (Exception e) {
            steps.add(new Step(name, false, e.getMessage() == null ? e.toString() : e.getMessage()));
        }
    }

    private static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    private void put(Storage s, String key, byte[] data) throws IOException {
        try (Sink w = s.newWrite(key)) {
            w.write(data, 0, data.length);
            w.finish();
        }
    }

    /** Runs every step, cleans up, and returns the outcomes in order. */
    public List<Step> run() {
        List<Step> steps = new ArrayList<>();
        byte[] small = random(4096, 1);
        String smallKey = prefix + "small";
        step(steps, "write a small object", () -> {
            put(storage, smallKey, small);
            return small.length + " bytes";
        });
        step(steps, "read it back", () -> {
            try (InputStream in = storage.newRead(smallKey)) {
                byte[] read = in.readAllBytes();
                if (!Arrays.equals(small, read)) {
                    throw differs("the bytes read differ from those written", read);
                }
            }
            return "identical";
        });
        step(steps, "ranged read", () -> {
            try (InputStream in = storage.newRead(smallKey, 100, 200)) {
                if (!Arrays.equals(Arrays.copyOfRange(small, 100, 300), in.readAllBytes())) {
                    throw new IOException("the range read differs from the bytes written");
                }
            }
            return "bytes 100-299";
        });
        step(steps, "create-if-absent refuses an existing object", () -> {
            try {
                put(storage, smallKey, new byte[] {1});
            } catch (ObjectExistsException e) {
                return "refused";
            }
            throw new IOException("the second create overwrote the object");
        });
        String bigKey = prefix + "stream";
        step(steps, "stream of " + streamSize / (1024 * 1024) + " MiB", () -> {
            MessageDigest written = sha256();
            byte[] block = random(1 << 20, 2);
            long start = System.nanoTime();
            try (Sink w = storage.newWrite(bigKey)) {
                for (long pos = 0; pos < streamSize; pos += block.length) {
                    int n = (int) Math.min(block.length, streamSize - pos);
                    block[0] = (byte) (pos >>> 20);
                    written.update(block, 0, n);
                    w.write(block, 0, n);
                }
                w.finish();
            }
            long up = System.nanoTime() - start;
            MessageDigest read = sha256();
            start = System.nanoTime();
            byte[] head = new byte[0];
            try (InputStream in = storage.newRead(bigKey)) {
                byte[] buf = new byte[1 << 16];
                for (int n; (n = in.read(buf)) != -1; ) {
                    if (head.length == 0) {
                        head = Arrays.copyOf(buf, n);
                    }
                    read.update(buf, 0, n);
                }
            }
            long down = System.nanoTime() - start;
            if (!Arrays.equals(written.digest(), read.digest())) {
                throw differs("the stream read back differs from the one written", head);
            }
            return String.format("written at %.0f MB/s, read at %.0f MB/s", streamSize / (up / 1e3), streamSize / (down / 1e3));
        });
        step(steps, "list by prefix", () -> {
            List<String> keys;
            try (Stream<ObjectInfo> l = storage.list(prefix)) {
                keys = l.map(ObjectInfo::key).toList();
            }
            if (!keys.equals(List.of(smallKey, bigKey))) {
                throw new IOException("listed " + keys + " instead of the 2 objects written");
            }
            return "2 objects, in key order";
        });
        if (atomicProbe != null) {
            String probeKey = prefix + "conditional";
            step(steps, "conditional writes (If-None-Match) enforced", () -> {
                put(atomicProbe, probeKey, new byte[] {1});
                try {
                    put(atomicProbe, probeKey, new byte[] {2});
                } catch (ObjectExistsException e) {
                    return "yes: s3-conditional-write=on is safe on this store";
                }
                throw new IOException("no: the store ignored If-None-Match and overwrote the object;"
                        + " keep s3-conditional-write=auto (HEAD check before publishing)");
            });
        }
        step(steps, "remove", () -> {
            List<String> left;
            try (Stream<ObjectInfo> l = storage.list(prefix)) {
                left = l.map(ObjectInfo::key).toList();
            }
            left.forEach(storage::remove);
            try (Stream<ObjectInfo> l = storage.list(prefix)) {
                if (l.findAny().isPresent()) {
                    throw new IOException("objects are still listed after removal");
                }
            }
            return left.size() + " objects removed";
        });
        return steps;
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
