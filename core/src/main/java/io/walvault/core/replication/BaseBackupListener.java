package io.walvault.core.replication;

import io.walvault.core.tar.TarMember;
import java.nio.ByteBuffer;

/**
 * Receives a base backup as it streams from the server. Every method has an empty default, so
 * a consumer implements only what it needs: raw archives ({@link #archiveData}), or files
 * ({@link #memberStarted}/{@link #memberData}/{@link #memberEnded}), or both.
 *
 * <pre>
 * started
 * ( archiveStarted
 *     ( archiveData* interleaved with: memberStarted memberData* [memberChecksum] memberEnded )*
 *   archiveEnded )+            one per tablespace, the main directory (base.tar) last
 * manifestData+                 the server's backup_manifest, after all archives
 * progress may come at any time (only with PROGRESS)
 * </pre>
 *
 * <p>All calls happen on the thread that called {@link ReplicationConnection#baseBackup}, one at
 * a time; nothing more is read from the server until a call returns, so a slow consumer slows
 * the server down instead of filling memory. Buffers are read-only views valid only during the
 * call. To cancel, throw from any method (the connection is then closed, which makes the server
 * abort the backup), or close the connection from another thread. The backup is complete and
 * verified only when {@code baseBackup} returns; until then a consumer must treat what it has
 * written as provisional.
 */
public interface BaseBackupListener {

    /** The server started the backup (after its checkpoint). */
    default void started(BackupStart start) {
    }

    default void archiveStarted(TablespaceArchive archive) {
    }

    /** Raw tar bytes of the current archive, in order (for PostgreSQL 14 with the end blocks added). */
    default void archiveData(ByteBuffer data) {
    }

    default void memberStarted(TarMember member) {
    }

    /** Content of the current member (regular files only). */
    default void memberData(ByteBuffer data) {
    }

    /**
     * The checksum the client computed of the regular file {@code member} for its manifest check
     * ({@code algorithm} as in {@link BaseBackupOptions#manifestChecksums}, {@code hex} as the
     * server's backup_manifest writes it), just before {@link #memberEnded}: a consumer that
     * needs the same checksum need not compute it again.
     */
    default void memberChecksum(TarMember member, String algorithm, String hex) {
    }

    default void memberEnded(TarMember member) {
    }

    default void archiveEnded(TablespaceArchive archive) {
    }

    /** The next bytes of the server's backup_manifest. */
    default void manifestData(ByteBuffer data) {
    }

    /** Bytes sent so far and the estimated total (0 when unknown). */
    default void progress(long doneBytes, long totalBytes) {
    }
}
