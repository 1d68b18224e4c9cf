package io.walvault.core.compress;

import net.jpountz.xxhash.XXHash64;
import net.jpountz.xxhash.XXHashFactory;

/** XXH64 (seed 0), from the library the LZ4 codec already uses: a fast 64-bit hash, not a cryptographic one. */
public final class Xxh64 {

    private static final XXHash64 HASH = XXHashFactory.fastestInstance().hash64();

    private Xxh64() {
    }

    /** The XXH64 of {@code len} bytes of {@code data} from {@code off}. */
    public static long of(byte[] data, int off, int len) {
        return HASH.hash(data, off, len, 0);
    }
}
