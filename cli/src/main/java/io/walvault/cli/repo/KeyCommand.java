package io.walvault.cli.repo;

import io.walvault.core.cli.RepositoryOptions;
import io.walvault.core.config.RepositorySettings;
import io.walvault.core.crypto.X25519Keys;
import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;
import io.walvault.core.repo.KeyFiles;
import io.walvault.core.repo.Repositories;
import io.walvault.core.repo.Repository;
import io.walvault.core.storage.Storage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code walvault key generate | rotate}. */
@Command(name = "key", mixinStandardHelpOptions = true, description = "Manage encryption keys.",
        subcommands = {KeyCommand.Generate.class, KeyCommand.Rotate.class})
public final class KeyCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** Writes a new X25519 key pair: the private key to a 0600 file, the public key to stdout (and a file). */
    @Command(name = "generate", mixinStandardHelpOptions = true,
            description = {"Generate an X25519 key pair for a public-key repository.",
                    "Archiving hosts need only the public key; restoring needs the private key file."})
    public static final class Generate implements Callable<Integer> {
        @Option(names = "--private-key-file", required = true, paramLabel = "FILE", description = "Where to write the private key (created 0600).")
        Path privateKeyFile;

        @Option(names = "--public-key-file", paramLabel = "FILE", description = "Also write the public key here.")
        Path publicKeyFile;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            byte[] pub = KeyFiles.generate(privateKeyFile);
            String line = KeyFiles.formatPublic(pub);
            if (publicKeyFile != null) {
                try {
                    Files.writeString(publicKeyFile, line + "\n", java.nio.file.StandardOpenOption.CREATE_NEW);
                } catch (IOException e) {
                    throw new WalvaultException(ErrorCode.CONFIG, "cannot write public key file '" + publicKeyFile + "': "
                            + e.getMessage(), e);
                }
            }
            spec.commandLine().getOut().println(line);
            spec.commandLine().getErr().println("wrote private key '" + privateKeyFile + "' (fingerprint "
                    + X25519Keys.fingerprint(pub) + "); keep a copy where restore can reach it");
            return 0;
        }
    }

    /** Adds a key version used by new writes; old versions stay readable. */
    @Command(name = "rotate", mixinStandardHelpOptions = true,
            description = {"Add a new key version for new writes. Nothing is rewritten and old objects stay readable.",
                    "passphrase repositories: a new random key, sealed under --new-passphrase-file (or the current passphrase);"
                            + " the old passphrase stops working.",
                    "public-key repositories: --new-public-key-file; keep the old private keys for old objects.",
                    "Running archivers keep the version they opened with until their next start: no gap, no failure."})
    public static final class Rotate implements Callable<Integer> {
        @Mixin
        RepositoryOptions options;

        @Option(names = "--new-passphrase-file", paramLabel = "FILE", description = "New passphrase (first line);"
                + " the file must be the owner's alone (chmod 600).")
        Path newPassphraseFile;

        @Option(names = "--new-public-key-file", paramLabel = "FILE", description = "New public key (from 'walvault key generate').")
        Path newPublicKeyFile;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            RepositorySettings s = options.repository(System.getenv());
            char[] newPass = null;
            if (newPassphraseFile != null) {
                newPass = RepositorySettings.readPassphrase(newPassphraseFile);
            }
            byte[] newPub = newPublicKeyFile == null ? null : KeyFiles.readPublic(newPublicKeyFile);
            try (Storage storage = Repositories.storage(s)) {
                int v = Repository.rotateKey(storage, Repositories.keys(s), newPass, newPub);
                spec.commandLine().getOut().printf("repository '%s' now writes with key version %d%n", storage.location(), v);
            }
            return 0;
        }
    }
}
