package io.walvault.restore.status;

import static java.util.Objects.requireNonNull;

import io.walvault.core.repo.BackupInfo;
import io.walvault.core.repo.RecoveryTimings.Timing;
import io.walvault.restore.info.RecoveryWindow;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.ToDoubleFunction;

/**
 * How long a restore to now would take (the recovery time objective as it stands): the bytes of
 * the backup a restore to the end of the latest window starts from, at the throughput earlier
 * full restores of this cluster measured, plus the WAL from that backup's start to the window's
 * end, at the replay throughput earlier drills measured (the median of the newest
 * {@value #SAMPLES} of each). Never guessed: without both measurements the estimate is unknown
 * and {@link #unknownBecause} says what would measure it.
 *
 * @param seconds              the estimate, when both throughputs are measured
 * @param restoreBytes         the backup's bytes (0 when nothing can be recovered)
 * @param restoreBytesPerSecond the median restore throughput measured
 * @param restores             how many restores it comes from
 * @param walBytes             WAL to replay from the backup's start to the window's end
 * @param replayBytesPerSecond the median replay throughput measured
 * @param drills               how many drills it comes from
 * @param unknownBecause       why there is no estimate (empty when there is one)
 */
public record Rto(OptionalLong seconds, long restoreBytes, OptionalLong restoreBytesPerSecond, int restores, long walBytes,
                  OptionalLong replayBytesPerSecond, int drills, Optional<String> unknownBecause) {

    /** How many of the newest measurements of each kind the estimate uses. */
    public static final int SAMPLES = 5;

    public Rto {
        requireNonNull(seconds, "seconds is null");
        requireNonNull(restoreBytesPerSecond, "restoreBytesPerSecond is null");
        requireNonNull(replayBytesPerSecond, "replayBytesPerSecond is null");
        requireNonNull(unknownBecause, "unknownBecause is null");
        if (seconds.isPresent() == unknownBecause.isPresent()) {
            throw new IllegalArgumentException("an RTO has an estimate or a reason why not, not both");
        }
    }

    /** No estimate, for {@code reason}. */
    public static Rto unknown(String reason) {
        return new Rto(OptionalLong.empty(), 0, OptionalLong.empty(), 0, 0, OptionalLong.empty(), 0, Optional.of(reason));
    }

    /**
     * The estimate for a restore to the end of {@code latest}, which starts from {@code backup},
     * from {@code timings} (oldest first).
     */
    public static Rto estimate(Optional<RecoveryWindow> latest, Optional<BackupInfo> backup, List<Timing> timings) {
        if (latest.isEmpty() || backup.isEmpty()) {
            return unknown("nothing can be recovered");
        }
        long restoreBytes = backup.get().bytes();
        long walBytes = Math.max(0, latest.get().endLsn().minus(backup.get().startLsn()));
        double[] restoreRates = newest(timings, Timing::restoreRate);
        double[] replayRates = newest(timings, Timing::replayRate);
        OptionalLong restoreRate = median(restoreRates);
        OptionalLong replayRate = median(replayRates);
        Optional<String> missing = restoreRate.isEmpty() && replayRate.isEmpty()
                ? Optional.of("no restore or drill of this cluster recorded: 'walvault verify --drill' measures both")
                : restoreRate.isEmpty() ? Optional.of("no full restore of this cluster recorded: 'walvault verify --drill'"
                + " measures one")
                : replayRate.isEmpty() ? Optional.of("no drill of this cluster recorded its WAL replay: 'walvault verify"
                + " --drill' measures it") : Optional.empty();
        OptionalLong seconds = missing.isPresent() ? OptionalLong.empty() : OptionalLong.of(Math.round(
                (double) restoreBytes / restoreRate.getAsLong() + (double) walBytes / replayRate.getAsLong()));
        return new Rto(seconds, restoreBytes, restoreRate, restoreRates.length, walBytes, replayRate, replayRates.length, missing);
    }

    private static double[] newest(List<Timing> timings, ToDoubleFunction<Timing> rate) {
        double[] all = timings.stream().mapToDouble(rate).filter(r -> r > 0).toArray();
        return Arrays.copyOfRange(all, Math.max(0, all.length - SAMPLES), all.length);
    }

    private static OptionalLong median(double[] rates) {
        if (rates.length == 0) {
            return OptionalLong.empty();
        }
        double[] sorted = rates.clone();
        Arrays.sort(sorted);
        int m = sorted.length / 2;
        double median = sorted.length % 2 == 1 ? sorted[m] : (sorted[m - 1] + sorted[m]) / 2;
        return OptionalLong.of(Math.max(1, Math.round(median)));
    }
}
