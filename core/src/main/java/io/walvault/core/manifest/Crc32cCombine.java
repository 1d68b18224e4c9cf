package io.walvault.core.manifest;

/**
 * The CRC-32C of two byte sequences one after the other, from the CRC-32C of each and the
 * length of the second, without the bytes: what lets a file rebuilt from stored chunks get
 * the whole-file checksum PostgreSQL's backup_manifest carries from the checksums recorded for
 * its chunks. The first CRC is multiplied by x^(8·length) modulo the CRC-32C polynomial over
 * GF(2) (the second part's length applied as that many zero bits), as current zlib does for
 * CRC-32: a table of x^(2^k) makes one power cost at most 63 multiplications of 32 steps, and a
 * {@link Shift} keeps one length's power for every chunk of that size. Values are the finished
 * CRCs as {@link java.util.zip.CRC32C#getValue()} returns them.
 */
public final class Crc32cCombine {

    /** CRC-32C (Castagnoli), reflected. */
    private static final int POLY = 0x82F63B78;
    /** x^0 in the reflected representation. */
    private static final int ONE = 0x80000000;
    /** x^(2^k) modulo the polynomial, k = 0..66: enough for 8 times any byte count a long holds. */
    private static final int[] X_POW_2K = new int[3 + 64];

    static {
        int p = ONE >>> 1; // x^1
        for (int k = 0; k < X_POW_2K.length; k++) {
            X_POW_2K[k] = p;
            p = multiply(p, p);
        }
    }

    private Crc32cCombine() {
    }

    /** The CRC-32C of {@code a} followed by {@code b}, given {@code crcA}, {@code crcB} and {@code b}'s length. */
    public static int combine(int crcA, int crcB, long lengthB) {
        return shift(lengthB).combine(crcA, crcB);
    }

    /** What appending {@code length} bytes does to a CRC, for combining many parts of that length. */
    public static Shift shift(long length) {
        if (length < 0) {
            throw new IllegalArgumentException("negative length " + length);
        }
        // x^(8·length): the bits of length from k = 3 on (8 = 2^3)
        int p = ONE;
        int k = 3;
        for (long n = length; n != 0; n >>>= 1, k++) {
            if ((n & 1) != 0) {
                p = multiply(X_POW_2K[k], p);
            }
        }
        return new Shift(p);
    }

    /** x^(8·length) modulo the polynomial: the factor a CRC is multiplied by when that many bytes follow. */
    public record Shift(int factor) {

        /** The CRC-32C of {@code a} followed by {@code b}, where {@code b} has this shift's length. */
        public int combine(int crcA, int crcB) {
            return multiply(factor, crcA) ^ crcB;
        }
    }

    /** a·b modulo the polynomial, both reflected. */
    private static int multiply(int a, int b) {
        int product = 0;
        int m = ONE;
        int bb = b;
        while (true) {
            if ((a & m) != 0) {
                product ^= bb;
                if ((a & (m - 1)) == 0) {
                    return product;
                }
            }
            m >>>= 1;
            bb = (bb & 1) != 0 ? (bb >>> 1) ^ POLY : bb >>> 1;
            if (m == 0) {
                return product;
            }
        }
    }
}
