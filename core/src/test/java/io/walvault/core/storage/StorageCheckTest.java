package io.walvault.core.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.walvault.core.pipeline.Sink;
import io.walvault.core.storage.memory.MemoryStorage;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class StorageCheckTest {

    @Test
    void aConformingStoragePassesEveryStep() {
        MemoryStorage m = new MemoryStorage();
        List<StorageCheck.Step> steps = new StorageCheck(m, m, 3L * 1024 * 1024).run();
        assertEquals(8, steps.size());
        steps.forEach(s -> assertTrue(s.ok(), s.toString()));
        try (Stream<ObjectInfo> l = m.list("")) {
            assertEquals(0, l.count(), "nothing left behind");
        }
    }

    @Test
    void aStorageThatOverwritesOnCreateFails() {
        MemoryStorage m = new MemoryStorage();
        Storage careless = new ForwardingStorage(m) {
            @Override
            public Sink newWrite(String key, WriteMode mode) {
                return super.newWrite(key, WriteMode.OVERWRITE);
            }

            @Override
            public Set<StorageFeature> features() {
                return Set.of();
            }

            @Override
            public String location() {
                return "careless";
            }

            @Override
            public void close() {
            }
        };
        List<StorageCheck.Step> steps = new StorageCheck(careless, null, 1024 * 1024).run();
        StorageCheck.Step create = steps.stream().filter(s -> s.name().startsWith("create-if-absent")).findFirst().orElseThrow();
        assertFalse(create.ok());
        assertTrue(create.detail().contains("overwrote"), create.detail());
    }

    @Test
    void recognisesAwsChunkedFramingInTheBytesReadBack() {
        java.util.function.Function<String, byte[]> b = t -> t.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
        assertTrue(StorageCheck.looksLikeAwsChunked(b.apply("1000;chunk-signature=991325e9ed589b4a68a99882f51b\r\n...")));
        assertTrue(StorageCheck.looksLikeAwsChunked(b.apply("5;chunk-signature=ab")));
        assertTrue(StorageCheck.looksLikeAwsChunked(b.apply("fffff\r\nbytes\r\n0\r\nx-amz-checksum-crc32:AAAA\r\n")),
                "unsigned chunks with a trailer");
        assertFalse(StorageCheck.looksLikeAwsChunked(b.apply("hello world")));
        assertFalse(StorageCheck.looksLikeAwsChunked(b.apply(";chunk-signature=")), "no size");
        assertFalse(StorageCheck.looksLikeAwsChunked(b.apply("12345678901234567;chunk-signature=")), "no size is that long");
        assertFalse(StorageCheck.looksLikeAwsChunked(b.apply("5;chunk-sig")));
        assertFalse(StorageCheck.looksLikeAwsChunked(new byte[0]));
    }

    @Test
    void aStoreThatKeepsTheChunkFramingIsToldWhatToSet() {
        MemoryStorage m = new MemoryStorage();
        // what such a store does to an upload: the framing becomes the object's bytes
        Storage framing = new ForwardingStorage(m) {
            @Override
            public Sink newWrite(String key, WriteMode mode) {
                Sink inner = m.newWrite(key, mode);
                return new Sink() {
                    private boolean first = true;

                    @Override
                    public void write(byte[] b, int off, int len) throws java.io.IOException {
                        byte[] frame = (Integer.toHexString(len) + ";chunk-signature=" + "0".repeat(64) + "\r\n")
                                .getBytes(java.nio.charset.StandardCharsets.US_ASCII);
                        inner.write(frame, 0, frame.length);
                        inner.write(b, off, len);
                        first = false;
                    }

                    @Override
                    public void finish() throws java.io.IOException {
                        inner.finish();
                    }

                    @Override
                    public void close() throws java.io.IOException {
                        inner.close();
                    }
                };
            }

            @Override
            public void close() {
            }
        };
        List<StorageCheck.Step> steps = new StorageCheck(framing, null, 3L * 1024 * 1024).run();
        StorageCheck.Step read = steps.get(1);
        assertEquals("read it back", read.name());
        assertFalse(read.ok());
        assertEquals(StorageCheck.AWS_CHUNKED_ADVICE, read.detail());
        assertTrue(read.detail().contains("HINT: set s3-chunked-encoding=false"), read.detail());
        assertFalse(steps.get(4).ok());
        assertEquals(StorageCheck.AWS_CHUNKED_ADVICE, steps.get(4).detail(), "the stream too");
    }
}
