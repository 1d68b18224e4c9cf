package io.walvault.restore.status;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.walvault.core.repo.BackupInfo;
import io.walvault.core.wal.Lsn;
import io.walvault.core.wal.ServerWalPosition;
import io.walvault.core.wal.TimelineId;
import io.walvault.core.wal.WalSegmentName;
import io.walvault.restore.info.RecoveryWindow;
import io.walvault.restore.info.TimelineWal;
import io.walvault.restore.status.StatusProblem.Kind;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/** The JSON form of status: its field names and units are a contract with scripts and monitoring. */
class StatusJsonTest {

    private static final long SEG = WalSegmentName.DEFAULT_SEGMENT_SIZE;
    private static final Instant NOW = Instant.parse("2026-11-21T12:00:00Z");

    @Test
    void everyFieldWithItsStableNameAndUnit() {
        WalSegmentName two = new WalSegmentName(TimelineId.FIRST, 2, SEG);
        BackupInfo b = new BackupInfo("20261121T093000Z", 42, 170004, "17.4", "nightly", TimelineId.FIRST, Lsn.parse("0/2000028"),
                TimelineId.FIRST, Lsn.parse("0/2000100"), Instant.parse("2026-11-21T09:29:00Z"),
                Instant.parse("2026-11-21T09:30:00Z"), OptionalLong.of(SEG), Optional.of(two), Optional.of(two), 1, 2, 3, 1, true);
        RecoveryWindow w = new RecoveryWindow(Instant.parse("2026-11-21T09:30:00Z"), Lsn.parse("0/2000100"), b.id(),
                Lsn.parse("0/4000000"), TimelineId.FIRST, Optional.of(Instant.parse("2026-11-21T11:00:00Z")),
                Optional.of("000000010000000000000003"), Optional.empty());
        StatusReport r = new StatusReport(NOW, 42, ServerReading.of(new ServerWalPosition(42, Lsn.parse("0/6000000"), true)),
                Optional.of(new Rpo(33554432, OptionalLong.empty())),
                new Rto(OptionalLong.of(130), 2_000_000_000, OptionalLong.of(20_000_000), 3, 600_000_000, OptionalLong.of(20_000_000),
                        1, Optional.empty()),
                Optional.of(new ArchivedFile("000000010000000000000005", Instant.parse("2026-11-21T11:59:30Z"))),
                Optional.of(b), List.of(w), List.of(new TimelineWal.Gap(new WalSegmentName(TimelineId.FIRST, 4, SEG),
                        new WalSegmentName(TimelineId.FIRST, 4, SEG))),
                List.of(new StatusProblem(Kind.WAL_GAP, "a \"gap\"")), List.of("a warning"));
        assertEquals("{\"format\":1,\"at\":\"2026-11-21T12:00:00Z\",\"systemIdentifier\":\"42\",\"healthy\":false,"
                + "\"server\":{\"lsn\":\"0/6000000\",\"standby\":true},\"rpo\":{\"bytes\":33554432,\"seconds\":null},"
                + "\"rtoSeconds\":130,\"rto\":{\"seconds\":130,\"restoreBytes\":2000000000,\"restoreBytesPerSecond\":20000000,"
                + "\"restoresMeasured\":3,\"walBytes\":600000000,\"replayBytesPerSecond\":20000000,\"drillsMeasured\":1,"
                + "\"unknownBecause\":null},"
                + "\"newestWal\":{\"file\":\"000000010000000000000005\",\"archivedAt\":\"2026-11-21T11:59:30Z\",\"ageSeconds\":30},"
                + "\"newestBackup\":{\"id\":\"20261121T093000Z\",\"stopTime\":\"2026-11-21T09:30:00Z\",\"stopLsn\":\"0/2000100\","
                + "\"ageSeconds\":9000},"
                + "\"recoveryWindows\":[{\"start\":{\"time\":\"2026-11-21T09:30:00Z\",\"lsn\":\"0/2000100\","
                + "\"backup\":\"20261121T093000Z\"},\"end\":{\"lsn\":\"0/4000000\",\"timeline\":1,"
                + "\"lastCommitTime\":\"2026-11-21T11:00:00Z\",\"lastWal\":\"000000010000000000000003\"},\"endsAtGap\":null}],"
                + "\"gaps\":[{\"from\":\"000000010000000000000004\",\"to\":\"000000010000000000000004\",\"segments\":1}],"
                + "\"problems\":[{\"kind\":\"WAL_GAP\",\"message\":\"a \\\"gap\\\"\"}],\"warnings\":[\"a warning\"]}\n",
                StatusJson.write(r));
    }

    @Test
    void whatIsUnknownIsNull() {
        StatusReport r = new StatusReport(NOW, 42, ServerReading.notAsked(), Optional.empty(), Rto.unknown("nothing can be recovered"),
                Optional.empty(), Optional.empty(), List.of(), List.of(), List.of(), List.of());
        assertEquals("{\"format\":1,\"at\":\"2026-11-21T12:00:00Z\",\"systemIdentifier\":\"42\",\"healthy\":true,"
                + "\"server\":null,\"rpo\":null,\"rtoSeconds\":null,\"rto\":{\"seconds\":null,\"restoreBytes\":0,"
                + "\"restoreBytesPerSecond\":null,\"restoresMeasured\":0,\"walBytes\":0,\"replayBytesPerSecond\":null,"
                + "\"drillsMeasured\":0,\"unknownBecause\":\"nothing can be recovered\"},\"newestWal\":null,\"newestBackup\":null,"
                + "\"recoveryWindows\":[],\"gaps\":[],\"problems\":[],\"warnings\":[]}\n", StatusJson.write(r));
    }
}
