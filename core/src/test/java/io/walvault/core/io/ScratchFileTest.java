package io.walvault.core.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ScratchFileTest {

    @TempDir
    Path dir;

    @Test
    void hasNoNameInItsDirectoryFromTheStartSoAKilledProcessLeavesNothing() throws IOException {
        try (ScratchFile f = ScratchFile.create(dir, "walvault-test-");
             OutputStream out = f.append()) {
            out.write(new byte[300_000]);
            out.flush();
            try (Stream<Path> s = Files.list(dir)) {
                assertEquals(0, s.count(), "the file's name is gone while its bytes are in use");
            }
            assertEquals(300_000, f.size());
        }
    }

    @Test
    void readsBackWhatWasAppendedFromAnyPositionWithIndependentReaders() throws IOException {
        byte[] data = new byte[200_003]; // more than one buffer, not a multiple of it
        new Random(7).nextBytes(data);
        try (ScratchFile f = ScratchFile.create(dir, "walvault-test-")) {
            try (OutputStream out = f.append()) {
                out.write(data, 0, 5);
                out.write(data[5]);
                out.write(data, 6, data.length - 6);
            }
            assertEquals(data.length, f.size());
            try (InputStream whole = f.readFrom(0); InputStream tail = f.readFrom(123_456, 512)) {
                byte[] firstHalf = whole.readNBytes(100_000);
                assertArrayEquals(Arrays.copyOfRange(data, 123_456, data.length), tail.readAllBytes(),
                        "a second reader does not move the first");
                byte[] rest = whole.readAllBytes();
                assertArrayEquals(Arrays.copyOfRange(data, 0, 100_000), firstHalf);
                assertArrayEquals(Arrays.copyOfRange(data, 100_000, data.length), rest);
                assertEquals(-1, whole.read());
            }
        }
    }

    @Test
    void writesAndReadsRecordsAtPositionsAndSaysWhenAReadRunsPastTheEnd() throws IOException {
        try (ScratchFile f = ScratchFile.create(dir, "walvault-test-")) {
            f.writeAt(ByteBuffer.wrap(new byte[] {1, 2, 3, 4}), 40);
            f.writeAt(ByteBuffer.wrap(new byte[] {9, 9}), 0);
            assertEquals(44, f.size(), "the end is the furthest byte written");
            ByteBuffer b = ByteBuffer.allocate(4);
            f.readFully(b, 40);
            assertArrayEquals(new byte[] {1, 2, 3, 4}, b.array());
            IOException e = assertThrows(IOException.class, () -> f.readFully(ByteBuffer.allocate(8), 40));
            assertEquals(true, e.getMessage().contains("ends at 44 bytes"), e.getMessage());
        }
    }

    @Test
    void closingLetsTheBytesGo() throws IOException {
        ScratchFile f = ScratchFile.create(dir, "walvault-test-");
        try (OutputStream out = f.append()) {
            out.write(new byte[] {1, 2, 3});
        }
        f.close();
        assertThrows(ClosedChannelException.class, () -> f.readFrom(0).read());
    }
}
