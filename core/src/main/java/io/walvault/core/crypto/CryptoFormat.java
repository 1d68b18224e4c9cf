package io.walvault.core.crypto;

import java.nio.charset.StandardCharsets;

/**
 * Byte layout of an encrypted object (docs/FORMAT.md, "Encrypted objects"). All integers are
 * big-endian.
 *
 * <pre>
 * offset size  field
 *      0    4  magic "WVEN"
 *      4    1  format version (1)
 *      5    1  key mode: 1 = repository key (passphrase repositories), 2 = X25519 public key
 *      6    4  key version: which version of the repository key wrapped the data key
 *     10    4  plaintext segment size (a power of two, 4 KiB to 4 MiB; walvault writes 64 KiB)
 *     14   32  wrap input: a random salt (mode 1) or the ephemeral X25519 public key (mode 2)
 *     46    7  nonce prefix (random)
 *     53   48  the data key (32 bytes) sealed with AES-256-GCM under the wrap key
 *    101       segments: AES-256-GCM(data key, nonce = prefix | segment index (4) | last (1))
 *              of segment-size plaintext bytes, plus a 16-byte tag; the last segment is shorter
 *              or equal and has last = 1; an empty object is one empty last segment
 * </pre>
 *
 * The wrap key is HKDF-SHA256(ikm, salt, {@link #WRAP_INFO}) with ikm = the repository key of
 * that version (mode 1) or the X25519 shared secret (mode 2, salt = ephemeral public key |
 * recipient public key). The data key is sealed with a zero nonce (the wrap key is used once)
 * and associated data = header bytes 0-52 | the object's key in the repository, so changing
 * any header field or moving the object to another key is detected before any data is read.
 */
public final class CryptoFormat {

    static final byte[] MAGIC = {'W', 'V', 'E', 'N'};
    static final int VERSION = 1;
    static final int MODE_REPOSITORY_KEY = 1;
    static final int MODE_X25519 = 2;

    static final int OFF_VERSION = 4;
    static final int OFF_MODE = 5;
    static final int OFF_KEY_VERSION = 6;
    static final int OFF_SEGMENT_SIZE = 10;
    static final int OFF_WRAP_INPUT = 14;
    static final int WRAP_INPUT_SIZE = 32;
    static final int OFF_NONCE_PREFIX = OFF_WRAP_INPUT + WRAP_INPUT_SIZE;
    static final int NONCE_PREFIX_SIZE = 7;
    static final int OFF_WRAPPED_KEY = OFF_NONCE_PREFIX + NONCE_PREFIX_SIZE;
    static final int KEY_SIZE = 32;
    static final int TAG_SIZE = 16;
    static final int WRAPPED_KEY_SIZE = KEY_SIZE + TAG_SIZE;
    /** The header's size, {@value}. */
    public static final int HEADER_SIZE = OFF_WRAPPED_KEY + WRAPPED_KEY_SIZE;
    static final int NONCE_SIZE = 12;

    /** Plaintext bytes per segment that walvault writes: 64 KiB (overhead 16 bytes, 0.02%). */
    static final int DEFAULT_SEGMENT_SIZE = 64 * 1024;
    static final int MIN_SEGMENT_SIZE = 4 * 1024;
    static final int MAX_SEGMENT_SIZE = 4 * 1024 * 1024;

    static final byte[] WRAP_INFO = "walvault object data key v1".getBytes(StandardCharsets.US_ASCII);

    private CryptoFormat() {
    }

    /** Whether {@code b} starts with the encrypted-object magic (to tell encrypted objects apart). */
    public static boolean isEncrypted(byte[] b, int off, int len) {
        if (len < MAGIC.length) {
            return false;
        }
        for (int i = 0; i < MAGIC.length; i++) {
            if (b[off + i] != MAGIC[i]) {
                return false;
            }
        }
        return true;
    }

    static void putInt(byte[] b, int off, int v) {
        b[off] = (byte) (v >>> 24);
        b[off + 1] = (byte) (v >>> 16);
        b[off + 2] = (byte) (v >>> 8);
        b[off + 3] = (byte) v;
    }

    static int getInt(byte[] b, int off) {
        return (b[off] & 0xFF) << 24 | (b[off + 1] & 0xFF) << 16 | (b[off + 2] & 0xFF) << 8 | (b[off + 3] & 0xFF);
    }
}
