package io.walvault.core.manifest;

/**
 * The CRC-32C of two byte sequences one after the other, from the CRC-32C of each and the
 * length of the second, without the bytes: what lets a file rebuilt from stored chunks get
 * the whole-file checksum PostgreSQL's backup_manifest carries from the checksums recorded for
 * its chunks. The method is the one zlib uses for CRC-32 (the second CRC's length applied as
 * that many zero bits to the first, by repeated squaring of the CRC's shift operator over
 * GF(2)), with the CRC-32C polynomial. Values are the finished CRCs as
 * {@link java.util.zip.CRC32C#getValue()} returns them.
 */
public final class Crc32cCombine {

    /** CRC-32C (Castagnoli), reflected. */
    private static final int POLY = 0x82F63B78;

    private Crc32cCombine() {
    }

    /** The CRC-32C of {@code a} followed by {@code b}, given {@code crcA}, {@code crcB} and {@code b}'s length. */
    public static int combine(int crcA, int crcB, long lengthB) {
        if (lengthB < 0) {
            throw new IllegalArgumentException("negative length " + lengthB);
        }
        if (lengthB == 0) {
            return crcA;
        }
        int[] even = new int[32];
        int[] odd = new int[32];
        odd[0] = POLY; // the operator for one zero bit
        int row = 1;
        for (int n = 1; n < 32; n++) {
            odd[n] = row;
            row <<= 1;
        }
        square(even, odd); // two zero bits
        square(odd, even); // four zero bits
        int crc = crcA;
        long len = lengthB;
        do {
            square(even, odd); // first pass: one zero byte
            if ((len & 1) != 0) {
                crc = times(even, crc);
            }
            len >>>= 1;
            if (len == 0) {
                break;
            }
            square(odd, even);
            if ((len & 1) != 0) {
                crc = times(odd, crc);
            }
            len >>>= 1;
        } while (len != 0);
        return crc ^ crcB;
    }

    private static int times(int[] matrix, int vector) {
        int sum = 0;
        int v = vector;
        for (int i = 0; v != 0; i++, v >>>= 1) {
            if ((v & 1) != 0) {
                sum ^= matrix[i];
            }
        }
        return sum;
    }

    private static void square(int[] result, int[] matrix) {
        for (int n = 0; n < 32; n++) {
            result[n] = times(matrix, matrix[n]);
        }
    }
}
