package io.walvault.core.error;

/**
 * Every error walvault reports, with the stable number the CLI returns as its exit code.
 *
 * <p>Numbers are never reused or renumbered: scripts and PostgreSQL's archiver act on them.
 * Ranges: 1-9 general, 10-29 connection and replication protocol, 30-49 repository (storage,
 * codec, encryption, catalog), 50-69 archiving and backup, 70-89 restore, verification and status, 150
 * archive-get's one fatal status (PostgreSQL stops recovery on a restore_command status above 125).
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
    /**
     * The server (or the WAL file) is another cluster than the one the configuration's
     * {@code [cluster NAME]} section was first used with: a configuration copied onto the wrong
     * server. Nothing was written.
     */
    CLUSTER_MISMATCH(6, "the server is not the cluster the configuration was first used with"),

    // ---- 10-29: connection and replication protocol (core.replication) ----
    /** The server cannot be reached: refused, unknown host, no socket, timeout. */
    CONNECTION_FAILED(10, "cannot connect to the server"),
    /** TLS could not be set up or the server's certificate was refused (sslmode). */
    TLS_FAILED(11, "TLS failure"),
    /** Authentication failed: wrong or missing password, unsupported method, channel binding refused. */
    AUTHENTICATION_FAILED(12, "authentication failed"),
    /** pg_hba.conf rejects the replication connection, or has no line for it. */
    CONNECTION_REJECTED(13, "connection rejected by pg_hba.conf"),
    /** The role may log in but lacks the REPLICATION attribute. */
    REPLICATION_PRIVILEGE_MISSING(14, "role lacks the REPLICATION attribute"),
    /** The server's major version is outside the supported range. */
    SERVER_VERSION_UNSUPPORTED(15, "server version unsupported"),
    /** Every WAL sender slot (max_wal_senders) or connection slot is taken. */
    TOO_MANY_CONNECTIONS(16, "too many connections"),
    /** The replication slot is active for another process. */
    SLOT_IN_USE(17, "replication slot in use"),
    /** The replication slot does not exist. */
    SLOT_NOT_FOUND(18, "replication slot not found"),
    /** A replication slot of that name exists already. */
    SLOT_ALREADY_EXISTS(19, "replication slot already exists"),
    /** The connection broke or the server ended the session in the middle of an operation. */
    CONNECTION_LOST(20, "connection lost"),
    /** The server sent something the protocol does not allow: a bug or a broken stream. */
    PROTOCOL_VIOLATION(21, "protocol violation"),
    /** The server refused or failed a replication command. */
    SERVER_ERROR(22, "server error"),
    /** The server found data-checksum failures during BASE_BACKUP. */
    DATA_CHECKSUM_FAILURE(23, "data checksum failure"),
    /** What arrived in a base backup does not match the server's backup_manifest. */
    BACKUP_MANIFEST_MISMATCH(24, "backup does not match its manifest"),



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
    /** A cluster the repository has never seen writes into a repository holding another, without being named (system-identifier). */
    CLUSTER_UNEXPECTED(42, "cluster not expected in this repository"),

    // ---- 50-69: archiving and backup (archiver) ----
    /** archive-push: the WAL file PostgreSQL named is missing or cannot be read. */
    WAL_FILE_UNREADABLE(50, "WAL file to archive missing or unreadable"),
    /** archive-push: a history or backup file's cluster is unknown (no setting and no WAL segment beside it). */
    WAL_CLUSTER_UNKNOWN(51, "cluster of the WAL file unknown"),
    /** archive-push: the WAL file is on a timeline that a later timeline in the archive branched off before it (an old primary writing again). */
    WAL_TIMELINE_ABANDONED(52, "WAL of an abandoned timeline"),

    /** A backup's WAL (start to end LSN) could not be streamed into the repository: the backup was not kept. */
    BACKUP_WAL_INCOMPLETE(55, "backup WAL incomplete"),

    // ---- 56-62: the streaming agent (archiver.stream) ----
    /** agent: the replication slot cannot be used (a logical slot, or the server refuses it for physical streaming). */
    AGENT_SLOT_UNUSABLE(56, "replication slot unusable for the agent"),
    /** agent: the WAL the repository lacks is no longer on the server: the archive has a gap; nothing past it is acknowledged. */
    AGENT_WAL_GAP(57, "WAL gap between the repository and the server"),
    /** agent: another agent holds the slot's repository lock, or another process streams from the slot. */
    AGENT_ALREADY_RUNNING(58, "agent already running for the slot"),

    /** expire: no retention was given (retention must be explicit: a number of full backups and/or a window). */
    RETENTION_NOT_SET(63, "no retention policy given"),
    /** expire: a backup or another expire of the cluster holds its {@code backup} lock. */
    EXPIRE_LOCKED(64, "another expire of the cluster runs: expire refused"),
    /**
     * expire --remove: a named backup cannot be removed (the cluster has none of that id, it has
     * no commit record, or it is the newest restorable backup); nothing was removed.
     */
    EXPIRE_BACKUP_REFUSED(65, "the named backup cannot be removed"),



    // ---- 70-89: restore, verification and status (restore) ----
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
    /** archive-get: the archive does not hold the requested file (what recovery expects at the end of the archive). */
    WAL_NOT_ARCHIVED(76, "WAL file not in the archive"),
    /** archive-get: the cluster to restore from is unknown (no setting, no pg_control, several clusters in the repository). */
    RESTORE_CLUSTER_UNKNOWN(77, "cluster to restore WAL for unknown"),
    /** archive-get: the destination file could not be written. */
    WAL_WRITE_FAILED(78, "cannot write the restored WAL file"),
    /** restore: the data directory or a tablespace's directory exists and is not empty; nothing was written there. */
    RESTORE_TARGET_NOT_EMPTY(79, "restore target directory not empty"),
    /** restore: a --tablespace-map entry is malformed, names no tablespace of the backup, or maps two onto one place. */
    TABLESPACE_MAP_INVALID(80, "invalid tablespace mapping"),
    /** restore: the restored directory could not be written (disk full, permission denied); it was left unstartable. */
    RESTORE_WRITE_FAILED(81, "cannot write the restored data directory"),
    /** restore, verify: the repository holds several clusters (or none) and none was named. */
    CLUSTER_AMBIGUOUS(82, "which cluster to use is ambiguous"),
    /** verify: a backup or the WAL it needs failed a check; the report lists every failure. */
    VERIFY_FAILED(83, "verification failed"),
    /** check: a server or repository setting keeps WAL from reaching the repository; every failed check is listed. */
    CHECK_FAILED(84, "check failed"),
    /** restore --delta: the data directory holds another cluster (the system identifier in its pg_control differs). */
    RESTORE_TARGET_OTHER_CLUSTER(86, "restore target holds another cluster"),
    /** restore --delta: a server is running on the data directory (postmaster.pid names a live postgres process). */
    RESTORE_TARGET_IN_USE(87, "server running on the restore target"),
    /** restore --db-include/--db-exclude: the backup holds no database of that name. */
    DATABASE_UNKNOWN(88, "database not in the backup"),
    /** status: the cluster is not healthy (a WAL gap, no backup, or an age beyond a limit given); every problem is listed. */
    STATUS_UNHEALTHY(89, "status: not healthy"),

    // ---- 150: what PostgreSQL must treat as fatal (a restore_command exit status above 125) ----
    /**
     * archive-get: recovery must stop here rather than end early. The archive holds the file
     * but it cannot be delivered now (the store failed after its retries, the object is corrupt,
     * the local write failed, walvault cannot run), or the archive lacks WAL that the restore's
     * plan needs (a gap), or recovery is ending before the point the plan promised. PostgreSQL
     * stops the server instead of promoting it with data missing; once the cause is fixed,
     * starting the server again resumes recovery where it stopped.
     */
    RECOVERY_STOPPED(150, "recovery stopped: WAL it needs cannot be delivered"),
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
