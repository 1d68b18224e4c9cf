package io.walvault.core.manifest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Random;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Test;

/** The CRC-32C of two parts, combined from theirs, is the CRC-32C of the whole, at every kind of split. */
class Crc32cCombineTest {

    @Test
    void combinedEqualsTheWholesCrc() {
        Random random = new Random(11);
        byte[] data = new byte[3 * 1024 * 1024 + 17];
        random.nextBytes(data);
        int[] splits = {0, 1, 7, 8192, 1024 * 1024, 2 * 1024 * 1024 + 5, data.length - 1, data.length};
        for (int split : splits) {
            int whole = crc(data, 0, data.length);
            int combined = Crc32cCombine.combine(crc(data, 0, split), crc(data, split, data.length - split), data.length - split);
            assertEquals(whole, combined, "split at " + split);
        }
        // a file of chunks, folded left to right as a rebuilt file's checksum is
        int chunk = 1024 * 1024;
        int folded = 0;
        for (int off = 0; off < data.length; off += chunk) {
            int len = Math.min(chunk, data.length - off);
            folded = off == 0 ? crc(data, 0, len) : Crc32cCombine.combine(folded, crc(data, off, len), len);
        }
        assertEquals(crc(data, 0, data.length), folded);
    }

    @Test
    void oneShiftServesEveryPartOfItsLength() {
        Random random = new Random(12);
        byte[] data = new byte[40 * 8192];
        random.nextBytes(data);
        Crc32cCombine.Shift page = Crc32cCombine.shift(8192);
        int folded = crc(data, 0, 8192);
        for (int off = 8192; off < data.length; off += 8192) {
            folded = page.combine(folded, crc(data, off, 8192));
        }
        assertEquals(crc(data, 0, data.length), folded);
        assertEquals(crc(data, 0, 5), Crc32cCombine.combine(crc(data, 0, 5), crc(data, 5, 0), 0), "nothing appended");
    }

    @Test
    void lengthsPastFourGibibytesAddUp() {
        // appending L1 then L2 zero-checksum parts is appending L1 + L2: the powers of x add, whatever the length's bits
        long[][] lengths = {{1L << 32, 3}, {(5L << 30) + 17, (3L << 30) + 1}, {Long.MAX_VALUE / 2, Long.MAX_VALUE / 2}};
        for (long[] l : lengths) {
            int stepwise = Crc32cCombine.combine(Crc32cCombine.combine(0x1234567, 0, l[0]), 0, l[1]);
            assertEquals(Crc32cCombine.combine(0x1234567, 0, l[0] + l[1]), stepwise, l[0] + " + " + l[1]);
        }
    }

    @Test
    void aNegativeLengthIsRefused() {
        assertThrows(IllegalArgumentException.class, () -> Crc32cCombine.combine(1, 2, -1));
    }

    private static int crc(byte[] b, int off, int len) {
        CRC32C c = new CRC32C();
        c.update(b, off, len);
        return (int) c.getValue();
    }
}
