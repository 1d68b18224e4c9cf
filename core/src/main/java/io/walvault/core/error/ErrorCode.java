package io.walvault.core.error;

/**
 * Every error walvault reports, with the stable number the CLI returns as its exit code.
 *
 * <p>Numbers are never reused or renumbered: scripts and PostgreSQL's archiver act on them.
 * Ranges: 1-9 general, 10-29 connection and replication protocol, 30-49 repository (storage,
 * codec, encryption, catalog), 50-69 archiving and backup, 70-89 restore and verification.
 * README.md lists them for users; a test keeps that list and this enum in step.
 */
public enum ErrorCode {
    /** A bug in walvault: an unexpected condition. Please report it with the log. */
    INTERNAL(1, "internal error"),
    /** The command line is wrong: unknown option, missing or malformed argument. */
    USAGE(2, "usage error"),
    /** A setting (flag, environment variable or config file) is missing or invalid. */
    CONFIG(3, "configuration error"),
    /** The operation was interrupted (SIGINT/SIGTERM) before it finished; nothing was left half-done. */
    INTERRUPTED(4, "interrupted"),
    /** A WAL file's content contradicts its name or the cluster (page address, system identifier, size). */
    WAL_INVALID(5, "invalid WAL file"),

    // ---- 10-29: connection and replication protocol (core.replication) ----



    // ---- 30-49: repository: storage, codec, encryption, catalog (core.storage, core.repo ...) ----



    // ---- 50-69: archiving and backup (archiver) ----



    // ---- 70-89: restore and verification (restore) ----
    /** No backup in the repository can serve the requested recovery target. */
    NO_BACKUP_FOR_TARGET(70, "no backup for the target"),
    /** WAL needed to reach the target is missing from the repository. */
    WAL_GAP(71, "WAL missing from the archive"),
    /** The target cannot be reached: before the backup's consistent point, or beyond the archived WAL. */
    TARGET_UNREACHABLE(72, "recovery target unreachable"),
    /** The requested timeline is not a descendant of the backup's, or is not in the archive. */
    TIMELINE_INVALID(73, "invalid target timeline"),
    /** A restore drill's server did not start, did not reach the target, or a check failed. */
    DRILL_FAILED(74, "restore drill failed"),
    /** No usable PostgreSQL server binaries for a drill (wrong major, not found, or root without a user to run as). */
    DRILL_NO_SERVER(75, "no PostgreSQL server for the drill"),



    ;

    private final int exitCode;
    private final String summary;

    ErrorCode(int exitCode, String summary) {
        this.exitCode = exitCode;
        this.summary = summary;
    }

    /** The process exit code for this error. */
    public int exitCode() {
        return exitCode;
    }

    /** A short name for the kind of error. */
    public String summary() {
        return summary;
    }
}
