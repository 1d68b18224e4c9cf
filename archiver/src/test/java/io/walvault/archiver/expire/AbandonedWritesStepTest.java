package io.walvault.archiver.expire;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.walvault.core.config.RepositorySettings;
import io.walvault.core.config.Settings;
import io.walvault.core.repo.Repositories;
import io.walvault.core.repo.Repository;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a push killed with SIGKILL leaves in a local repository (its temporary file, named as
 * PosixWriteSink names them) is removed by expire once older than the orphan grace period, and
 * reported with its size; a fresh one (a push still writing) and any other hidden file are kept.
 */
class AbandonedWritesStepTest {

    @TempDir
    Path dir;

    private RepositorySettings settings;
    private Path wal;

    @BeforeEach
    void repository() {
        settings = RepositorySettings.from(Settings.load(Map.of("repo", dir.resolve("repo").toString(), "encryption", "none"),
                null, Map.of()));
        Repositories.create(settings).close();
        wal = dir.resolve("repo/clusters/42/wal/00000001/0000000100000000");
    }

    private Path temporary(String target, int size, Duration age) throws Exception {
        Files.createDirectories(wal);
        Path p = wal.resolve("." + target + "." + Long.toHexString(0x5eed5eed5eedL) + Long.toHexString(System.nanoTime()) + ".tmp");
        Files.write(p, new byte[size]);
        Files.setLastModifiedTime(p, FileTime.from(Instant.now().minus(age)));
        return p;
    }

    private List<String> expire(Duration grace, boolean dryRun) {
        try (Repository repo = Repositories.open(settings)) {
            return new Expire(repo, 42, RetentionPolicy.full(1).withOrphanGrace(grace)).run(dryRun).lines();
        }
    }

    @Test
    void aKilledPushsTemporaryFileIsRemovedOnceOlderThanTheGracePeriod() throws Exception {
        Path killed = temporary("000000010000000000000003.lz4", 3 * 1024 * 1024, Duration.ofDays(2));
        Path writing = temporary("000000010000000000000004.lz4", 1024, Duration.ZERO);
        Path other = Files.writeString(wal.resolve(".not-ours"), "x");
        Files.setLastModifiedTime(other, FileTime.from(Instant.now().minus(Duration.ofDays(9))));

        List<String> dry = expire(Duration.ofDays(1), true);
        assertTrue(dry.contains("would remove: 1 abandoned write (3.0 MiB) untouched for more than 1d, left by pushes or"
                + " backups killed half-way (temporary files, incomplete uploads; whole repository)"), dry.toString());
        assertTrue(Files.exists(killed), "a dry run removes nothing");

        List<String> run = expire(Duration.ofDays(1), false);
        assertTrue(run.contains("removed: 1 abandoned write (3.0 MiB) untouched for more than 1d, left by pushes or backups"
                + " killed half-way (temporary files, incomplete uploads; whole repository)"), run.toString());
        assertFalse(Files.exists(killed));
        assertTrue(Files.exists(writing), "a push still writing is not disturbed");
        assertTrue(Files.exists(other), "other hidden files are not walvault's temporary files");

        List<String> again = expire(Duration.ofDays(1), false);
        assertTrue(again.stream().noneMatch(l -> l.contains("abandoned")), "nothing claimed twice: " + again);
    }

    @Test
    void withNoGraceEvenAFreshOneGoes() throws Exception {
        Path fresh = temporary("000000010000000000000005.lz4", 10, Duration.ofSeconds(1));
        List<String> run = expire(Duration.ZERO, false);
        assertTrue(run.stream().anyMatch(l -> l.startsWith("removed: 1 abandoned write (0.0 KiB) untouched for more than 0")),
                run.toString());
        assertFalse(Files.exists(fresh));
    }
}
