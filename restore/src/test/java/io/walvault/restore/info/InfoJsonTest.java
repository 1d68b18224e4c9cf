package io.walvault.restore.info;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.walvault.core.repo.BackupInfo;
import io.walvault.core.wal.Lsn;
import io.walvault.core.wal.TimelineId;
import io.walvault.core.wal.WalSegmentName;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/** The JSON form of info's reports: its field names are a contract with scripts and monitoring. */
class InfoJsonTest {

    private static final long SEG = WalSegmentName.DEFAULT_SEGMENT_SIZE;

    @Test
    void anEmptyRepositoryHasNoCluster() {
        assertEquals("{\"clusters\":[]}\n", InfoJson.write(List.of()));
    }

    @Test
    void everyFieldOfAClusterWithItsStableName() {
        WalSegmentName second = WalSegmentName.parse("000000010000000000000002", SEG);
        BackupInfo b = new BackupInfo("20261121T093000Z", 7400000000000000001L, 170004, "17.4", "nightly", TimelineId.FIRST,
                Lsn.parse("0/2000028"), TimelineId.FIRST, Lsn.parse("0/2000100"), Instant.parse("2026-11-21T09:30:00Z"),
                Instant.parse("2026-11-21T09:30:02.500Z"), OptionalLong.of(SEG), Optional.of(second), Optional.of(second),
                1200L, 30000000L, 9000000L, 1, true);
        TimelineWal wal = TimelineWal.of(TimelineId.FIRST, new TreeSet<>(List.of(2L, 3L, 5L)), Optional.of(6L), SEG);
        RecoveryWindow window = new RecoveryWindow(Instant.parse("2026-11-21T09:30:02.500Z"), Lsn.parse("0/2000100"),
                "20261121T093000Z", Lsn.parse("0/4000000"), TimelineId.FIRST, Optional.empty(),
                Optional.of("000000010000000000000003"), Optional.of(new WalSegmentName(TimelineId.FIRST, 4, SEG)));
        ClusterReport r = new ClusterReport(-1L, List.of(b), List.of(wal), Optional.of("2026-11-21 09:30:02.5+00"),
                Optional.empty(), List.of("a \"quoted\"\tproblem\nover two lines \u0001"), List.of(window));
        assertEquals("{\"clusters\":[{\"systemIdentifier\":\"18446744073709551615\",\"backups\":[{\"id\":\"20261121T093000Z\","
                + "\"label\":\"nightly\",\"serverVersion\":\"17.4\",\"timeline\":1,\"startLsn\":\"0/2000028\","
                + "\"stopLsn\":\"0/2000100\",\"startTime\":\"2026-11-21T09:30:00Z\",\"stopTime\":\"2026-11-21T09:30:02.500Z\","
                + "\"durationSeconds\":2.5,\"files\":1200,\"bytes\":30000000,\"storedBytes\":9000000,\"addedBytes\":9000000,\"sharedBytes\":0,"
                + "\"firstWal\":\"000000010000000000000002\",\"lastWal\":\"000000010000000000000002\"}],"
                + "\"wal\":[{\"timeline\":1,\"first\":\"000000010000000000000002\",\"last\":\"000000010000000000000005\","
                + "\"segments\":3,\"newestPartial\":\"000000010000000000000006\",\"gaps\":[{\"from\":\"000000010000000000000004\","
                + "\"to\":\"000000010000000000000004\",\"segments\":1}]}],"
                + "\"earliestRecoveryPoint\":\"2026-11-21 09:30:02.5+00\",\"latestRecoveryPoint\":null,"
                + "\"recoveryWindows\":[{\"start\":{\"time\":\"2026-11-21T09:30:02.500Z\",\"lsn\":\"0/2000100\","
                + "\"backup\":\"20261121T093000Z\"},\"end\":{\"lsn\":\"0/4000000\",\"timeline\":1,\"lastCommitTime\":null,"
                + "\"lastWal\":\"000000010000000000000003\"},\"endsAtGap\":\"000000010000000000000004\"}],"
                + "\"problems\":[\"a \\\"quoted\\\"\\tproblem\\nover two lines \\u0001\"]}]}\n", InfoJson.write(List.of(r)));
    }

    @Test
    void whatAnOldBackupDidNotRecordIsNull() {
        BackupInfo old = BackupInfo.of("20261121T093000Z", 42, 140010, TimelineId.FIRST, Lsn.parse("0/2000028"),
                Lsn.parse("0/2000100"), Instant.parse("2026-11-21T09:30:00Z"), Instant.parse("2026-11-21T09:30:01Z"), "");
        ClusterReport r = new ClusterReport(42, List.of(old), List.of(), Optional.empty(), Optional.empty(), List.of(), List.of());
        assertEquals("{\"clusters\":[{\"systemIdentifier\":\"42\",\"backups\":[{\"id\":\"20261121T093000Z\",\"label\":\"\","
                + "\"serverVersion\":\"14.10\",\"timeline\":1,\"startLsn\":\"0/2000028\",\"stopLsn\":\"0/2000100\","
                + "\"startTime\":\"2026-11-21T09:30:00Z\",\"stopTime\":\"2026-11-21T09:30:01Z\",\"durationSeconds\":1.0,"
                + "\"files\":0,\"bytes\":0,\"storedBytes\":0,\"addedBytes\":0,\"sharedBytes\":0,\"firstWal\":null,\"lastWal\":null}],\"wal\":[],"
                + "\"earliestRecoveryPoint\":null,\"latestRecoveryPoint\":null,\"recoveryWindows\":[],\"problems\":[]}]}\n",
                InfoJson.write(List.of(r)));
    }
}
