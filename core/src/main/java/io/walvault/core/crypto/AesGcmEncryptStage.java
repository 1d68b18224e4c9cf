package io.walvault.core.crypto;

import static io.walvault.core.crypto.CryptoFormat.*;
import static java.util.Objects.requireNonNull;

import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;
import io.walvault.core.pipeline.Sink;
import io.walvault.core.pipeline.Stage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import java.util.function.Supplier;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Encrypts a stream into the segmented AES-256-GCM format of {@link CryptoFormat}: a fresh
 * random data key per object, wrapped under the repository's current key version, then the
 * plaintext in 64 KiB segments, each sealed with a nonce that encodes its index and whether it
 * is the last one (the STREAM construction), so truncation, reordering, bit flips and swapping
 * objects all fail authentication on reading. Bulk encryption goes through JCE, which uses the
 * CPU's AES and carry-less multiply instructions.
 *
 * <p>The header is written on construction; each segment is sealed once the next byte arrives
 * (the last one at {@link #finish}). Memory: one segment.
 */
public final class AesGcmEncryptStage extends Stage {

    /**
     * Plaintext bytes per {@code Cipher.update} call. A cold JVM runs JCE's AES-GCM in plain
     * Java (~70 MB/s per core) until the JIT has compiled its callers, which it does after some
     * thousand calls: with one call per 64 KiB segment that took the first ~300 MB of every
     * backup. Measured in CPU time on a cold JVM, slices of 8, 4 and 2 KiB reach the compiled
     * code (3-4 GB/s) after ~60, ~45 and ~25 MB; smaller slices cost a few percent once
     * compiled.
     */
    static final int UPDATE_SLICE = 4 * 1024;

    private final Cipher cipher;
    private final SecretKeySpec dataKey;
    private final byte[] nonce = new byte[NONCE_SIZE];
    private final byte[] plain;
    private final byte[] sealed;
    private final Supplier<byte[]> trailer;
    private int filled;
    private int index;

    /**
     * @param keys      the repository keys (the current version wraps the data key)
     * @param objectKey the object's key in the repository, bound into the header's authentication
     */
    public AesGcmEncryptStage(Sink next, ObjectKeys keys, String objectKey) throws IOException {
        this(next, keys, objectKey, null);
    }

    /**
     * As {@link #AesGcmEncryptStage(Sink, ObjectKeys, String)}, ending the object with the
     * plaintext digest {@code trailer} supplies at finish (32 bytes: a {@code DigestStage}
     * upstream has finished by then), see {@link CryptoFormat}.
     */
    public AesGcmEncryptStage(Sink next, ObjectKeys keys, String objectKey, Supplier<byte[]> trailer) throws IOException {
        super(next);
        this.trailer = trailer;
        requireNonNull(keys, "keys is null");
        requireNonNull(objectKey, "objectKey is null");
        int segmentSize = DEFAULT_SEGMENT_SIZE;
        this.plain = new byte[segmentSize];
        this.sealed = new byte[segmentSize + TAG_SIZE];
        byte[] header = new byte[HEADER_SIZE];
        System.arraycopy(MAGIC, 0, header, 0, MAGIC.length);
        header[OFF_VERSION] = VERSION;
        header[OFF_MODE] = (byte) keys.mode();
        header[OFF_FLAGS] = (byte) (trailer != null ? FLAG_DIGEST_TRAILER : 0);
        putInt(header, OFF_KEY_VERSION, keys.currentVersion());
        putInt(header, OFF_SEGMENT_SIZE, segmentSize);
        byte[] wrapInput = new byte[WRAP_INPUT_SIZE];
        byte[][] ikmSalt = keys.newWrap(wrapInput);
        System.arraycopy(wrapInput, 0, header, OFF_WRAP_INPUT, WRAP_INPUT_SIZE);
        byte[] prefix = Crypto.randomBytes(NONCE_PREFIX_SIZE);
        System.arraycopy(prefix, 0, header, OFF_NONCE_PREFIX, NONCE_PREFIX_SIZE);
        System.arraycopy(prefix, 0, nonce, 0, NONCE_PREFIX_SIZE);
        byte[] dek = Crypto.randomBytes(KEY_SIZE);
        byte[] wrapKey = Crypto.hkdf(ikmSalt[0], ikmSalt[1], WRAP_INFO, KEY_SIZE);
        Arrays.fill(ikmSalt[0], (byte) 0);
        try {
            Cipher wrap = Cipher.getInstance("AES/GCM/NoPadding");
            wrap.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(wrapKey, "AES"), new GCMParameterSpec(128, new byte[NONCE_SIZE]));
            wrap.updateAAD(header, 0, OFF_WRAPPED_KEY);
            wrap.updateAAD(objectKey.getBytes(StandardCharsets.UTF_8));
            wrap.doFinal(dek, 0, KEY_SIZE, header, OFF_WRAPPED_KEY);
            this.cipher = Cipher.getInstance("AES/GCM/NoPadding");
        } catch (GeneralSecurityException e) {
            throw new WalvaultException(ErrorCode.INTERNAL, "AES-GCM is not available in this Java runtime", e);
        } finally {
            Arrays.fill(wrapKey, (byte) 0);
        }
        this.dataKey = new SecretKeySpec(dek, "AES");
        Arrays.fill(dek, (byte) 0);
        next.write(header, 0, HEADER_SIZE);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        checkWritable();
        while (len > 0) {
            if (filled == plain.length) {
                seal(false, null);
            }
            int n = Math.min(len, plain.length - filled);
            System.arraycopy(b, off, plain, filled, n);
            filled += n;
            off += n;
            len -= n;
        }
    }

    private void seal(boolean last, byte[] aad) throws IOException {
        putInt(nonce, NONCE_PREFIX_SIZE, index);
        nonce[NONCE_SIZE - 1] = (byte) (last ? 1 : 0);
        int n;
        try {
            cipher.init(Cipher.ENCRYPT_MODE, dataKey, new GCMParameterSpec(128, nonce));
            if (aad != null) {
                cipher.updateAAD(aad);
            }
            // in slices through update, then an empty doFinal: the same bytes as one doFinal,
            // but the JIT compiles the update path (and with it the CPU's AES-GCM instructions)
            // after a few MB instead of a few hundred (it counts calls, one per slice)
            n = 0;
            for (int off = 0; off < filled; off += UPDATE_SLICE) {
                n += cipher.update(plain, off, Math.min(UPDATE_SLICE, filled - off), sealed, n);
            }
            n += cipher.doFinal(sealed, n);
        } catch (GeneralSecurityException e) {
            throw new WalvaultException(ErrorCode.INTERNAL, "AES-GCM encryption failed", e);
        }
        next.write(sealed, 0, n);
        filled = 0;
        if (++index == 0) {
            // 2^32 segments of 64 KiB: 256 TiB in one object; never reached, but never wrap the nonce
            throw new WalvaultException(ErrorCode.INTERNAL, "object too large for one encryption stream");
        }
    }

    @Override
    protected void onFinish() throws IOException {
        if (trailer == null) {
            seal(true, null);
            return;
        }
        byte[] digest = trailer.get();
        if (digest == null || digest.length != TRAILER_SIZE) {
            throw new IllegalStateException("the digest trailer must be " + TRAILER_SIZE + " bytes");
        }
        seal(true, digest);
        next.write(digest, 0, TRAILER_SIZE);
    }

    @Override
    protected void release() {
        Arrays.fill(plain, (byte) 0);
    }
}
