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
