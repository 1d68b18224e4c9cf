package io.walvault.cli.repo;

import io.walvault.cli.options.RepositoryOptions;
import io.walvault.core.config.RepositorySettings;
import io.walvault.core.crypto.X25519Keys;
import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;
import io.walvault.core.repo.KeyFiles;
import io.walvault.core.repo.KeyMaterial;
import io.walvault.core.repo.Repositories;
import io.walvault.core.repo.Repository;
import io.walvault.core.storage.Storage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code walvault key generate | rotate}. */
@Command(name = "key", mixinStandardHelpOptions = true,
        footerHeading = "%nExample:%n", footer = {"  walvault key rotate --config /etc/walvault/main.conf \\", "      --new-passphrase-file /etc/walvault/new.pass"}, description = "Manage encryption keys.",
        subcommands = {KeyCommand.Generate.class, KeyCommand.Rotate.class, KeyCommand.Retire.class})
public final class KeyCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** Writes a new X25519 key pair: the private key to a 0600 file, the public key to stdout (and a file). */
    @Command(name = "generate", mixinStandardHelpOptions = true,
            footerHeading = "%nExample:%n", footer = {"  walvault key generate --private-key-file /root/walvault.key \\",
                    "      --public-key-file /etc/walvault/walvault.pub"},
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
                    Files.writeString(publicKeyFile, line + "\n", StandardOpenOption.CREATE_NEW);
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
            footerHeading = "%nExample:%n", footer = {"  walvault key rotate --config /etc/walvault/main.conf \\",
                    "      --new-passphrase-file /etc/walvault/new.pass"},
            description = {"Add a new key version for new writes. Nothing is rewritten and old objects stay readable.",
                    "passphrase repositories: a new random key, sealed under --new-passphrase-file (or the current passphrase)."
                            + " With a new passphrase, the old one keeps working (writing with the previous key version, which"
                            + " the new passphrase reads too) until 'walvault key retire': update archive_command, the agent"
                            + " and scripts first, then retire.",
                    "public-key repositories: --new-public-key-file; keep the old private keys for old objects. Hosts that"
                            + " pin the old public key keep writing to it (with a warning) until their setting is updated.",
                    "No archive_command fails because of a rotation: no gap."})
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
            char[] newPass = null;
            KeyMaterial current = null;
            try (RepositorySettings s = options.repository(System.getenv())) {
                if (newPassphraseFile != null) {
                    newPass = RepositorySettings.readPassphrase(newPassphraseFile);
                }
                byte[] newPub = newPublicKeyFile == null ? null : KeyFiles.readPublic(newPublicKeyFile);
                try (Storage storage = Repositories.storage(s)) {
                    current = Repositories.keys(s);
                    int v = Repository.rotateKey(storage, current, newPass, newPub);
                    spec.commandLine().getOut().printf("repository '%s' now writes with key version %d%n", storage.location(), v);
                    if (newPass != null && !Arrays.equals(newPass, s.passphrase())) {
                        spec.commandLine().getOut().println("the old passphrase still works (writing with key version " + (v - 1)
                                + ") until you run 'walvault key retire' with the new one, once every archive_command, agent and"
                                + " script uses it");
                    }
                }
            } finally {
                if (current != null) {
                    current.wipe();
                }
                if (newPass != null) {
                    Arrays.fill(newPass, '\0');
                }
            }
            return 0;
        }
    }

    /** Removes older keyring versions after a rotation to a new passphrase. */
    @Command(name = "retire", mixinStandardHelpOptions = true,
            description = {"After 'key rotate --new-passphrase-file': remove the older keyring versions, so that the old"
                    + " passphrase stops opening the repository.",
                    "Give the NEW passphrase (WALVAULT_PASSPHRASE or passphrase-file). Run it once every archive_command,"
                            + " agent and script uses the new passphrase: any still using the old one fails from then on."},
            footerHeading = "%nExample:%n", footer = {"  walvault key retire --repo s3://bucket/db1 \\",
                    "      --passphrase-file /etc/walvault/new-passphrase"})
    public static final class Retire implements Callable<Integer> {
        @Mixin
        RepositoryOptions options;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            KeyMaterial newest = null;
            try (RepositorySettings s = options.repository(System.getenv()); Storage storage = Repositories.storage(s)) {
                newest = Repositories.keys(s);
                int n = Repository.retireOldKeys(storage, newest);
                spec.commandLine().getOut().printf("repository '%s': %d older keyring version%s removed; only the newest"
                        + " passphrase opens it now%n", storage.location(), n, n == 1 ? "" : "s");
            } finally {
                if (newest != null) {
                    newest.wipe();
                }
            }
            return 0;
        }
    }
}
