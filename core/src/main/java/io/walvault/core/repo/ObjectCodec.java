package io.walvault.core.repo;

import static java.util.Objects.requireNonNull;

import io.walvault.core.compress.Compression;
import io.walvault.core.crypto.AesGcmDecryptStage;
import io.walvault.core.crypto.AesGcmEncryptStage;
import io.walvault.core.crypto.CryptoFormat;
import io.walvault.core.crypto.ObjectKeys;
import io.walvault.core.crypto.X25519Keys;
import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;
import io.walvault.core.pipeline.CountingStage;
import io.walvault.core.pipeline.DigestStage;
import io.walvault.core.pipeline.DiscardSink;
import io.walvault.core.pipeline.Pipelines;
import io.walvault.core.pipeline.Sink;
import io.walvault.core.storage.ObjectNotFoundException;
import io.walvault.core.storage.Storage;
import java.io.IOException;
import java.io.InputStream;
import java.util.HexFormat;
import java.util.Optional;

/**
 * How every repository object is packed and unpacked: the pipelines, built in one place,
 * backwards from the sink.
 *
 * <pre>
 *  write:  bytes ─▶ Counting ─▶ [Digest] ──────▶ Lz4Compress ─▶ AesGcmEncrypt ─▶ [Digest] ─────▶ Counting ─▶ storage sink
 *                  (plain size) (plain SHA-256,   (if compressed)  (if encrypted)   (stored SHA-256, (stored    (publish on
 *                               when asked)                                          unless declined) size)      finish)
 *  read:   storage stream ─▶ AesGcmDecrypt ─▶ Lz4Decompress ─▶ [Digest, when asked] ─▶ caller's sink
 * </pre>
 *
 * The plaintext SHA-256 is computed only when the caller needs it (WAL duplicate checks, the
 * decode tool): at 16 MiB per WAL segment it costs more CPU than LZ4 itself, and backups hash
 * each file on their own for the manifest. Integrity never depends on it: encrypted objects are
 * authenticated segment by segment and LZ4 frames carry a content checksum.
 *
 * <p>Whether to encrypt is not the caller's choice: it follows the repository (a codec for an
 * encrypted repository has keys, and there is no way to ask it for plaintext). Thread-safe and
 * shared; every writer or read is used by one thread. It owns the keys: closing the repository
 * {@linkplain #close() closes} it, which wipes them, and every call after that fails.
 */
public final class ObjectCodec {

    private final Storage storage;
    private final Compression compression;
    private final ObjectKeys keys; // null: the repository is not encrypted
    private volatile boolean closed;
    private volatile ChunkNamer namer;

    ObjectCodec(Storage storage, Compression compression, ObjectKeys keys) {
        this.storage = requireNonNull(storage, "storage is null");
        this.compression = requireNonNull(compression, "compression is null");
        this.keys = keys;
    }

    /** Wipes the keys (when the repository closes): from then on nothing is packed or unpacked. Idempotent. */
    void close() {
        closed = true;
        if (keys != null) {
            keys.wipe();
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new WalvaultException(ErrorCode.INTERNAL, "repository '" + storage.location() + "' was closed: its"
                    + " keys are wiped and it reads and writes nothing more");
        }
    }

    /** How this repository compresses its objects. */
    public Compression compression() {
        return compression;
    }

    /** The extension of objects this codec writes: {@code .lz4}, {@code .lz4.enc}, {@code .enc} or none. */
    public String extension() {
        return compression.extension() + (keys != null ? ".enc" : "");
    }

    ObjectKeys keys() {
        checkOpen();
        return keys;
    }

    /**
     * The namer of chunks ({@link ChunkNamer}): keyed by a secret of the repository keys, or by
     * 32 zero bytes in an unencrypted repository; empty in a public-key repository.
     */
    public Optional<ChunkNamer> chunkNamer() {
        checkOpen();
        ChunkNamer n = namer;
        if (n == null) {
            Optional<byte[]> secret = keys == null ? Optional.of(new byte[32]) : keys.chunkIdKey();
            if (secret.isEmpty()) {
                return Optional.empty();
            }
            n = new ChunkNamer(secret.get());
            namer = n;
        }
        return Optional.of(n);
    }

    public boolean encrypted() {
        return keys != null;
    }

    /**
     * Whether a host that writes objects may be unable to read them: public-key encryption, where
     * archiving hosts need not hold the private key. What such a host must compare later (WAL)
     * carries its plaintext digest as a trailer.
     */
    public boolean writersMayNotRead() {
        return keys instanceof X25519Keys;
    }

    /**
     * A writer that packs what it is given into the object {@code key} (which must carry
     * {@link #extension()}); {@link ObjectWriter#finish()} publishes it and gives the result,
     * with the plaintext SHA-256 if {@code plainSha256}.
     */
    public ObjectWriter newWriter(String key, Storage.WriteMode mode, boolean plainSha256) throws IOException {
        return newWriter(key, mode, plainSha256, false);
    }

    /**
     * A writer like {@link #newWriter} whose {@link ObjectWriter#finish()} encodes the whole
     * object into the store's write without publishing it: {@link ObjectWriter#publish()} does,
     * later and possibly on another thread. For many objects whose publication waits on the
     * store (a local directory's fsync, a PUT) while the threads that encode them go on.
     */
    public ObjectWriter newHeldWriter(String key, Storage.WriteMode mode) throws IOException {
        return newWriter(key, mode, false, true);
    }

    private ObjectWriter newWriter(String key, Storage.WriteMode mode, boolean plainSha256, boolean held) throws IOException {
        requireNonNull(key, "key is null");
        checkOpen();
        if (!key.endsWith(extension())) {
            throw new WalvaultException(ErrorCode.INTERNAL, "object key '" + key + "' lacks extension '" + extension() + "'");
        }
        Sink sink = storage.newWrite(key, mode);
        ObjectWriter.Held publication = held ? new ObjectWriter.Held(sink) : null;
        try {
            // what the store holds, to report and to verify against the store's own size
            CountingStage stored = new CountingStage(publication != null ? publication : sink);
            Sink s = stored;
            // encryption: only and always when the repository is encrypted; with the plaintext
            // digest as trailer when there is one, so hosts without the private key can compare
            DigestStage[] digest = new DigestStage[1];
            if (keys != null) {
                s = new AesGcmEncryptStage(s, keys, key, plainSha256 ? () -> digest[0].digest() : null);
            }
            // compression before encryption: ciphertext does not compress; the frame's content
            // checksum only where nothing else checks the bytes (AES-GCM authenticates them all)
            s = compression.compressTo(s, keys == null);
            // checksum of the plaintext, when asked: what duplicate checks compare (it finishes
            // before the stages after it, so the trailer above can take its result)
            digest[0] = plainSha256 ? new DigestStage(s) : null;
            CountingStage plain = new CountingStage(digest[0] != null ? digest[0] : s);
            return new ObjectWriter(key, plain, digest[0], stored, publication);
        } catch (IOException | RuntimeException e) {
            try {
                sink.close();
            } catch (IOException | RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    /**
     * The plaintext SHA-256 of the stored object {@code key}, as cheaply as possible: from the
     * digest trailer of an encrypted object (two small ranged reads, no key needed), else by
     * reading and verifying it in full (which needs the key if it is encrypted).
     */
    public String storedPlainSha256(String key) throws IOException {
        checkOpen();
        if (key.endsWith(".enc")) {
            long size = storage.info(key).orElseThrow(() -> new ObjectNotFoundException(key, storage.location())).size();
            if (size >= CryptoFormat.HEADER_SIZE + CryptoFormat.TRAILER_SIZE) {
                byte[] header;
                byte[] tail;
                try (InputStream in = storage.newRead(key, 0, CryptoFormat.HEADER_SIZE)) {
                    header = in.readAllBytes();
                }
                try (InputStream in = storage.newRead(key, size - CryptoFormat.TRAILER_SIZE, CryptoFormat.TRAILER_SIZE)) {
                    tail = in.readAllBytes();
                }
                byte[] digest = CryptoFormat.digestTrailer(header, tail);
                if (digest != null) {
                    return HexFormat.of().formatHex(digest);
                }
            }
        }
        return read(key, new DiscardSink(), true).sha256();
    }

    /** Packs all of {@code in} into the object {@code key}. */
    public ObjectResult put(String key, InputStream in, Storage.WriteMode mode, boolean plainSha256) throws IOException {
        try (ObjectWriter w = newWriter(key, mode, plainSha256)) {
            Pipelines.copy(in, w);
            return w.finishWithResult();
        }
    }

    /**
     * Unpacks the object {@code key} into {@code out} (finished when the whole object has been
     * verified; on corruption {@code out} is left unfinished) and returns its size and, if
     * {@code plainSha256}, its SHA-256.
     */
    public ObjectResult read(String key, Sink out, boolean plainSha256) throws IOException {
        requireNonNull(out, "out is null");
        checkOpen();
        if (keys != null && !key.endsWith(".enc")) {
            throw new WalvaultException(ErrorCode.ENCRYPTION_MISMATCH, "object '" + key
                    + "' is named as unencrypted in an encrypted repository; refusing to read it as trusted data");
        }
        return decode(key, key, storage, keys, out, plainSha256);
    }

    /**
     * Decodes {@code key} by its extension ({@code .enc}: decrypt with {@code keys};
     * {@code .lz4}, {@code .zst}: decompress), binding the decryption to {@code boundKey} (normally the same
     * key; the decode tool may read a copy of an object stored elsewhere).
     */
    static ObjectResult decode(String key, String boundKey, Storage storage, ObjectKeys keys, Sink out, boolean plainSha256)
            throws IOException {
        String name = boundKey;
        boolean enc = name.endsWith(".enc");
        if (enc) {
            name = name.substring(0, name.length() - 4);
        }
        Compression compression = Compression.ofKey(name);
        CountingStage plain = new CountingStage(out);
        DigestStage digest = plainSha256 ? new DigestStage(plain) : null;
        Sink s = digest != null ? digest : plain;
        s = compression.decompressTo(s, key);
        if (enc) {
            if (keys == null) {
                throw new WalvaultException(ErrorCode.ENCRYPTION_MISMATCH, "object '" + key
                        + "' is encrypted but no repository key is at hand to read it (the repository is unencrypted,"
                        + " or its descriptor could not be read)");
            }
            s = new AesGcmDecryptStage(s, keys, boundKey);
        }
        try (Sink chain = s; InputStream in = storage.newRead(key)) {
            Pipelines.copy(in, chain);
            chain.finish();
        }
        return new ObjectResult(key, plain.count(), digest == null ? null : digest.hex(), -1);
    }
}
