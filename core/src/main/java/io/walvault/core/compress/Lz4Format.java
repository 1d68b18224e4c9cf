package io.walvault.core.compress;

import net.jpountz.xxhash.XXHash32;

/**
 * Constants of the LZ4 frame format (lz4_Frame_format.md, version 1.6.x), the format the
 * {@code lz4} command line writes. Offsets and flags are named after the specification.
 */
final class Lz4Format {

    /** Frame magic number, little-endian on the wire: {@code 04 22 4D 18}. */
    static final int MAGIC = 0x184D2204;
    /** Skippable frames use magic numbers {@code 0x184D2A50} to {@code 0x184D2A5F}. */
    static final int SKIPPABLE_MAGIC_MASK = 0xFFFFFFF0;
    static final int SKIPPABLE_MAGIC = 0x184D2A50;

    // FLG byte
    static final int FLG_VERSION_MASK = 0xC0;
    static final int FLG_VERSION_01 = 0x40;
    static final int FLG_BLOCK_INDEPENDENCE = 0x20;
    static final int FLG_BLOCK_CHECKSUM = 0x10;
    static final int FLG_CONTENT_SIZE = 0x08;
    static final int FLG_CONTENT_CHECKSUM = 0x04;
    static final int FLG_RESERVED = 0x02;
    static final int FLG_DICT_ID = 0x01;

    // BD byte: bits 6-4 give the block maximum size
    static final int BD_RESERVED_MASK = 0x8F;
    static final int BD_SIZE_SHIFT = 4;
    /** BD code 5: blocks of at most 256 KiB, walvault's choice (see {@link Lz4CompressStage}). */
    static final int BD_256KB = 5;

    /** Block size field: the high bit marks a block stored uncompressed. */
    static final int BLOCK_UNCOMPRESSED = 0x80000000;
    static final int BLOCK_SIZE_MASK = 0x7FFFFFFF;

    static final int MAGIC_SIZE = 4;
    /** FLG + BD. */
    static final int DESCRIPTOR_MIN = 2;
    static final int CONTENT_SIZE_SIZE = 8;
    static final int DICT_ID_SIZE = 4;
    static final int HEADER_CHECKSUM_SIZE = 1;
    static final int BLOCK_SIZE_FIELD = 4;
    static final int CHECKSUM_SIZE = 4;

    private Lz4Format() {
    }

    /** The maximum block size of BD code 4 to 7 (64 KiB, 256 KiB, 1 MiB, 4 MiB). */
    static int blockMaxSize(int code) {
        return 1 << (8 + 2 * code);
    }

    /** The header checksum: the second byte of the xxHash32 of the descriptor. */
    static int headerChecksum(XXHash32 hash, byte[] descriptor, int off, int len) {
        return (hash.hash(descriptor, off, len, 0) >> 8) & 0xFF;
    }

    static void putIntLE(byte[] b, int off, int v) {
        b[off] = (byte) v;
        b[off + 1] = (byte) (v >>> 8);
        b[off + 2] = (byte) (v >>> 16);
        b[off + 3] = (byte) (v >>> 24);
    }

    static int getIntLE(byte[] b, int off) {
        return (b[off] & 0xFF) | (b[off + 1] & 0xFF) << 8 | (b[off + 2] & 0xFF) << 16 | (b[off + 3] & 0xFF) << 24;
    }
}
