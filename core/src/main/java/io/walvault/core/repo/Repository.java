package io.walvault.core.repo;

import static java.util.Objects.requireNonNull;

import io.walvault.core.compress.Compression;
import io.walvault.core.crypto.ObjectKeys;
import io.walvault.core.crypto.PassphraseKdf;
import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;
import io.walvault.core.pipeline.CountingStage;
import io.walvault.core.pipeline.DigestStage;
import io.walvault.core.pipeline.Pipelines;
import io.walvault.core.pipeline.Sink;
import io.walvault.core.storage.ObjectExistsException;
import io.walvault.core.storage.ObjectInfo;
import io.walvault.core.storage.ObjectNotFoundException;
import io.walvault.core.storage.Storage;
import io.walvault.core.storage.StorageErrors;
import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.util.UUID;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An open repository: its descriptor, its codec (keys checked), and the catalogs of the
 * PostgreSQL clusters it holds.
 *
 * <pre>
 *   Repository.open(storage, keys)     one small GET of walvault.json (+ a LIST and GET of the keyring if encrypted)
 *     .cluster(systemId)
 *        .wal().put(name, source)      archive-push: create-if-absent; identical re-push is fine
 *        .wal().get(name, sink)        archive-get
 *        .backups()...                 bundles, manifests
 *        .lock("backup")               exclusion between backup and expire
 * </pre>
 *
 * Opening is cheap (the archiver opens one per segment in a short-lived process): one GET, plus
 * in passphrase mode one Argon2id derivation, and it fails at once on a wrong key. Thread-safe:
 * share one per process.
 *
 * <p>It owns its storage and its keys (copies of what the {@link KeyMaterial} it was opened with
 * gave, and the repository keys unsealed from the keyring): closing it overwrites the keys and
 * closes the storage. A closed repository reads, writes and decrypts nothing: every use of its
 * codec fails. The {@link KeyMaterial} stays its caller's to wipe.
 */
public final class Repository implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Repository.class);

    private final Storage storage;
    private final RepositoryDescriptor descriptor;
    private final ObjectCodec codec;

    private Repository(Storage storage, RepositoryDescriptor descriptor, ObjectKeys keys) {
        this.storage = storage;
        this.descriptor = descriptor;
        this.codec = new ObjectCodec(storage, descriptor.compressionValue(), keys);
    }

    /** What {@code walvault init} chooses. */
    public record InitOptions(Compression compression, EncryptionMode encryption, char[] passphrase, byte[] publicKey,
                              PassphraseKdf kdf) {
        public InitOptions {
            requireNonNull(compression, "compression is null");
            requireNonNull(encryption, "encryption is null");
            kdf = kdf == null ? PassphraseKdf.newDefault() : kdf;
            if (encryption == EncryptionMode.PASSPHRASE && (passphrase == null || passphrase.length == 0)) {
                throw new WalvaultException(ErrorCode.CONFIG, "encryption 'passphrase' needs a passphrase"
                        + " HINT: set WALVAULT_PASSPHRASE or passphrase-file");
            }
            if (encryption == EncryptionMode.PASSPHRASE && passphrase.length < 12) {
                throw new WalvaultException(ErrorCode.CONFIG, "the passphrase is shorter than 12 characters"
                        + " HINT: use a long random passphrase, kept where restore can find it");
            }
            if (encryption == EncryptionMode.PUBLIC_KEY && publicKey == null) {
                throw new WalvaultException(ErrorCode.CONFIG, "encryption 'public-key' needs a public key"
                        + " HINT: make a key pair with 'walvault key generate' and pass public-key-file");
            }
        }

        @Override
        public String toString() {
            return "InitOptions[" + compression.id() + ", " + encryption.id() + "]";
        }
    }

    /**
     * Creates a repository at an empty location: the keyring first, the descriptor last (a
     * location is a repository once its descriptor exists), both create-if-absent.
     */
    public static Repository create(Storage storage, InitOptions options) {
        requireNonNull(storage, "storage is null");
        requireNonNull(options, "options is null");
        try (Stream<ObjectInfo> l = storage.list("")) {
            if (l.findAny().isPresent()) {
                throw new WalvaultException(ErrorCode.REPOSITORY_EXISTS, "'" + storage.location() + "' is not empty"
                        + (storage.info(RepositoryLayout.DESCRIPTOR).isPresent() ? ": a repository is already there" : "")
                        + " HINT: walvault init needs an empty location");
            }
        }
        String id = UUID.randomUUID().toString();
        ObjectKeys keys = options.encryption() == EncryptionMode.NONE ? null
                : Keyring.create(storage, id, options.encryption(), options.passphrase(), options.publicKey(), options.kdf());
        RepositoryDescriptor d = new RepositoryDescriptor(RepositoryDescriptor.FORMAT, id, Instant.now().toString(),
                options.compression().id(), options.encryption().id(),
                options.encryption() == EncryptionMode.NONE ? null : RepositoryDescriptor.CIPHER);
        byte[] json = Json.write(d);
        try (Sink w = storage.newWrite(RepositoryLayout.DESCRIPTOR)) {
            w.write(json, 0, json.length);
            w.finish();
        } catch (ObjectExistsException e) {
            throw new WalvaultException(ErrorCode.REPOSITORY_EXISTS, "another walvault init created a repository at '"
                    + storage.location() + "' at the same time");
        } catch (IOException e) {
            throw StorageErrors.failed("write", RepositoryLayout.DESCRIPTOR, storage.location(), e);
        }
        LOG.debug("created repository '{}' (compression {}, encryption {})", storage.location(), d.compression(), d.encryption());
        return new Repository(storage, d, keys);
    }

    /** Opens the repository at {@code storage}, checking {@code keys} before anything else. */
    public static Repository open(Storage storage, KeyMaterial keys) {
        requireNonNull(storage, "storage is null");
        requireNonNull(keys, "keys is null");
        RepositoryDescriptor d = readDescriptor(storage);
        return new Repository(storage, d, Keyring.open(storage, d, keys));
    }

    static RepositoryDescriptor readDescriptor(Storage storage) {
        byte[] bytes;
        try (InputStream in = storage.newRead(RepositoryLayout.DESCRIPTOR)) {
            bytes = in.readNBytes(64 * 1024);
        } catch (ObjectNotFoundException e) {
            throw new WalvaultException(ErrorCode.REPOSITORY_NOT_FOUND, "there is no walvault repository at '"
                    + storage.location() + "' (no '" + RepositoryLayout.DESCRIPTOR + "')"
                    + " HINT: check the repository location, or create one with 'walvault init'");
        } catch (IOException e) {
            throw StorageErrors.failed("read", RepositoryLayout.DESCRIPTOR, storage.location(), e);
        }
        // the parser alone: every short-lived process (archive-push, archive-get) opens the repository
        return RepositoryDescriptor.fromFields(Json.readFlatObject(bytes, RepositoryLayout.DESCRIPTOR), RepositoryLayout.DESCRIPTOR);
    }

    /**
     * After a rotation to a new passphrase: removes the older keyring files, so that the old
     * passphrase stops opening the repository. {@code newest} must open the newest version (it
     * stays the caller's to wipe). Returns the number of keyring files removed.
     */
    public static int retireOldKeys(Storage storage, KeyMaterial newest) {
        RepositoryDescriptor d = readDescriptor(storage);
        return Keyring.retire(storage, d, newest);
    }

    /**
     * Adds a key version for new writes; see {@code walvault key rotate}. Returns the new version.
     * {@code current} and {@code newPassphrase} stay the caller's to wipe.
     */
    public static int rotateKey(Storage storage, KeyMaterial current, char[] newPassphrase, byte[] newPublicKey) {
        RepositoryDescriptor d = readDescriptor(storage);
        ObjectKeys checked = Keyring.open(storage, d, current); // checks the current key first
        if (checked != null) {
            checked.wipe();
        }
        int v = Keyring.rotate(storage, d, current, newPassphrase, newPublicKey, PassphraseKdf.newDefault());
        LOG.debug("repository '{}' now writes with key version {}", storage.location(), v);
        return v;
    }

    public RepositoryDescriptor descriptor() {
        return descriptor;
    }

    public Storage storage() {
        return storage;
    }

    public ObjectCodec codec() {
        return codec;
    }

    /** The catalog of one PostgreSQL cluster, by its system identifier. */
    public ClusterCatalog cluster(long systemId) {
        return new ClusterCatalog(this, systemId);
    }

    /**
     * The system identifiers of the clusters in this repository: the names one level below
     * {@code clusters/} ({@link Storage#listChildren}: one listing of that level, not of every
     * chunk and WAL file below it); anything there that is not a cluster's number is not one.
     */
    public Stream<Long> clusters() {
        return storage.listChildren(RepositoryLayout.CLUSTERS_DIR)
                .flatMap(Repository::clusterNumber);
    }

    private static Stream<Long> clusterNumber(String name) {
        if (name.isEmpty() || !name.chars().allMatch(c -> c >= '0' && c <= '9')) {
            return Stream.empty();
        }
        try {
            return Stream.of(Long.parseUnsignedLong(name));
        } catch (NumberFormatException e) {
            return Stream.empty(); // past 64 bits
        }
    }

    /**
     * The decode tool's primitive: unpacks any object of the repository into {@code out},
     * whatever catalog it belongs to, by its extension ({@code .enc}, {@code .lz4}); plain JSON
     * objects (descriptor, keyring, locks) are copied as they are. {@code boundKey} is the key the
     * object was written under (normally {@code key}; differs when reading a copy).
     */
    public ObjectResult decode(String key, String boundKey, Sink out) throws IOException {
        if (isPlain(key)) {
            return copyPlain(storage, key, out);
        }
        return ObjectCodec.decode(key, boundKey, storage, codec.keys(), out, true);
    }

    /**
     * {@link #decode} for a location without a readable descriptor (lost or damaged): works for
     * unencrypted objects, which need no key.
     */
    public static ObjectResult decodeWithoutRepository(Storage storage, String key, Sink out) throws IOException {
        if (isPlain(key)) {
            return copyPlain(storage, key, out);
        }
        return ObjectCodec.decode(key, key, storage, null, out, true);
    }

    private static boolean isPlain(String key) {
        return key.endsWith(".json") || key.endsWith(".lock");
    }

    private static ObjectResult copyPlain(Storage storage, String key, Sink out) throws IOException {
        CountingStage count = new CountingStage(out);
        DigestStage digest = new DigestStage(count);
        try (Sink s = digest; InputStream in = storage.newRead(key)) {
            Pipelines.copy(in, s);
            s.finish();
        }
        return new ObjectResult(key, count.count(), digest.hex(), -1);
    }

    /** Overwrites the keys and closes the storage: the repository can be used no more. */
    @Override
    public void close() {
        try {
            codec.close();
        } finally {
            storage.close();
        }
    }
}
