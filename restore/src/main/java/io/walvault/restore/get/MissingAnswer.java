package io.walvault.restore.get;

import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;
import io.walvault.core.wal.WalFileName;
import io.walvault.core.wal.WalSegmentName;
import io.walvault.restore.recovery.RecoveryExpectation;
import java.util.Optional;

/**
 * What archive-get answers for a file the archive does not hold (pure; the foreground call and
 * the worker both ask it). Without a restore's plan, "not in the archive". With one:
 * <ul>
 *   <li>a segment the plan needs: a gap, recovery must stop;</li>
 *   <li>the history file of a timeline the plan follows: the same;</li>
 *   <li>the history file of a newer timeline than the plan's last, which recovery probes for
 *       when it starts and, right before it ends, for the timeline it will create: at the start
 *       of a run (no segment asked for yet) "not in the archive"; at the end, only if this run
 *       asked for the plan's last segment, else recovery is ending short and must stop;</li>
 *   <li>anything else: "not in the archive".</li>
 * </ul>
 */
final class MissingAnswer {

    /** The answer. */
    enum Kind {
        /** not in the archive (76): recovery's normal end, or nothing needs it */
        NOT_ARCHIVED,
        /** the plan needs it: a gap in the archive (150) */
        GAP,
        /** recovery is ending before the plan's end (150) */
        ENDS_SHORT
    }

    private MissingAnswer() {
    }

    /**
     * @param plan        the restore's plan, if this data directory has one
     * @param name        the file the archive lacks
     * @param lastAsked   the segment this run of the server asked for last, if any
     */
    static Kind of(Optional<RecoveryExpectation> plan, WalFileName name, Optional<WalSegmentName> lastAsked) {
        if (plan.isEmpty()) {
            return Kind.NOT_ARCHIVED;
        }
        RecoveryExpectation p = plan.get();
        if (name.kind() == WalFileName.Kind.SEGMENT && p.covers(WalSegmentName.parse(name.name(), p.segmentSize()))) {
            return Kind.GAP;
        }
        if (name.kind() == WalFileName.Kind.HISTORY && p.needsHistory(name.timeline())) {
            return Kind.GAP;
        }
        if (name.kind() == WalFileName.Kind.HISTORY && name.timeline().compareTo(p.finalTimeline()) > 0
                && lastAsked.isPresent() && !p.reachedBy(lastAsked.get())) {
            return Kind.ENDS_SHORT;
        }
        return Kind.NOT_ARCHIVED;
    }

    /** The error that stops recovery for a {@link Kind#GAP} or {@link Kind#ENDS_SHORT} answer. */
    static WalvaultException refusal(Kind kind, RecoveryExpectation plan, WalFileName name, Optional<WalSegmentName> lastAsked) {
        return switch (kind) {
            case GAP -> name.kind() == WalFileName.Kind.HISTORY
                    ? new WalvaultException(ErrorCode.RECOVERY_STOPPED, "timeline history file '" + name + "' is not in the"
                            + " archive, but the restore's plan follows timeline " + name.timeline() + " HINT: recovery stops here;"
                            + " put the file back into the archive and start the server again")
                    : new WalvaultException(ErrorCode.RECOVERY_STOPPED, "WAL file '" + name + "' is not in the archive, but the"
                            + " restore's plan needs it (the plan runs to '" + plan.end() + "'): the archive has a gap or lost the"
                            + " file since the restore HINT: recovery stops here instead of ending early with data missing; 'walvault"
                            + " info' shows the archive's gaps; put the file back (from pg_wal of the original server, if it still"
                            + " exists) and start the server again, or, to accept the loss, remove '" + RecoveryExpectation.FILE
                            + "' and start it again");
            case ENDS_SHORT -> new WalvaultException(ErrorCode.RECOVERY_STOPPED, "recovery is ending in WAL segment '"
                    + lastAsked.map(Object::toString).orElse("?") + "', before '" + plan.end() + "', where the restore's plan ends:"
                    + " the server would come up with the data of the WAL after it missing HINT: recovery stops here instead of"
                    + " promoting; the server's log above says why redo ended (for example an invalid record); 'walvault verify'"
                    + " checks the archived WAL; if the server was promoted on purpose, or to accept the loss, remove '"
                    + RecoveryExpectation.FILE + "' and start it again");
            case NOT_ARCHIVED -> throw new IllegalArgumentException("not a refusal");
        };
    }
}
