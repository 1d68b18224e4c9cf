package io.walvault.archiver.push;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.walvault.archiver.ArchiverSettingNames;
import io.walvault.core.config.Settings;
import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class QueueLimitTest {

    private static final long SEG = 16L << 20;
    private static final List<QueueLimit.Waiting> FIVE = List.of(w("01"), w("02"), w("03"), w("04"), w("05"));

    @Test
    void withoutALimitNothingIsEverGivenUp() {
        assertEquals(List.of(), new QueueLimit(OptionalLong.empty()).toGiveUp(FIVE, true));
    }

    @Test
    void aWorkingRepositoryIsNeverOvertakenHoweverLongTheQueue() {
        assertEquals(List.of(), new QueueLimit(OptionalLong.of(SEG)).toGiveUp(FIVE, false));
    }

    @Test
    void aFailingRepositoryLosesTheOldestUntilTheRestFits() {
        assertEquals(FIVE.subList(0, 3), new QueueLimit(OptionalLong.of(2 * SEG)).toGiveUp(FIVE, true));
        assertEquals(FIVE.subList(0, 2), new QueueLimit(OptionalLong.of(3 * SEG + 1)).toGiveUp(FIVE, true));
        assertEquals(List.of(), new QueueLimit(OptionalLong.of(5 * SEG)).toGiveUp(FIVE, true), "exactly at the limit");
        assertEquals(FIVE, new QueueLimit(OptionalLong.of(0)).toGiveUp(FIVE, true));
    }

    @Test
    void aFailingPushWaitsLongerEachTimeUpToHalfAMinute() {
        assertEquals(Duration.ofSeconds(1), PushWorker.pause(1));
        assertEquals(Duration.ofSeconds(2), PushWorker.pause(2));
        assertEquals(Duration.ofSeconds(16), PushWorker.pause(5));
        assertEquals(Duration.ofSeconds(30), PushWorker.pause(6));
        assertEquals(Duration.ofSeconds(30), PushWorker.pause(1000));
    }

    @Test
    void sizesReadAsPostgresqlWritesThem() {
        assertEquals(OptionalLong.of(8L << 30), settings("8GB").queueMax());
        assertEquals(OptionalLong.of(512L << 20), settings("512MB").queueMax());
        assertEquals(OptionalLong.of(1000), settings("1000").queueMax());
        assertEquals(OptionalLong.empty(), ArchivePushSettings.from(Settings.load(ArchiverSettingNames.NAMES, Map.of(), null,
                Map.of())).queueMax());
        WalvaultException e = assertThrows(WalvaultException.class, () -> settings("lots"));
        assertEquals(ErrorCode.CONFIG, e.code());
        assertTrue(e.getMessage().contains("archive-push-queue-max 'lots'"), e.getMessage());
    }

    private static ArchivePushSettings settings(String queueMax) {
        return ArchivePushSettings.from(Settings.load(ArchiverSettingNames.NAMES, Map.of("archive-push-queue-max", queueMax), null,
                Map.of()));
    }

    private static QueueLimit.Waiting w(String n) {
        return new QueueLimit.Waiting(Path.of("0000000100000000000000" + n), SEG);
    }
}
