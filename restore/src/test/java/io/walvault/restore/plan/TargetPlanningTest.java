package io.walvault.restore.plan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.walvault.core.compress.Compression;
import io.walvault.core.error.ErrorCode;
import io.walvault.core.repo.BackupCatalog;
import io.walvault.core.repo.EncryptionMode;
import io.walvault.core.repo.Repository;
import io.walvault.core.storage.memory.MemoryStorage;
import io.walvault.core.wal.WalFileName;
import io.walvault.restore.recovery.RecoveryTarget;
import io.walvault.restore.recovery.TargetTimeline;
import io.walvault.testkit.WalSegments;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Choosing the backup for a target found in the WAL, and saying why none reaches it. */
class TargetPlanningTest {

    private static final long SYSID = 7_400_000_000_000_000_042L;

    @Test
    void whenNoBackupReachesATimeTargetTheGapNearestToItIsNamed() throws IOException {
        Repository repo = Repository.create(new MemoryStorage(), new Repository.InitOptions(Compression.LZ4, EncryptionMode.NONE,
                null, null, null));
        BackupCatalog catalog = repo.cluster(SYSID).backups();
        CommittedBackups.add(catalog, SYSID, "20261121T063000Z", 2);
        CommittedBackups.add(catalog, SYSID, "20261122T063000Z", 5);
        // segments 4 and 7 are lost; the WAL after each backup holds no commit (nothing a time target can stop at)
        for (int seg : new int[] {2, 3, 5, 6, 8}) {
            String name = String.format("0000000100000000%08X", seg);
            byte[] bytes = WalSegments.segment(name, CommittedBackups.SEG, SYSID, seg);
            repo.cluster(SYSID).wal().put(WalFileName.parse(name), () -> new ByteArrayInputStream(bytes));
        }
        ClusterState state = ClusterState.load(repo.cluster(SYSID));

        RestorePlanException e = assertThrows(RestorePlanException.class, () -> TargetPlanning.plan(state,
                new RecoveryTarget.Time(Instant.parse("2026-11-23T00:00:00Z")), TargetTimeline.latest(), Optional.empty(), true));

        // both backups were tried; the newer one's search stopped at segment 7, the older one's at segment 4
        assertEquals(ErrorCode.WAL_GAP, e.code(), e.getMessage());
        assertTrue(e.getMessage().contains("up to WAL segment '000000010000000000000007'"), e.getMessage());
        assertTrue(e.getMessage().contains("after backup '20261122T063000Z'"), e.getMessage());
    }
}
