package io.walvault.core.repo;

import static java.util.Objects.requireNonNull;

import io.walvault.core.compress.Xxh64;
import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import java.util.Arrays;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Names chunks: HMAC-SHA256 of the plaintext under the repository's chunk-naming secret
 * (derived from the oldest repository key in passphrase repositories; 32 zero bytes in
 * unencrypted ones, whose content is readable anyway). Thread-safe: each call uses a MAC of
 * its own thread.
 */
public final class ChunkNamer {

    private static final String ALGORITHM = "HmacSHA256";

    private final SecretKeySpec key;
    private final ThreadLocal<Mac> macs;

    ChunkNamer(byte[] secret) {
        requireNonNull(secret, "secret is null");
        this.key = new SecretKeySpec(secret, ALGORITHM);
        this.macs = ThreadLocal.withInitial(this::newMac);
        Arrays.fill(secret, (byte) 0);
    }

    private Mac newMac() {
        try {
            Mac m = Mac.getInstance(ALGORITHM);
            m.init(key);
            return m;
        } catch (InvalidKeyException e) {
            throw new IllegalStateException("the chunk-naming key is unusable", e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this Java has no " + ALGORITHM, e);
        }
    }

    /**
     * The XXH64 (seed 0) of {@code len} bytes of {@code data} from {@code off}: what a manifest
     * records per chunk so that a delta restore can compare an old copy at read speed (a 64-bit
     * hash: a changed chunk that matches is one in 2^64, where CRC-32C's linearity would let a
     * colliding chunk pass the whole file's check too). Not a name: anyone can compute it.
     */
    public static long hash(byte[] data, int off, int len) {
        return Xxh64.of(data, off, len);
    }

    /** The name of the chunk holding {@code len} bytes of {@code data} from {@code off}. */
    public ChunkId name(byte[] data, int off, int len) {
        Mac m = macs.get();
        m.update(data, off, len);
        return ChunkId.of(m.doFinal());
    }
}
