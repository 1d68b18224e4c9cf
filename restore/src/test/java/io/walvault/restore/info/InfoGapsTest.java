package io.walvault.restore.info;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.walvault.core.compress.Compression;
import io.walvault.core.repo.ArchiveGaps;
import io.walvault.core.repo.EncryptionMode;
import io.walvault.core.repo.Repository;
import io.walvault.core.storage.memory.MemoryStorage;
import java.util.List;
import org.junit.jupiter.api.Test;

/** WAL that archive-push gave up on purpose is a problem info names, with the recorded reason. */
class InfoGapsTest {

    @Test
    void aRecordedGapIsNamedWithItsReasonAndWhatToDo() {
        Repository repo = Repository.create(new MemoryStorage(), new Repository.InitOptions(Compression.LZ4, EncryptionMode.NONE,
                null, null, null));
        ClusterReport none = Info.cluster(repo.cluster(42));
        assertTrue(none.problems().stream().noneMatch(p -> p.contains("given up")), none.problems().toString());

        repo.cluster(42).gaps().record(new ArchiveGaps.Gap(1, "000000010000000000000003", "000000010000000000000004", 2,
                32L << 20, "db1", "2026-12-05T06:00:00Z", "archive-push-queue-max (32 MiB) reached while the repository failed"));
        ClusterReport report = Info.cluster(repo.cluster(42));
        List<String> problems = report.problems();
        List<String> gaps = problems.stream().filter(p -> p.contains("given up")).toList();
        assertEquals(gaps, report.walGaps(), "status states it as a problem of its own");
        assertTrue(report.problemsBesideWalGaps().stream().noneMatch(p -> p.contains("given up")), problems.toString());
        assertEquals(1, gaps.size(), problems.toString());
        assertTrue(gaps.get(0).startsWith("WAL 000000010000000000000003 to 000000010000000000000004 (2 files, 32 MiB) was given"
                + " up unarchived by archive-push on db1 at 2026-12-05T06:00:00Z: archive-push-queue-max (32 MiB) reached"), gaps.get(0));
        assertTrue(gaps.get(0).contains("HINT: "), gaps.get(0));
    }
}
