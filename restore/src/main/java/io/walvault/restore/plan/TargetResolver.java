package io.walvault.restore.plan;

import static java.util.Objects.requireNonNull;

import io.walvault.core.repo.BackupInfo;
import io.walvault.core.error.ErrorCode;
import io.walvault.core.pipeline.Sink;
import io.walvault.core.wal.Lsn;
import io.walvault.core.wal.WalRecord;
import io.walvault.core.wal.WalRecordReader;
import io.walvault.restore.recovery.RecoveryTarget;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Finds, in the archived WAL, the record where recovery to a time, transaction or restore
 * point will stop, with PostgreSQL's own rules (xlogrecovery.c recoveryStopsBefore/After):
 * <ul>
 *   <li>time: the first commit or abort whose time is after the target (inclusive) or at or
 *       after it (not inclusive); recovery stops before that record;</li>
 *   <li>xid: the commit or abort of that transaction; recovery stops after it (inclusive) or
 *       before it;</li>
 *   <li>name: the restore point of that name; recovery stops after it.</li>
 * </ul>
 * So the restore knows before downloading the backup that the target is reachable, exactly
 * which WAL it needs, and whether it lies after the backup's consistent point (before it,
 * PostgreSQL refuses to start). Reading stops as soon as the stop record is found.
 */
public final class TargetResolver {

    /**
     * Where recovery will stop.
     *
     * @param stopRecord the record that triggers the stop
     * @param stopsBefore whether recovery stops before that record (else after it)
     * @param walNeededUntil the position just past the WAL recovery reads to decide (the stop record's end)
     * @param replayedUntil the end of the last record recovery replays: the stop record's, or, when recovery stops
     *                      before it, the one's before it; recovery reads the segment holding its last byte once more
     *                      as it ends, which is an earlier segment than the stop record's end when that record
     *                      continues into the next segment
     * @param lastCommitTime the time of the last commit seen before the stop (what the restored data includes)
     */
    public record Resolution(Lsn stopRecord, boolean stopsBefore, Lsn walNeededUntil, Lsn replayedUntil,
                             Optional<Instant> lastCommitTime) {
    }

    private TargetResolver() {
    }

    /**
     * Scans the WAL of {@code plan} (planned to the end of the archive) for the stop record of
     * {@code target}.
     */
    public static Resolution resolve(RestorePlan plan, WalSource source, RecoveryTarget target, boolean inclusive) {
        requireNonNull(plan, "plan is null");
        Finder finder = new Finder(target, inclusive);
        if (plan.wal().isEmpty()) {
            throw new RestorePlanException(ErrorCode.WAL_GAP, "no archived WAL follows backup '" + plan.backup().id() + "'");
        }
        long segmentSize = plan.segmentSize();
        WalRecordReader reader = new WalRecordReader(plan.backup().startLsn().segmentStart(segmentSize), segmentSize, finder);
        Sink records = Sink.of((b, off, len) -> {
            if (finder.found == null) { // the rest of the file is decoded (and so checked), not read
                reader.feed(b, off, len);
            }
        });
        for (RestorePlan.PlannedWal w : plan.wal()) {
            try {
                source.read(w.file(), records);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read WAL file '" + w.file() + "' while looking for the target", e);
            }
            if (finder.found != null || reader.endOfWal().isPresent()) {
                break;
            }
        }
        if (finder.found == null) {
            String last = finder.lastCommit == null ? "no transaction committed in the archived WAL after the backup"
                    : "the newest archived commit is at " + finder.lastCommit;
            throw new RestorePlanException(ErrorCode.TARGET_UNREACHABLE, "the target "
                    + target.describe() + " is not in the archived WAL after backup '" + plan.backup().id()
                    + "' (" + last + "); PostgreSQL would end recovery before reaching it and refuse to start"
                    + " HINT: leave the target out to replay all archived WAL, or choose a target the archive holds");
        }
        WalRecord r = finder.found;
        boolean before = finder.stopsBefore;
        Lsn stopPoint = before ? r.lsn() : r.end();
        if (stopPoint.isBefore(plan.backup().stopLsn())) {
            throw new RestorePlanException(ErrorCode.TARGET_UNREACHABLE, "the target " + target.describe()
                    + " lies at " + r.lsn() + ", before the consistent point " + plan.backup().stopLsn() + " of backup '"
                    + plan.backup().id() + "' HINT: restore from an older backup (--backup)");
        }
        Lsn replayedUntil = before ? Optional.ofNullable(finder.previousEnd).orElse(r.lsn()) : r.end();
        return new Resolution(r.lsn(), before, r.end(), replayedUntil, Optional.ofNullable(finder.lastCommit));
    }

    /** Watches records for the stop condition. */
    private static final class Finder implements Consumer<WalRecord> {
        private final RecoveryTarget target;
        private final boolean inclusive;
        WalRecord found;
        boolean stopsBefore;
        Instant lastCommit;
        Lsn previousEnd;

        Finder(RecoveryTarget target, boolean inclusive) {
            this.target = target;
            this.inclusive = inclusive;
        }

        @Override
        public void accept(WalRecord r) {
            if (found != null) {
                return;
            }
            boolean xact = r.isCommit() || r.isAbort();
            if (target instanceof RecoveryTarget.Time t && xact) {
                Instant when = r.timestamp().orElseThrow();
                boolean stop = inclusive ? when.isAfter(t.time()) : !when.isBefore(t.time());
                if (stop) {
                    found = r;
                    stopsBefore = true;
                    return;
                }
            } else if (target instanceof RecoveryTarget.Xid x && xact && r.xid() == (x.xid() & 0xFFFFFFFFL)) {
                found = r;
                stopsBefore = !inclusive;
                return;
            } else if (target instanceof RecoveryTarget.Name n && r.isRestorePoint()
                    && n.name().equals(r.restorePointName().orElse(null))) {
                found = r;
                stopsBefore = false;
                return;
            }
            if (r.isCommit()) {
                lastCommit = r.timestamp().orElse(lastCommit);
            }
            previousEnd = r.end();
        }
    }
}
