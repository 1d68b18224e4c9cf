package io.walvault.core.repo;

import io.walvault.core.compress.Compression;
import io.walvault.core.config.RepositorySettings;
import io.walvault.core.config.S3Settings;
import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;
import io.walvault.core.repo.Repository.InitOptions;
import io.walvault.core.storage.Storage;
import io.walvault.core.storage.StorageCheck;
import io.walvault.core.storage.posix.PosixStorage;
import io.walvault.core.storage.s3.S3Storage;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** From settings to storage, keys and repository: what commands call. */
public final class Repositories {

    private Repositories() {
    }

    /** The storage the settings point at (not yet checked to hold a repository). */
    public static Storage storage(RepositorySettings s) {
        return s.localPath() != null ? new PosixStorage(s.localPath()) : new S3Storage(s.s3());
    }

    /**
     * The self-test of the storage the settings point at ({@code walvault storage-check}); on S3
     * it also finds out whether the store enforces conditional writes.
     */
    public static List<StorageCheck.Step> checkStorage(RepositorySettings s) {
        try (Storage storage = storage(s);
             Storage probe = s.s3() == null ? null
                     : new S3Storage(s.s3().withConditionalWrite(S3Settings.ConditionalWrite.ON))) {
            long size = s.s3() == null ? 8L * 1024 * 1024 : 2 * s.s3().partSize() + 1024 * 1024;
            return new StorageCheck(storage, probe, size).run();
        }
    }

    /**
     * The key material the settings give: passphrase, private keys, and the expected mode. It is
     * the caller's, to {@linkplain KeyMaterial#wipe wipe} once used; it holds a copy of the
     * settings' passphrase (the settings keep theirs) and the private keys read from the files.
     */
    public static KeyMaterial keys(RepositorySettings s) {
        List<byte[]> privateKeys = new ArrayList<>();
        byte[] pinned;
        try {
            s.privateKeyFiles().forEach(p -> privateKeys.addAll(KeyFiles.readPrivate(p)));
            pinned = s.publicKeyFile() == null ? null : KeyFiles.readPublic(s.publicKeyFile());
        } catch (RuntimeException e) {
            privateKeys.forEach(k -> Arrays.fill(k, (byte) 0));
            throw e;
        }
        EncryptionMode expected = s.encryption() == null ? null : EncryptionMode.parse(s.encryption());
        return new KeyMaterial(s.passphrase() == null ? null : s.passphrase().clone(), privateKeys, pinned, expected);
    }

    /**
     * Opens the repository of {@code s}, checking its keys first. Close it when done. The key
     * material read for it is wiped once the repository is open.
     */
    public static Repository open(RepositorySettings s) {
        Storage storage = storage(s);
        KeyMaterial keys = null;
        try {
            keys = keys(s);
            return Repository.open(storage, keys);
        } catch (RuntimeException e) {
            storage.close();
            throw e;
        } finally {
            if (keys != null) {
                keys.wipe();
            }
        }
    }

    /** Creates the repository of {@code s} ({@code walvault init}). */
    public static Repository create(RepositorySettings s) {
        EncryptionMode mode = s.encryption() == null ? null : EncryptionMode.parse(s.encryption());
        if (mode == null) {
            throw new WalvaultException(ErrorCode.CONFIG,
                    "choose the repository's encryption HINT: pass --encryption none, passphrase or public-key;"
                    + " it cannot be changed later");
        }
        byte[] pub = mode == EncryptionMode.PUBLIC_KEY && s.publicKeyFile() != null ? KeyFiles.readPublic(s.publicKeyFile()) : null;
        Storage storage = storage(s);
        try {
            return Repository.create(storage, new InitOptions(Compression.parse(s.compression()), mode, s.passphrase(), pub, null));
        } catch (RuntimeException e) {
            storage.close();
            throw e;
        }
    }
}
