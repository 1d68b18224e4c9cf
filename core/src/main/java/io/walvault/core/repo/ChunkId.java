package io.walvault.core.repo;

import static java.util.Objects.requireNonNull;

import java.util.HexFormat;

/**
 * The name of a chunk in the repository: the HMAC-SHA256 of its plaintext under the
 * repository's chunk-naming secret ({@link ChunkNamer}), 64 lowercase hex digits. Equal content
 * has equal names, so a chunk the repository holds already is never stored again; without the
 * secret, a name tells nothing of the content.
 */
public record ChunkId(String hex) implements Comparable<ChunkId> {

    public static final int BYTES = 32;

    public ChunkId {
        requireNonNull(hex, "hex is null");
        if (!isChunkId(hex)) {
            throw new IllegalArgumentException("'" + hex + "' is not a chunk name (64 lowercase hex digits)");
        }
    }

    /** Whether {@code s} is a chunk name. */
    public static boolean isChunkId(String s) {
        if (s.length() != BYTES * 2) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (!(c >= '0' && c <= '9' || c >= 'a' && c <= 'f')) {
                return false;
            }
        }
        return true;
    }

    static ChunkId of(byte[] digest) {
        return new ChunkId(HexFormat.of().formatHex(digest));
    }

    /** The 32 bytes. */
    public byte[] bytes() {
        return HexFormat.of().parseHex(hex);
    }

    /** The chunk with these 32 bytes. */
    public static ChunkId fromBytes(byte[] b) {
        if (b.length != BYTES) {
            throw new IllegalArgumentException("a chunk name has " + BYTES + " bytes, not " + b.length);
        }
        return of(b);
    }

    @Override
    public int compareTo(ChunkId o) {
        return hex.compareTo(o.hex);
    }

    @Override
    public String toString() {
        return hex;
    }
}
