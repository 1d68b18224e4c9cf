package io.walvault.archiver.expire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.walvault.core.config.RepositorySettings;
import io.walvault.core.config.Settings;
import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;
import io.walvault.core.repo.Repositories;
import io.walvault.core.repo.Repository;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Without a system identifier, expire works on the repository's only cluster, and refuses to guess among several. */
class ExpireClusterChoiceTest {

    @TempDir
    Path dir;

    @Test
    void theOnlyClusterOrARefusalNamingThem() throws Exception {
        RepositorySettings settings = RepositorySettings.from(Settings.load(Map.of("repo", dir.resolve("repo").toString(),
                "encryption", "none"), null, Map.of()));
        Repositories.create(settings).close();
        try (Repository repo = Repositories.open(settings)) {
            WalvaultException none = assertThrows(WalvaultException.class, () -> Expire.onlyCluster(repo));
            assertEquals(ErrorCode.CONFIG, none.code());
            assertEquals("the repository '" + repo.storage().location() + "' holds no cluster: expire needs to know which"
                    + " HINT: name it with --system-identifier (WALVAULT_SYSTEM_IDENTIFIER)", none.getMessage());
            record(42);
            assertEquals(42, Expire.onlyCluster(repo));
            record(-2);
            WalvaultException two = assertThrows(WalvaultException.class, () -> Expire.onlyCluster(repo));
            assertEquals(ErrorCode.CONFIG, two.code());
            String listed = two.getMessage().contains("(42, ") ? "42, 18446744073709551614" : "18446744073709551614, 42";
            assertEquals("the repository '" + repo.storage().location() + "' holds 2 clusters (" + listed + "): expire needs"
                    + " to know which HINT: name it with --system-identifier (WALVAULT_SYSTEM_IDENTIFIER)", two.getMessage());
        }
    }

    private void record(long systemId) throws Exception {
        Path cluster = dir.resolve("repo/clusters/" + Long.toUnsignedString(systemId));
        Files.createDirectories(cluster);
        Files.writeString(cluster.resolve("cluster.json"), "{}");
    }
}
