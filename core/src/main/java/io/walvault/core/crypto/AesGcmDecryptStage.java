package io.walvault.core.crypto;

import static io.walvault.core.crypto.CryptoFormat.*;
import static java.util.Objects.requireNonNull;

import io.walvault.core.error.CorruptDataException;
import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;
import io.walvault.core.pipeline.Sink;
import io.walvault.core.pipeline.Stage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Decrypts what {@link AesGcmEncryptStage} wrote. The header is checked and the data key
 * unwrapped as soon as its 101 bytes have arrived, so a moved or altered object fails before
 * any plaintext is produced. Each segment is passed on only after its tag verified; a segment is
 * known to be the last only when the input ends, so one segment is held back until then.
 *
 * <p>Every failure is a {@link CorruptDataException} naming the object (or, for a public-key
 * repository without the needed private key, a {@code KEY_REQUIRED} error). Memory: one segment.
 */
public final class AesGcmDecryptStage extends Stage {

    private final ObjectKeys keys;
    private final String objectKey;
    private final byte[] header = new byte[HEADER_SIZE];
    private int headerFilled;
    private Cipher cipher;
    private SecretKeySpec dataKey;
    private final byte[] nonce = new byte[NONCE_SIZE];
    private byte[] sealed;
    private byte[] plain;
    private int filled;
    private int index;
    /** Bytes held back after the segment buffer: the digest trailer, if the object has one. */
    private int trailerSize;

    /** @param objectKey the object's key in the repository: checked, and named in errors */
    public AesGcmDecryptStage(Sink next, ObjectKeys keys, String objectKey) {
        super(next);
        this.keys = requireNonNull(keys, "keys is null");
        this.objectKey = requireNonNull(objectKey, "objectKey is null");
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        checkWritable();
        if (headerFilled < HEADER_SIZE) {
            int n = Math.min(len, HEADER_SIZE - headerFilled);
            System.arraycopy(b, off, header, headerFilled, n);
            headerFilled += n;
            off += n;
            len -= n;
            if (headerFilled == HEADER_SIZE) {
                openHeader();
            }
        }
        while (len > 0) {
            if (filled == sealed.length) {
                // a full buffer and more to come: its first segment is not the last one
                int segment = sealed.length - trailerSize;
                open(false, segment, null);
                System.arraycopy(sealed, segment, sealed, 0, trailerSize);
                filled = trailerSize;
            }
            int n = Math.min(len, sealed.length - filled);
            System.arraycopy(b, off, sealed, filled, n);
            filled += n;
            off += n;
            len -= n;
        }
    }

    private void openHeader() {
        if (!isEncrypted(header, 0, HEADER_SIZE)) {
            throw corrupt("it is not a walvault encrypted object (bad magic)");
        }
        if (header[OFF_VERSION] != VERSION) {
            throw corrupt("encryption format version " + (header[OFF_VERSION] & 0xFF) + " is unknown");
        }
        if (header[OFF_MODE] != keys.mode()) {
            throw corrupt("it was encrypted in key mode " + header[OFF_MODE] + " but the repository uses mode " + keys.mode());
        }
        int segmentSize = getInt(header, OFF_SEGMENT_SIZE);
        if (segmentSize < MIN_SEGMENT_SIZE || segmentSize > MAX_SEGMENT_SIZE || Integer.bitCount(segmentSize) != 1) {
            throw corrupt("segment size " + segmentSize + " is invalid");
        }
        int version = getInt(header, OFF_KEY_VERSION);
        byte[][] ikmSalt = keys.unwrap(version, Arrays.copyOfRange(header, OFF_WRAP_INPUT, OFF_WRAP_INPUT + WRAP_INPUT_SIZE),
                objectKey);
        byte[] wrapKey = Crypto.hkdf(ikmSalt[0], ikmSalt[1], WRAP_INFO, KEY_SIZE);
        Arrays.fill(ikmSalt[0], (byte) 0);
        byte[] dek = new byte[KEY_SIZE];
        try {
            Cipher unwrap = Cipher.getInstance("AES/GCM/NoPadding");
            unwrap.init(Cipher.DECRYPT_MODE, new SecretKeySpec(wrapKey, "AES"), new GCMParameterSpec(128, new byte[NONCE_SIZE]));
            unwrap.updateAAD(header, 0, OFF_WRAPPED_KEY);
            unwrap.updateAAD(objectKey.getBytes(StandardCharsets.UTF_8));
            unwrap.doFinal(header, OFF_WRAPPED_KEY, WRAPPED_KEY_SIZE, dek, 0);
            cipher = Cipher.getInstance("AES/GCM/NoPadding");
        } catch (AEADBadTagException e) {
            throw new CorruptDataException("object '" + objectKey + "' is corrupt: its header or data key failed"
                    + " authentication (the header was altered, or the object was moved or copied from another key)", e);
        } catch (GeneralSecurityException e) {
            throw new WalvaultException(ErrorCode.INTERNAL, "AES-GCM is not available in this Java runtime", e);
        } finally {
            Arrays.fill(wrapKey, (byte) 0);
        }
        dataKey = new SecretKeySpec(dek, "AES");
        Arrays.fill(dek, (byte) 0);
        System.arraycopy(header, OFF_NONCE_PREFIX, nonce, 0, NONCE_PREFIX_SIZE);
        int flags = header[OFF_FLAGS] & 0xFF;
        if ((flags & ~FLAG_DIGEST_TRAILER) != 0) {
            throw corrupt("unknown header flags " + String.format("0x%02X", flags));
        }
        trailerSize = (flags & FLAG_DIGEST_TRAILER) != 0 ? TRAILER_SIZE : 0;
        sealed = new byte[segmentSize + TAG_SIZE + trailerSize];
        plain = new byte[segmentSize];
    }

    private void open(boolean last, int length, byte[] aad) throws IOException {
        putInt(nonce, NONCE_PREFIX_SIZE, index);
        nonce[NONCE_SIZE - 1] = (byte) (last ? 1 : 0);
        int n;
        try {
            cipher.init(Cipher.DECRYPT_MODE, dataKey, new GCMParameterSpec(128, nonce));
            if (aad != null) {
                cipher.updateAAD(aad);
            }
            n = cipher.doFinal(sealed, 0, length, plain, 0);
        } catch (AEADBadTagException e) {
            throw new CorruptDataException("object '" + objectKey + "' is corrupt: segment " + index
                    + (last ? " (the last one)" : "") + " failed authentication (data altered, reordered, truncated"
                    + " or extended)", e);
        } catch (GeneralSecurityException e) {
            throw new WalvaultException(ErrorCode.INTERNAL, "AES-GCM decryption failed", e);
        }
        next.write(plain, 0, n);
        index++;
    }

    @Override
    protected void onFinish() throws IOException {
        if (headerFilled < HEADER_SIZE) {
            throw corrupt("truncated: " + headerFilled + " bytes, shorter than the " + HEADER_SIZE + "-byte header");
        }
        if (filled < TAG_SIZE + trailerSize) {
            throw corrupt("truncated: the last segment is missing or shorter than its tag");
        }
        byte[] digest = trailerSize == 0 ? null : Arrays.copyOfRange(sealed, filled - trailerSize, filled);
        open(true, filled - trailerSize, digest);
        filled = 0;
    }

    @Override
    protected void release() {
        if (plain != null) {
            Arrays.fill(plain, (byte) 0);
        }
    }

    private CorruptDataException corrupt(String what) {
        return new CorruptDataException("object '" + objectKey + "' is corrupt: " + what);
    }
}
