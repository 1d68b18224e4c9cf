package io.walvault.restore.plan;

import static java.util.Objects.requireNonNull;

import io.walvault.core.repo.BackupInfo;
import io.walvault.core.error.ErrorCode;
import io.walvault.core.pipeline.Sink;
import io.walvault.core.wal.Lsn;
import io.walvault.core.wal.SegmentIndex;
import io.walvault.core.wal.WalRecord;
import io.walvault.core.wal.WalRecordReader;
import io.walvault.core.wal.WalSegmentName;
import io.walvault.restore.recovery.RecoveryTarget;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.IntFunction;

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
     * {@code target}. For time, restore-point and transaction-id targets the segments' indexes ({@link
     * WalSource#index}) stand in for the segments that cannot hold the stop record: a segment is
     * decoded only when it has no index or its records may hold the stop, and then the next one
     * too while the stop may be the record that continues into it. Without indexes every segment
     * from the backup on is decoded. Both find the same record.
     */
    public static Resolution resolve(RestorePlan plan, WalSource source, RecoveryTarget target, boolean inclusive) {
        requireNonNull(plan, "plan is null");
        if (plan.wal().isEmpty()) {
            throw new RestorePlanException(ErrorCode.WAL_GAP, "no archived WAL follows backup '" + plan.backup().id() + "'");
        }
        boolean indexed = target instanceof RecoveryTarget.Time || target instanceof RecoveryTarget.Name
                || target instanceof RecoveryTarget.Xid;
        Optional<Finder> f;
        try (IndexWindow window = indexWindow(plan, source)) {
            f = scan(plan, indexed ? window::at : i -> Optional.empty(), source, target, inclusive);
        }
        if (f.isEmpty()) { // the record before the stop lies in a segment that was not decoded: decode them all
            f = scan(plan, i -> Optional.empty(), source, target, inclusive);
        }
        return outcome(plan, target, f.orElseThrow());
    }

    /**
     * Where the WAL of a plan that stops at a gap ends for recovery.
     *
     * @param lastWholeRecord where its last whole record begins: a target at it
     *                        ({@code recovery_target_lsn}, inclusive) has recovery replay
     *                        everything the plan's WAL holds and stop there, where the WAL after
     *                        it is missing
     * @param newestCommit    the commit time of the newest transaction up to it, empty when none
     *                        committed after the backup
     */
    public record WholeEnd(Lsn lastWholeRecord, Optional<Instant> newestCommit) {
        public WholeEnd {
            requireNonNull(lastWholeRecord, "lastWholeRecord is null");
            requireNonNull(newestCommit, "newestCommit is null");
        }
    }

    /**
     * The end of {@code plan}'s WAL for recovery ({@link WholeEnd}). Decodes the plan's last
     * segments, from the newest back, until one holds the start of a whole record; the newest
     * commit is that segment's last, or when it holds none, the segments' indexes tell (a segment
     * without one is decoded). Empty when no segment after the backup's consistent point holds
     * the start of a whole record.
     */
    public static Optional<WholeEnd> wholeEnd(RestorePlan plan, WalSource source) {
        requireNonNull(plan, "plan is null");
        long segmentSize = plan.segmentSize();
        List<RestorePlan.PlannedWal> wal = plan.wal();
        for (int i = wal.size() - 1; i >= 0; i--) {
            Optional<WalSegmentName> name = wal.get(i).file().segmentName(segmentSize);
            if (name.isEmpty()) {
                continue;
            }
            Lsn[] last = {null};
            Instant[] commit = {null};
            // one segment fed from its start: a record continuing into it from the one before is not whole here
            WalRecordReader reader = new WalRecordReader(name.get().startLsn(), segmentSize, r -> {
                last[0] = r.lsn();
                if (r.isCommit()) {
                    commit[0] = r.timestamp().orElse(commit[0]);
                }
            });
            try {
                source.read(wal.get(i).file(), Sink.of(reader::feed));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read WAL file '" + wal.get(i).file() + "'", e);
            }
            if (last[0] != null) {
                if (last[0].isBefore(plan.backup().stopLsn())) {
                    return Optional.empty(); // before the backup's consistent point: its own WAL, nothing to replay past it
                }
                return Optional.of(new WholeEnd(last[0], commit[0] != null ? Optional.of(commit[0]) : newestCommit(plan, source)));
            }
        }
        return Optional.empty();
    }

    /**
     * The commit time of the newest transaction in the WAL of {@code plan}, read from the
     * segments' indexes where they have one (a segment without one is decoded), or empty when
     * none committed there.
     */
    private static Optional<Instant> newestCommit(RestorePlan plan, WalSource source) {
        Finder f;
        try (IndexWindow window = indexWindow(plan, source)) {
            // no transaction ends after the end of time: every segment is passed, its commits counted
            f = scan(plan, window::at, source, new RecoveryTarget.Time(Instant.MAX), true).orElseThrow();
        }
        return Optional.ofNullable(f.lastCommit);
    }

    /** The segments' indexes of {@code plan}'s WAL, read ahead as a scan asks for them. */
    private static IndexWindow indexWindow(RestorePlan plan, WalSource source) {
        return new IndexWindow(plan.wal().stream().map(RestorePlan.PlannedWal::file).toList(), source);
    }

    /** Whether the records that begin in an indexed segment include the stop record, as far as its index tells. */
    private static boolean holdsStop(SegmentIndex index, RecoveryTarget target, boolean inclusive) {
        if (target instanceof RecoveryTarget.Time t) {
            return index.newestTransactionEnd().map(when -> inclusive ? when.isAfter(t.time()) : !when.isBefore(t.time()))
                    .orElse(false);
        }
        if (target instanceof RecoveryTarget.Xid x) {
            return index.mayEndTransaction(x.xid());
        }
        return target instanceof RecoveryTarget.Name n && index.mayHoldRestorePoint(n.name());
    }

    /**
     * Decodes runs of consecutive segments, skipping those {@code indexes} clear; empty when the
     * stop record is the first record of a run that did not start at the backup (the record
     * before it, whose end recovery replays to, was not decoded).
     */
    private static Optional<Finder> scan(RestorePlan plan, IntFunction<Optional<SegmentIndex>> indexes,
                                             WalSource source, RecoveryTarget target, boolean inclusive) {
        Finder finder = new Finder(target, inclusive);
        long segmentSize = plan.segmentSize();
        List<RestorePlan.PlannedWal> wal = plan.wal();
        boolean endOfWal = false;
        int i = 0;
        Optional<SegmentIndex> next = Optional.empty(); // the index of segment i, when read ahead
        while (i < wal.size() && finder.found == null && !endOfWal) {
            Optional<SegmentIndex> index = next.isPresent() ? next : indexes.apply(i);
            next = Optional.empty();
            if (index.isPresent() && !holdsStop(index.get(), target, inclusive)) {
                if (!index.get().endsInPossibleStop()) {
                    finder.lastCommit = index.get().lastCommit().orElse(finder.lastCommit); // skipped
                    i++;
                    continue;
                }
                // the record it ends inside, told by the next segment's index: skipped too unless it is the stop
                next = i + 1 < wal.size() ? indexes.apply(i + 1) : Optional.empty();
                Optional<WalRecord> last = next.flatMap(index.get()::unfinishedRecord).filter(WalRecord::tellsTarget);
                if (last.isPresent() && !finder.stopsAt(last.get())) {
                    finder.lastCommit = index.get().lastCommit().orElse(finder.lastCommit);
                    finder.lastCommit = last.get().isCommit() ? last.get().timestamp().orElseThrow() : finder.lastCommit;
                    i++;
                    continue;
                }
                next = Optional.empty();
            }
            // a run: from this segment's start, on while a segment's last record may be the stop or it has no index
            Lsn from = i == 0 ? plan.backup().startLsn().segmentStart(segmentSize)
                    : wal.get(i).file().segmentName(segmentSize).orElseThrow().startLsn();
            WalRecordReader reader = WalRecordReader.forTargets(from, segmentSize, finder);
            finder.reader = reader;
            Sink records = Sink.of((b, off, len) -> {
                if (finder.found == null) { // the rest of the file is decoded (and so checked), not read
                    reader.feed(b, off, len);
                }
            });
            int runStart = i;
            while (i < wal.size()) {
                RestorePlan.PlannedWal w = wal.get(i);
                try {
                    source.read(w.file(), records);
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot read WAL file '" + w.file() + "' while looking for the target", e);
                }
                i++;
                endOfWal = reader.endOfWal().isPresent();
                // the run goes on while the stop may be the record this segment ends inside
                if (finder.found != null || endOfWal) {
                    break;
                }
                if (index.isPresent() && !index.get().endsInPossibleStop() && !holdsStop(index.get(), target, inclusive)) {
                    // the record it ends inside is no stop; if it is a commit, the index knows its time
                    finder.lastCommit = index.get().lastCommit().orElse(finder.lastCommit);
                    break;
                }
                index = i < wal.size() ? indexes.apply(i) : Optional.empty();
            }
            if (finder.found != null && finder.stopsBefore && finder.previousEnd == null && runStart > 0) {
                return Optional.empty();
            }
        }
        return Optional.of(finder);
    }

    /** The resolution a finished scan found, or why there is none. */
    private static Resolution outcome(RestorePlan plan, RecoveryTarget target, Finder finder) {
        if (finder.found == null && plan.gap().isPresent()) {
            WalSegmentName gap = plan.gap().get();
            String last = finder.lastCommit == null ? "no transaction committed after the backup before it"
                    : "the newest commit before it is at " + finder.lastCommit;
            throw new RestorePlanException(ErrorCode.WAL_GAP, "the target " + target.describe() + " is not in the archived"
                    + " WAL after backup '" + plan.backup().id() + "' up to WAL segment '" + gap + "', which is missing from"
                    + " the archive though later WAL exists (" + last + "); recovery cannot pass it HINT: the archive has a"
                    + " gap; put the segment back (" + RestorePlanException.PUT_BACK + "), or choose a"
                    + " target before " + gap.startLsn());
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
        WalRecordReader reader;

        Finder(RecoveryTarget target, boolean inclusive) {
            this.target = target;
            this.inclusive = inclusive;
        }

        /** Whether recovery stops at {@code r}. */
        boolean stopsAt(WalRecord r) {
            boolean xact = r.isCommit() || r.isAbort();
            if (target instanceof RecoveryTarget.Time t && xact) {
                Instant when = r.timestamp().orElseThrow();
                return inclusive ? when.isAfter(t.time()) : !when.isBefore(t.time());
            } else if (target instanceof RecoveryTarget.Xid x && xact) {
                return r.transactionXid().orElse(-1) == (x.xid() & 0xFFFFFFFFL);
            }
            return target instanceof RecoveryTarget.Name n && r.isRestorePoint() && n.name().equals(r.restorePointName().orElse(null));
        }

        @Override
        public void accept(WalRecord r) {
            if (found != null) {
                return;
            }
            if (stopsAt(r)) {
                found = r;
                previousEnd = reader.endOfPreviousRecord().orElse(null);
                // recovery stops before a commit or abort at a time, and after a restore point; at a transaction as asked
                stopsBefore = target instanceof RecoveryTarget.Time || target instanceof RecoveryTarget.Xid && !inclusive;
                return;
            }
            if (r.isCommit()) {
                lastCommit = r.timestamp().orElse(lastCommit);
            }
        }
    }
}
