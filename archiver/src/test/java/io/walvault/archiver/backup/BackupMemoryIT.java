package io.walvault.archiver.backup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.walvault.core.config.RepositorySettings;
import io.walvault.core.repo.ManifestFile;
import io.walvault.core.repo.Repositories;
import io.walvault.core.repo.Repository;
import io.walvault.testkit.ChildJvm;
import io.walvault.testkit.PgCluster;
import io.walvault.testkit.PgHarness;
import io.walvault.testkit.PgTest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.io.TempDir;

/**
 * Memory stays bounded whatever the size of the files: a backup runs in a child JVM whose heap
 * is smaller than the largest file it backs up.
 */
class BackupMemoryIT {

    static final int HEAP_MIB = 96;

    @TempDir
    Path dir;

    @PgTest(min = 18)
    void aFileLargerThanTheHeapStreamsThrough(PgHarness harness) throws Exception {
        PgCluster pg = harness.cluster().start();
        pg.execute("CREATE TABLE big (id int, v text)",
                "ALTER TABLE big ALTER COLUMN v SET STORAGE PLAIN",
                "INSERT INTO big SELECT g, md5(g::text) || md5((g + 1)::text) || md5((g * 7)::text) || md5((g * 13)::text)"
                        + " FROM generate_series(1, 1000000) g",
                "CREATE ROLE wv_backup LOGIN REPLICATION PASSWORD 'backup pw'");
        BackupIT t = new BackupIT();
        t.dir = dir;
        RepositorySettings rs = t.localRepository();
        Repositories.create(rs).close();

        Process p = ChildJvm.builder(HEAP_MIB + "m", List.of(), BackupChild.class,
                "host=127.0.0.1 port=" + pg.port() + " user=wv_backup password='backup pw' sslmode=disable",
                dir.resolve("walvault.conf").toString()).start();
        String out;
        try (var in = p.getInputStream()) {
            out = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        assertTrue(p.waitFor(5, TimeUnit.MINUTES), "the child ended");
        assertEquals(0, p.exitValue(), out);
        String line = out.lines().filter(l -> l.startsWith("backup ")).findFirst().orElseThrow();
        String[] f = line.split(" ");
        System.out.println("backup in a " + HEAP_MIB + " MiB heap: " + line);

        try (Repository repo = Repositories.open(rs)) {
            long systemId = Long.parseUnsignedLong(pg.queryString("SELECT system_identifier FROM pg_control_system()"));
            List<ManifestFile> files = new ArrayList<>();
            repo.cluster(systemId).backups().readManifest(f[1], files::add);
            long largest = files.stream().mapToLong(ManifestFile::size).max().orElseThrow();
            assertTrue(largest > HEAP_MIB * 1024L * 1024, "the largest file (" + largest + " bytes) is larger than the heap");
        }
        long rssKb = Long.parseLong(f[5]);
        assertTrue(rssKb > 0 && rssKb < 512 * 1024, "peak RSS " + rssKb + " kB");
    }
}
