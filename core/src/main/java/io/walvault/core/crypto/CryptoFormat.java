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
 *      6    1  flags: bit 0 = a 32-byte plaintext SHA-256 trailer follows the last segment
 *      7    4  key version: which version of the repository key wrapped the data key
 *     11    4  plaintext segment size (a power of two, 4 KiB to 4 MiB; walvault writes 64 KiB)
 *     15   32  wrap input: a random salt (mode 1) or the ephemeral X25519 public key (mode 2)
 *     47    7  nonce prefix (random)
 *     54   48  the data key (32 bytes) sealed with AES-256-GCM under the wrap key
 *    102       segments: AES-256-GCM(data key, nonce = prefix | segment index (4) | last (1))
 *              of segment-size plaintext bytes, plus a 16-byte tag; the last segment is shorter
 *              or equal and has last = 1; an empty object is one empty last segment
 *    end-32    with flag bit 0: the plaintext's SHA-256, which is the associated data of the
 *              last segment (so it is authenticated with it)
 * </pre>
 *
 * The wrap key is HKDF-SHA256(ikm, salt, {@link #WRAP_INFO}) with ikm = the repository key of
 * that version (mode 1) or the X25519 shared secret (mode 2, salt = ephemeral public key |
 * recipient public key). The data key is sealed with a zero nonce (the wrap key is used once)
 * and associated data = header bytes 0-53 | the object's key in the repository, so changing
 * any header field or moving the object to another key is detected before any data is read.
 *
 * <p>The digest trailer lets a writer that cannot decrypt (a public-key archiving host) compare
 * a re-pushed WAL file with what is stored by reading 32 bytes, as pgBackRest compares by the
 * checksum in its file names; like those names it reveals the plaintext's hash.
 */
public final class CryptoFormat {

    static final byte[] MAGIC = {'W', 'V', 'E', 'N'};
    static final int VERSION = 1;
    static final int MODE_REPOSITORY_KEY = 1;
    static final int MODE_X25519 = 2;

    static final int OFF_VERSION = 4;
    static final int OFF_MODE = 5;
    static final int OFF_FLAGS = 6;
    static final int FLAG_DIGEST_TRAILER = 0x01;
    static final int OFF_KEY_VERSION = 7;
    static final int OFF_SEGMENT_SIZE = 11;
    static final int OFF_WRAP_INPUT = 15;
    static final int WRAP_INPUT_SIZE = 32;
    static final int OFF_NONCE_PREFIX = OFF_WRAP_INPUT + WRAP_INPUT_SIZE;
    static final int NONCE_PREFIX_SIZE = 7;
    static final int OFF_WRAPPED_KEY = OFF_NONCE_PREFIX + NONCE_PREFIX_SIZE;
    static final int KEY_SIZE = 32;
    static final int TAG_SIZE = 16;
    static final int WRAPPED_KEY_SIZE = KEY_SIZE + TAG_SIZE;
    /** The header's size, {@value}. */
    public static final int HEADER_SIZE = OFF_WRAPPED_KEY + WRAPPED_KEY_SIZE;
    /** The size of the optional plaintext digest trailer, {@value}. */
    public static final int TRAILER_SIZE = 32;
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

    /**
     * The plaintext SHA-256 recorded in an encrypted object's trailer, from its first
     * {@link #HEADER_SIZE} bytes and its last {@link #TRAILER_SIZE} bytes; null if the object
     * has no trailer. Not authenticated here (decrypting the object authenticates it).
     */
    public static byte[] digestTrailer(byte[] header, byte[] tail) {
        if (header.length < HEADER_SIZE || !isEncrypted(header, 0, header.length)
                || (header[OFF_FLAGS] & FLAG_DIGEST_TRAILER) == 0 || tail.length != TRAILER_SIZE) {
            return null;
        }
        return tail.clone();
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
