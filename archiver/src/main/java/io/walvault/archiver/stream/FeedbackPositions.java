package io.walvault.archiver.stream;

import static java.util.Objects.requireNonNull;

import io.walvault.core.wal.Lsn;

/**
 * The positions the agent reports to the server in its standby status updates, for one stream
 * (a new START_REPLICATION starts from {@link #start}). Immutable: each event gives the
 * positions to report next, and {@link AgentSession} sends what moved.
 *
 * <ul>
 *   <li><b>flushed</b> moves the slot (the server may recycle WAL before it), so it is only ever
 *       the end of what is durable in the repository ({@link #durable}), never what is merely in
 *       the spool;
 *   <li><b>written</b> is what is fsynced in the spool: with {@code --synchronous} reported as
 *       soon as an fsync covers it ({@link #spoolFsynced}; synchronous replication with
 *       {@code synchronous_commit = remote_write} waits for it), otherwise lazily, at each upload;
 *   <li><b>applied</b> stays {@code 0/0}: an archive replays nothing.
 * </ul>
 *
 * <p>No position ever moves backwards or past the WAL received on the stream (the server would
 * refuse both): an update that would is ignored.
 *
 * @param synchronous {@code --synchronous}
 * @param written     the write position reported
 * @param flushed     the flush position reported
 */
record FeedbackPositions(boolean synchronous, Lsn written, Lsn flushed) {

    FeedbackPositions {
        requireNonNull(written, "written is null");
        requireNonNull(flushed, "flushed is null");
    }

    /** A new stream: nothing reported yet. */
    static FeedbackPositions start(boolean synchronous) {
        return new FeedbackPositions(synchronous, Lsn.INVALID, Lsn.INVALID);
    }

    /** The applied position: never reported. */
    Lsn applied() {
        return Lsn.INVALID;
    }

    /** The spool was fsynced up to {@code spoolFlushed}: reported as written at once only with --synchronous. */
    FeedbackPositions spoolFsynced(Lsn spoolFlushed, Lsn received) {
        if (!synchronous) {
            return this;
        }
        return new FeedbackPositions(true, advance(written, spoolFlushed, received), flushed);
    }

    /**
     * WAL up to {@code end} is durable in the repository: flushed moves to it, written to it or
     * to what the spool has fsynced beyond it.
     */
    FeedbackPositions durable(Lsn end, Lsn spoolFlushed, Lsn received) {
        Lsn w = advance(written, end.isAfter(spoolFlushed) ? end : spoolFlushed, received);
        return new FeedbackPositions(synchronous, w, advance(flushed, end, received));
    }

    private static Lsn advance(Lsn current, Lsn to, Lsn received) {
        return to.isAfter(current) && !to.isAfter(received) ? to : current;
    }
}
