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

    // ---- 10-29: connection and replication protocol (core.replication) ----



    // ---- 30-49: repository: storage, codec, encryption, catalog (core.storage, core.repo ...) ----

    /** The repository's storage failed (I/O error, S3 error after retries, permission denied). */
    STORAGE(30, "storage error"),
    /** An object the operation needs is not in the repository. */
    OBJECT_NOT_FOUND(31, "object not found"),
    /** A create-if-absent write found the object already there. */
    OBJECT_EXISTS(32, "object already exists"),
    /** An object's bytes are damaged, truncated, reordered, or not what its key says. */
    CORRUPT_DATA(33, "corrupt data"),
    /** The passphrase or private key given does not open the repository. */
    WRONG_KEY(34, "wrong key"),
    /** The repository is encrypted and the operation needs a key that was not given. */
    KEY_REQUIRED(35, "key required"),
    /** There is no walvault repository at the location given. */
    REPOSITORY_NOT_FOUND(36, "repository not found"),
    /** {@code init} found a repository (or other objects) already at the location. */
    REPOSITORY_EXISTS(37, "repository already exists"),
    /** The repository's format version or a parameter is one this walvault does not know. */
    REPOSITORY_FORMAT(38, "unsupported repository format"),
    /** The encryption configured does not match the repository's: refused rather than written unencrypted. */
    ENCRYPTION_MISMATCH(39, "encryption mismatch"),
    /** Another walvault process holds the repository lock the operation needs. */
    LOCK_HELD(40, "lock held"),
    /** An object already exists under the key with different content (a re-push of identical content is not an error). */
    CONTENT_MISMATCH(41, "content mismatch"),

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
