package io.walvault.archiver.backup;

import io.walvault.core.config.RepositorySettings;
import io.walvault.core.config.Settings;
import io.walvault.core.replication.conn.ConnectionSettings;
import io.walvault.core.repo.Repositories;
import io.walvault.core.repo.Repository;
import io.walvault.testkit.ChildJvm;
import java.nio.file.Path;
import java.util.Map;

/**
 * Runs one backup in its own JVM (started by {@link BackupMemoryIT} with a small heap) and prints
 * {@code backup <id> <files> <bytes> peak-rss-kb <n> ...}; an optional third argument is
 * the max rate in kB/s.
 */
public final class BackupChild {

    private BackupChild() {
    }

    public static void main(String[] args) throws Exception {
        ConnectionSettings cs = ConnectionSettings.parse(args[0], Map.of(), Path.of("/nonexistent-home"), "nobody");
        RepositorySettings rs = RepositorySettings.from(Settings.load(Map.of(), Path.of(args[1]), Map.of()));
        try (Repository repo = Repositories.open(rs)) {
            int maxRate = args.length > 2 ? Integer.parseInt(args[2]) : 0;
            BackupResult r = new Backup(cs, repo, BackupOptions.defaults().fastCheckpoint(true).maxRateKbps(maxRate))
                    .runUntilShutdown();
            System.out.println("backup " + r.info().id() + " " + r.info().files() + " " + r.info().bytes() + " peak-rss-kb "
                    + ChildJvm.peakRssKb()
                    + " elapsed-ms " + r.elapsed().toMillis() + " stored " + r.info().storedBytes());
        }
    }
}
