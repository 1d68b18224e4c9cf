package io.walvault.cli.repo;

import io.walvault.cli.options.RepositoryOptions;
import io.walvault.core.config.RepositorySettings;
import io.walvault.core.repo.Repositories;
import io.walvault.core.repo.Repository;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code walvault init}: creates a repository at an empty location. */
@Command(name = "init", mixinStandardHelpOptions = true,
        footerHeading = "%nExample:%n", footer = {"  walvault init --repo s3://bucket/pg/main --s3-region eu-west-1 \\", "      --encryption passphrase --passphrase-file /etc/walvault/main.pass"},
        description = {"Create a repository at an empty location.",
                "The encryption mode is chosen here and cannot change: none, passphrase (WALVAULT_PASSPHRASE or"
                        + " --passphrase-file) or public-key (--public-key-file, from 'walvault key generate')."})
public final class InitCommand implements Callable<Integer> {

    @Mixin
    RepositoryOptions options;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        try (RepositorySettings s = options.repository(System.getenv()); Repository repo = Repositories.create(s)) {
            spec.commandLine().getOut().printf("created repository '%s' (format %d, compression %s, encryption %s)%n",
                    repo.storage().location(), repo.descriptor().format(), repo.descriptor().compression(),
                    repo.descriptor().encryption());
        }
        return 0;
    }
}
