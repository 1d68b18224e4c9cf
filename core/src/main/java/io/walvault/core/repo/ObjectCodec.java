package io.walvault.core.repo;

import static java.util.Objects.requireNonNull;

import io.walvault.core.compress.Compression;
import io.walvault.core.compress.Lz4DecompressStage;
import io.walvault.core.crypto.AesGcmDecryptStage;
import io.walvault.core.crypto.AesGcmEncryptStage;
import io.walvault.core.crypto.ObjectKeys;
import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;
import io.walvault.core.pipeline.CountingStage;
import io.walvault.core.pipeline.DigestStage;
import io.walvault.core.pipeline.Pipelines;
import io.walvault.core.pipeline.Sink;
import io.walvault.core.storage.Storage;
import java.io.IOException;
import java.io.InputStream;

/**
 * How every repository object is packed and unpacked: the pipelines, built in one place,
 * backwards from the sink.
 *
 * <pre>
 *  write:  bytes ─▶ CountingStage ─▶ DigestStage ─▶ Lz4CompressStage ─▶ AesGcmEncryptStage ─▶ CountingStage ─▶ storage sink
 *                   (plain size)    (plain SHA-256)  (if compressed)     (if encrypted)        (stored size)    (publish on finish)
 *  read:   storage stream ─▶ AesGcmDecryptStage ─▶ Lz4DecompressStage ─▶ DigestStage ─▶ caller's sink
 * </pre>
 *
 * Whether to encrypt is not the caller's choice: it follows the repository (a codec for an
 * encrypted repository has keys, and there is no way to ask it for plaintext). Thread-safe and
 * shared; every writer or read is used by one thread.
 */
public final class ObjectCodec {

    private final Storage storage;
    private final Compression compression;
    private final ObjectKeys keys; // null: the repository is not encrypted

    ObjectCodec(Storage storage, Compression compression, ObjectKeys keys) {
        this.storage = requireNonNull(storage, "storage is null");
        this.compression = requireNonNull(compression, "compression is null");
        this.keys = keys;
    }

    /** The extension of objects this codec writes: {@code .lz4}, {@code .lz4.enc}, {@code .enc} or none. */
    public String extension() {
        return compression.extension() + (keys != null ? ".enc" : "");
    }

    ObjectKeys keys() {
        return keys;
    }

    public boolean encrypted() {
        return keys != null;
    }

    /** Whether objects can be read (false in a public-key repository opened without a private key). */
    public boolean canRead() {
        return keys == null || keys.canDecrypt();
    }

    /**
     * A writer that packs what it is given into the object {@code key} (which must carry
     * {@link #extension()}); {@link ObjectWriter#finish()} publishes it and gives the result.
     */
    public ObjectWriter newWriter(String key, Storage.WriteMode mode) throws IOException {
        requireNonNull(key, "key is null");
        if (!key.endsWith(extension())) {
            throw new WalvaultException(ErrorCode.INTERNAL, "object key '" + key + "' lacks extension '" + extension() + "'");
        }
        Sink sink = storage.newWrite(key, mode);
        try {
            // what the store holds, to report and to verify against the store's own size
            CountingStage stored = new CountingStage(sink);
            Sink s = stored;
            // encryption: only and always when the repository is encrypted
            if (keys != null) {
                s = new AesGcmEncryptStage(s, keys, key);
            }
            // compression before encryption: ciphertext does not compress
            s = compression.compressTo(s);
            // checksum of the plaintext: what duplicate checks and manifests compare
            DigestStage digest = new DigestStage(s);
            CountingStage plain = new CountingStage(digest);
            return new ObjectWriter(key, plain, digest, stored);
        } catch (IOException | RuntimeException e) {
            try {
                sink.close();
            } catch (IOException | RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    /** Packs all of {@code in} into the object {@code key}. */
    public ObjectResult put(String key, InputStream in, Storage.WriteMode mode) throws IOException {
        try (ObjectWriter w = newWriter(key, mode)) {
            Pipelines.copy(in, w);
            return w.finishWithResult();
        }
    }

    /**
     * Unpacks the object {@code key} into {@code out} (finished when the whole object has been
     * verified; on corruption {@code out} is left unfinished) and returns the plaintext's
     * SHA-256 and size.
     */
    public ObjectResult read(String key, Sink out) throws IOException {
        requireNonNull(out, "out is null");
        if (keys != null && !key.endsWith(".enc")) {
            throw new WalvaultException(ErrorCode.ENCRYPTION_MISMATCH, "object '" + key
                    + "' is named as unencrypted in an encrypted repository; refusing to read it as trusted data");
        }
        return decode(key, key, storage, keys, out);
    }

    /**
     * Decodes {@code key} by its extension ({@code .enc}: decrypt with {@code keys};
     * {@code .lz4}: decompress), binding the decryption to {@code boundKey} (normally the same
     * key; the decode tool may read a copy of an object stored elsewhere).
     */
    static ObjectResult decode(String key, String boundKey, Storage storage, ObjectKeys keys, Sink out) throws IOException {
        String name = boundKey;
        boolean enc = name.endsWith(".enc");
        if (enc) {
            name = name.substring(0, name.length() - 4);
        }
        boolean lz4 = name.endsWith(Compression.LZ4.extension());
        CountingStage plain = new CountingStage(out);
        DigestStage digest = new DigestStage(plain);
        Sink s = digest;
        if (lz4) {
            s = new Lz4DecompressStage(s, key);
        }
        if (enc) {
            if (keys == null) {
                throw new WalvaultException(ErrorCode.ENCRYPTION_MISMATCH, "object '" + key
                        + "' is encrypted but the repository is not");
            }
            s = new AesGcmDecryptStage(s, keys, boundKey);
        }
        try (Sink chain = s; InputStream in = storage.newRead(key)) {
            Pipelines.copy(in, chain);
            chain.finish();
        }
        return new ObjectResult(key, plain.count(), digest.hex(), -1);
    }
}
