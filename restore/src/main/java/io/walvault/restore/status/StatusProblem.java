package io.walvault.restore.status;

import static java.util.Objects.requireNonNull;

/**
 * One reason {@code walvault status} finds the cluster not healthy.
 *
 * @param kind    what is wrong, for scripts (its name is the stable JSON value)
 * @param message what is wrong and what to do, for people
 */
public record StatusProblem(Kind kind, String message) {

    /** What is wrong. */
    public enum Kind {
        /** The server's WAL position could not be read (--pg given). */
        SERVER_UNREACHABLE,
        /** The repository holds no archived WAL of the cluster. */
        NO_WAL,
        /** The repository holds no restorable backup of the cluster. */
        NO_BACKUP,
        /** Backups exist, but none can be restored with the archived WAL. */
        NO_RECOVERY_WINDOW,
        /** WAL is missing from the archive: no point in it can be recovered to. */
        WAL_GAP,
        /** The newest archived WAL is older than --max-archive-age. */
        ARCHIVE_TOO_OLD,
        /** The newest backup is older than --max-backup-age. */
        BACKUP_TOO_OLD
    }

    public StatusProblem {
        requireNonNull(kind, "kind is null");
        requireNonNull(message, "message is null");
    }
}
