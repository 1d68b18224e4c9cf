package io.walvault.restore.plan;

import static java.util.Objects.requireNonNull;

import io.walvault.core.wal.Lsn;
import io.walvault.core.wal.TimelineHistory;
import io.walvault.core.wal.TimelineId;
import io.walvault.core.wal.WalSegmentName;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * A timeline that branched off its parent before the end of the parent's archived WAL. Either
 * the recovery that created the child stopped short of the parent's end (a restore that came
 * back short and was promoted anyway, a failover that lost the old primary's last WAL, or a
 * point-in-time recovery to a target before the end, which is what the DBA asked for), or the
 * old primary went on writing after the switch. Either way, the parent's WAL after the branch
 * point is in no later timeline: recovery along the child never replays it.
 *
 * <p>Only complete segments after the one holding the branch point count: the parent's segment
 * that holds the branch point is expected in the archive.
 *
 * @param child the timeline that branched
 * @param parent the timeline it branched from
 * @param branchPoint where the child left the parent
 * @param parentEnd the newest archived complete segment of the parent
 */
public record TimelineDivergence(TimelineId child, TimelineId parent, Lsn branchPoint, WalSegmentName parentEnd) {

    public TimelineDivergence {
        requireNonNull(child, "child is null");
        requireNonNull(parent, "parent is null");
        requireNonNull(branchPoint, "branchPoint is null");
        requireNonNull(parentEnd, "parentEnd is null");
    }

    /** Every divergence in {@code listing}, in timeline order. */
    public static List<TimelineDivergence> in(WalArchiveListing listing) {
        List<TimelineDivergence> out = new ArrayList<>();
        for (TimelineId child : listing.timelines()) {
            Optional<TimelineHistory> h = child.equals(TimelineId.FIRST) ? Optional.empty() : listing.history(child);
            if (h.isEmpty() || h.get().entries().isEmpty()) {
                continue;
            }
            TimelineHistory.Entry parent = h.get().entries().get(h.get().entries().size() - 1);
            long branchSegment = parent.end().segmentNumber(listing.segmentSize());
            OptionalLong newest = listing.newestSegment(parent.timeline());
            if (newest.isPresent() && newest.getAsLong() > branchSegment) {
                out.add(new TimelineDivergence(child, parent.timeline(), parent.end(),
                        new WalSegmentName(parent.timeline(), newest.getAsLong(), listing.segmentSize())));
            }
        }
        return out;
    }

    /** One line for {@code info} and {@code verify}, with what to do. */
    public String describe() {
        return "timeline " + child + " branched from timeline " + parent + " at " + branchPoint + ", but timeline " + parent
                + "'s archived WAL goes on to '" + parentEnd + "': that WAL is in no later timeline (the recovery that created"
                + " timeline " + child + " stopped before it, by its target or short of its plan, or the old primary kept"
                + " writing after the switch) HINT: to recover it, restore with --target-timeline " + parent.value();
    }
}
