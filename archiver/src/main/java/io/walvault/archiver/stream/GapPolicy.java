package io.walvault.archiver.stream;

import static java.util.Objects.requireNonNull;

import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;
import io.walvault.core.replication.ServerErrorException;
import io.walvault.core.replication.SlotInfo;
import io.walvault.core.replication.SystemIdentity;
import java.util.Optional;

/**
 * What the agent does when the repository lacks WAL the server no longer has (the server
 * refused the resume point: "requested WAL segment ... has already been removed"): the archive
 * has a gap, which is never papered over.
 *
 * <ul>
 *   <li>Without {@code --accept-gap}: {@link Refuse}, the agent stops with {@code AGENT_WAL_GAP}
 *       (57) naming the position; the gap is recorded as {@code walvault_agent_gap_detected 1}
 *       ({@code /health} answers 503) and nothing past it is acknowledged, so a supervisor that
 *       restarts the agent gets 57 again until someone acts.
 *   <li>With {@code --accept-gap} (after a new backup): the first gap is {@link Accept}ed once: a
 *       warning is logged (restores cannot cross the gap) and the next connection streams from
 *       where the server can serve, {@link #resumePastGap}. A second gap in the same process is
 *       refused like any other.
 * </ul>
 *
 * <p>Not thread-safe: the receive loop owns it; it lives as long as the agent (across sessions).
 */
final class GapPolicy {

    /** The decision. */
    sealed interface Decision permits Refuse, Accept {
    }

    /** Stop the agent: {@code error} is {@code AGENT_WAL_GAP}; record the gap. */
    record Refuse(WalvaultException error) implements Decision {
    }

    /** Log {@code warning}, end the session with {@code reconnect} and stream on past the gap. */
    record Accept(String warning, WalvaultException reconnect) implements Decision {
    }

    private final boolean acceptGap;
    private boolean accepted;
    private boolean resumeFromServer;

    GapPolicy(boolean acceptGap) {
        this.acceptGap = acceptGap;
    }

    /** The server refused {@code at}, the end of what the repository holds, with {@code refusal}. */
    Decision onGap(ResumePoint at, ServerErrorException refusal) {
        requireNonNull(at, "at is null");
        String msg = refusal.serverError().message();
        if (acceptGap && !accepted) {
            accepted = true;
            resumeFromServer = true;
            return new Accept("agent: the archive has a gap after " + at.position() + " on timeline " + at.timeline() + " (" + msg
                    + "); --accept-gap: streaming on from the slot's position. Restores cannot cross the gap: only backups taken"
                    + " after it restore to later points",
                    new WalvaultException(ErrorCode.SERVER_ERROR, "gap accepted, reconnecting past it"));
        }
        return new Refuse(new WalvaultException(ErrorCode.AGENT_WAL_GAP, "gap in the archive: the repository holds WAL up to "
                + at.position() + " on timeline " + at.timeline() + " but the server no longer has what follows (" + msg + ");"
                + " nothing past it was acknowledged"
                + " HINT: the slot was dropped and recreated, or WAL was removed; take a new backup (walvault backup),"
                + " then start the agent with --accept-gap", refusal));
    }

    /**
     * Where the connection after an accepted gap streams from (once; empty otherwise): the slot's
     * restart position and its timeline (READ_REPLICATION_SLOT, PostgreSQL 15+), at a segment
     * boundary. PostgreSQL 14 has no READ_REPLICATION_SLOT, so {@code slot} is empty and the
     * server's flush position (IDENTIFY_SYSTEM) is used: WAL the slot still held between its
     * restart position and the flush position is skipped too, a wider gap than needed.
     */
    Optional<ResumePoint> resumePastGap(Optional<SlotInfo> slot, SystemIdentity id, long segmentSize) {
        if (!resumeFromServer) {
            return Optional.empty();
        }
        resumeFromServer = false;
        return Optional.of(ResumePoint.atServer(slot, id, segmentSize));
    }
}
