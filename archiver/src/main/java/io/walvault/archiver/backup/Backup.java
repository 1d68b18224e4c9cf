package io.walvault.archiver.backup;

import static java.util.Objects.requireNonNull;

import io.walvault.core.crypto.GcmWarmUp;
import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;
import io.walvault.core.hook.WorkerThreads;
import io.walvault.core.pipeline.OpenedAhead;
import io.walvault.core.replication.BaseBackupOptions;
import io.walvault.core.replication.BaseBackupResult;
import io.walvault.core.replication.ReplicationConnection;
import io.walvault.core.replication.ServerCompression;
import io.walvault.core.replication.ServerErrorException;
import io.walvault.core.replication.conn.ConnectionSettings;
import io.walvault.core.repo.BackupCatalog;
import io.walvault.core.repo.BackupIds;
import io.walvault.core.repo.BackupInfo;
import io.walvault.core.repo.ClusterCatalog;
import io.walvault.core.repo.LockHeldException;
import io.walvault.core.repo.LockKeeper;
import io.walvault.core.repo.ObjectResult;
import io.walvault.core.repo.ObjectWriter;
import io.walvault.core.repo.PendingManifest;
import io.walvault.core.repo.Repository;
import io.walvault.core.wal.WalSegmentName;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code walvault backup}: a base backup streamed straight into the repository.
 *
 * <pre>
 * connection 1: BASE_BACKUP ─▶ BackupStreamListener ─▶ Bundles (bounded queues; compress ▶ encrypt ▶ upload per bundle thread)
 *                                      ├─▶ PendingManifest (entries, on local disk until the end)
 *                                      └─▶ backup_manifest object (the server's manifest, verified by the client)
 * connection 2: temporary slot, START_REPLICATION from the start LSN ─▶ BackupWal ─▶ WAL archive
 * then: bundles stored ▶ WAL to the end LSN stored ▶ manifest ▶ commit record written last (the backup exists)
 * </pre>
 *
 * <p>The cluster's {@code backup} lock is held throughout (expire takes it too) by a
 * {@link LockKeeper}, which refreshes its heartbeat. If another process takes the lock over (or
 * it cannot be refreshed until it goes stale), the backup stops as a cancel would stop it and fails
 * with {@code LOCK_HELD} (the failure's own code when the store could not be reached). On any
 * failure nothing is published as complete: no manifest is written, and the
 * objects already stored under the backup's directory are removed on a best-effort basis (what
 * remains is an orphan that expire may remove later). One backup per instance; not thread-safe.
 */
public final class Backup {

    private static final Logger LOG = LoggerFactory.getLogger(Backup.class);
    static final String CHECKSUM = "CRC32C";

    private final ConnectionSettings connection;
    private final Repository repository;
    private final BackupOptions options;
    private final Progress progress;
    private final CountDownLatch finished = new CountDownLatch(1);
    private volatile boolean cancelled;
    private volatile ReplicationConnection dataConnection;
    private volatile BackupWal walStreamer;
    /** Why the lock was lost, once it was: the backup was cancelled for it. */
    private volatile WalvaultException lockLost;
    private LockKeeper.Timing lockTiming = LockKeeper.Timing.BACKUP;

    public Backup(ConnectionSettings connection, Repository repository, BackupOptions options) {
        this(connection, repository, options, Progress.silent());
    }

    /** With progress reports on {@code out}: a bar when {@code terminal}, periodic lines otherwise. */
    public Backup(ConnectionSettings connection, Repository repository, BackupOptions options, PrintWriter out,
                  boolean terminal) {
        this(connection, repository, options, new Progress(out, terminal, options.progressInterval()));
    }

    private Backup(ConnectionSettings connection, Repository repository, BackupOptions options, Progress progress) {
        this.connection = requireNonNull(connection, "connection is null");
        this.repository = requireNonNull(repository, "repository is null");
        this.options = requireNonNull(options, "options is null");
        this.progress = progress;
    }

    /** Keeps the lock with another heartbeat (tests: a take-over noticed at once). */
    Backup lockTiming(LockKeeper.Timing timing) {
        this.lockTiming = requireNonNull(timing, "timing is null");
        return this;
    }

    /**
     * {@link #run()}, cancelled cleanly when the JVM is asked to stop (SIGINT, SIGTERM): a
     * shutdown hook {@linkplain #cancel() cancels} the backup and waits (up to 30 s) until its
     * cleanup is done, so no lock, no temporary slot and, as far as the store allows, no bundle is
     * left behind. For the command line.
     */
    public BackupResult runUntilShutdown() {
        Thread hook = new Thread(() -> {
            cancel();
            try {
                finished.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "walvault-backup-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            return run();
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook is running: it waits for this thread's cleanup, which is done
            }
        }
    }

    /**
     * Cancels a running backup from any thread: the replication connections are closed (the
     * server aborts the backup and drops the temporary slot) and {@link #run()} fails with
     * {@code INTERRUPTED} after cleaning up. Nothing is published once this was called.
     */
    public void cancel() {
        cancelled = true;
        ReplicationConnection c = dataConnection;
        if (c != null) {
            c.close();
        }
        BackupWal w = walStreamer;
        if (w != null) {
            w.close();
        }
    }

    /** Takes the backup; returns once its manifest is written (the backup exists). */
    public BackupResult run() {
        try {
            return runOnce();
        } catch (RuntimeException e) {
            WalvaultException lost = lockLost;
            if (lost != null) {
                LOG.warn("the backup was stopped and cleaned up: its lock was lost");
                throw new WalvaultException(lost.code(), "the backup was stopped and nothing was published: "
                        + (lost instanceof LockHeldException ? "another process took over the cluster's backup lock while it ran ("
                        + lost.what().strip() + ")" : lost.what().strip())
                        + " HINT: a backup whose heartbeat stopped for 10 minutes (a hung process, a store out of reach) loses its"
                        + " lock to the next backup or expire; run the backup again", e);
            }
            if (cancelled) {
                // said here, before the shutdown hook lets the JVM halt: the caller's own report of
                // the exception may come too late to be printed
                LOG.warn("the backup was cancelled and cleaned up ({})", e.getMessage());
            }
            throw e;
        } finally {
            finished.countDown();
        }
    }

    private BackupResult runOnce() {
        Instant startTime = Instant.now();
        if (repository.codec().encrypted()) {
            // compiled AES-GCM from the first bundle on, for ~75 ms of CPU while the server
            // takes its checkpoint (a cold JVM would run the first ~50 MB through interpreted GCM)
            GcmWarmUp.startInBackground(GcmWarmUp.Direction.ENCRYPT, "walvault-backup-warmup");
        }
        // the WAL's connection and slot are made beside the data connection's set-up and the earlier backup's load
        try (OpenedAhead<BackupWal.Slot> walSlot = OpenedAhead.start("walvault-backup-wal-connect",
                () -> BackupWal.Slot.reserve(connection));
             ReplicationConnection data = ReplicationConnection.open(connection)) {
            dataConnection = data;
            checkCancelled();
            long systemId = Long.parseUnsignedLong(data.identifySystem().systemId());
            if (options.systemIdentifier().isPresent() && options.systemIdentifier().getAsLong() != systemId) {
                throw new WalvaultException(ErrorCode.CONFIG, "the server is cluster " + Long.toUnsignedString(systemId)
                        + ", not " + Long.toUnsignedString(options.systemIdentifier().getAsLong()) + " as system-identifier says"
                        + " HINT: --pg names another server than the configuration was written for");
            }
            options.guard().check(systemId);
            ClusterCatalog cluster = repository.cluster(systemId);
            cluster.admitWriter(options.systemIdentifier().isPresent());
            try (LockKeeper lock = LockKeeper.acquire(cluster, "backup", lockTiming, this::lockLost)) {
                return run(data, walSlot, cluster, systemId, startTime);
            }
        }
    }

    /** The lock was taken over (or went stale): another backup or an expire may run, so this one stops as if cancelled. */
    private void lockLost(WalvaultException why) {
        lockLost = why;
        LOG.error("the backup's lock was lost; stopping the backup: {}", why.getMessage());
        cancel();
    }

    /**
     * BASE_BACKUP with the server compression asked for; an {@code auto} choice the server's build
     * cannot honour (refused before the backup starts) is asked again uncompressed.
     */
    private BaseBackupResult baseBackup(ReplicationConnection data, BaseBackupOptions bb, BackupStreamListener listener) {
        ServerCompression asked = bb.compressionFor(data.serverVersion().major());
        try {
            return data.baseBackup(bb, listener);
        } catch (ServerErrorException e) {
            if (!asked.enabled() || !ServerCompressionChoice.unsupportedByServer(e)) {
                throw e;
            }
            if (!options.serverCompression().isAuto()) {
                throw new WalvaultException(ErrorCode.CONFIG, "the server cannot compress the backup with " + asked + ": "
                        + e.serverError().message() + " HINT: set backup-server-compression to auto (compress when the server"
                        + " can) or off, or choose a method the server's build has", e);
            }
            LOG.info("the server cannot compress with {} ({}): receiving the backup uncompressed", asked,
                    e.serverError().message());
            return data.baseBackup(bb.compression(ServerCompression.NONE), listener);
        }
    }

    private BackupResult run(ReplicationConnection data, OpenedAhead<BackupWal.Slot> walSlot, ClusterCatalog cluster, long systemId,
                             Instant startTime) {
        BackupCatalog catalog = cluster.backups();
        String backupId = BackupIds.forStart(startTime);
        for (int n = 2; catalog.isUsed(backupId); n++) {
            backupId = BackupIds.forStart(startTime) + "-" + n; // another backup started in the same second
        }
        long segmentSize = data.walSegmentSize();
        int pgVersion = Integer.parseInt(data.show("server_version_num").trim());
        String serverVersion = data.parameter("server_version").orElse(data.serverVersion().text());
        boolean published = false;
        IncrementalBasis.Choice choice = incrementalChoice(data, cluster, pgVersion);
        if (choice.backup().isPresent() && repository.codec().encrypted()) {
            // touched chunks of the earlier backup are decrypted from the stream's first megabytes on
            GcmWarmUp.startInBackground(GcmWarmUp.Direction.DECRYPT, "walvault-backup-warmup-decrypt");
        }
        try (Bundles bundles = new Bundles(catalog, backupId, options.bundleSize(), options.uploads());
             ChunkedFiles chunks = new ChunkedFiles(cluster.chunks(), cluster.chunks().namer(), options.chunkSize(), options.uploads());
             PendingManifest pending = catalog.pendingManifest();
             ObjectWriter serverManifest = catalog.newServerManifest(backupId);
             IncrementalBasis basis = choice.backup().isPresent()
                     ? IncrementalBasis.load(catalog, choice.backup().get(), options.chunkSize()) : null;
             WorkerThreads readers = basis != null ? new WorkerThreads("walvault-earlier-chunks", options.uploads()) : null;
             BackupWal wal = new BackupWal(walSlot.take(), cluster.wal(), systemId, segmentSize)) {
            walStreamer = wal;
            checkCancelled();
            BaseBackupOptions bb = BaseBackupOptions.defaults().label(options.label()).fastCheckpoint(options.fastCheckpoint())
                    .maxRateKbps(options.maxRateKbps()).allowChecksumFailures(options.allowChecksumFailures())
                    .manifestChecksums(CHECKSUM).tablespaceMap(true).compression(options.serverCompression().asked());
            BackupStreamListener full = new BackupStreamListener(wal, bundles, chunks, pending, serverManifest, progress);
            BackupStreamListener listener = full;
            String whyFull = choice.whyNot();
            if (basis != null) {
                try (InputStream upload = basis.upload()) {
                    data.uploadManifest(upload);
                    bb = bb.incremental(true);
                    listener = new BackupStreamListener(wal, bundles, chunks, pending, serverManifest, progress, basis,
                            cluster.chunks(), readers);
                } catch (ServerErrorException e) {
                    whyFull = "the server refused the earlier backup's manifest: " + e.serverError().message();
                    LOG.warn("reading every file: {}", whyFull);
                }
            }
            Instant asked = Instant.now();
            progress.checkpoint(options.fastCheckpoint(), options.fastCheckpoint() ? Optional.empty() : spread(data));
            BaseBackupResult r;
            try {
                r = baseBackup(data, bb, listener);
            } catch (ServerErrorException e) {
                if (!bb.incremental() || listener.startedAt().isPresent()) {
                    throw e;
                }
                // refused before the first byte (summaries missing or incomplete, a timeline the server does not know)
                whyFull = "the server cannot send only the blocks changed since backup '" + basis.backup().id() + "': "
                        + e.serverError().message() + (e.serverError().detail().isEmpty() ? "" : " (" + e.serverError().detail() + ")");
                LOG.warn("reading every file: {}", whyFull);
                bb = bb.incremental(false);
                listener = full;
                r = baseBackup(data, bb, listener);
            }
            listener.manifestEnded();
            BackupResult.Read read = bb.incremental()
                    ? new BackupResult.Read(Optional.of(basis.backup().id()), listener.rebuiltFiles(), "")
                    : BackupResult.Read.full(whyFull);
            Duration checkpointWait = Duration.between(asked, listener.startedAt().orElse(asked));
            progress.done();
            int bundleCount = bundles.finish();
            chunks.finish();
            ObjectResult serverManifestStored = serverManifest.finishWithResult();
            wal.stopAt(r.endLsn());
            WalSegmentName[] walRange = wal.await(options.walTimeout());
            checkCancelled();
            Instant stopTime = Instant.now();
            BackupInfo info = new BackupInfo(backupId, systemId, pgVersion, serverVersion, options.label(),
                    r.start().startTimeline(), r.start().startLsn(), r.endTimeline(), r.endLsn(), startTime, stopTime,
                    OptionalLong.of(segmentSize), Optional.of(walRange[0]), Optional.of(walRange[1]),
                    pending.regularFiles(), pending.fileBytes(), bundles.storedBytes(), bundleCount, true,
                    chunks.use());
            checkCancelled();
            ObjectResult manifest = pending.publish(info);
            checkCancelled();
            // last: the commit record makes the backup exist (a manifest alone, even one whose PUT
            // lands after this backup gave up and cleaned up, never does)
            catalog.commit(info, manifest, serverManifestStored, bundles.results());
            published = true;
            LOG.debug("backup {} complete: {} files, {} bytes, WAL {} to {}", backupId, info.files(), info.bytes(),
                    info.firstWal().orElseThrow(), info.lastWal().orElseThrow());
            return new BackupResult(info, Duration.between(startTime, stopTime), checkpointWait, wal.segmentsStored(),
                    r.checksumFailure().map(m -> m.message()), read);
        } catch (InterruptedIOException e) {
            throw new WalvaultException(ErrorCode.INTERRUPTED, "backup '" + backupId + "' was interrupted", e);
        } catch (IOException e) {
            throw new WalvaultException(ErrorCode.STORAGE, "backup '" + backupId + "' failed: " + e.getMessage(), e);
        } finally {
            progress.done();
            if (!published) {
                removeQuietly(catalog, backupId);
            }
        }
    }

    /**
     * The earlier backup an incremental read builds on (PostgreSQL 17 and newer with summarize_wal
     * on, unless {@code --full}), or why the server reads every file.
     */
    private IncrementalBasis.Choice incrementalChoice(ReplicationConnection data, ClusterCatalog cluster, int pgVersion) {
        if (options.full()) {
            return IncrementalBasis.Choice.none("--full");
        }
        if (pgVersion < 170000) {
            return IncrementalBasis.Choice.none("");
        }
        String summarize = data.show("summarize_wal").trim();
        if (!summarize.equals("on")) {
            return IncrementalBasis.Choice.none("summarize_wal is " + summarize + " (with it on, the server sends only the"
                    + " blocks changed since the last backup)");
        }
        if (cluster.chunks().namer().isEmpty()) {
            return IncrementalBasis.Choice.none("this repository cannot name chunks (a public-key repository)");
        }
        return IncrementalBasis.choose(cluster.backups(), pgVersion);
    }

    /** How long a spread checkpoint may take: checkpoint_timeout × checkpoint_completion_target, if the server says. */
    private static Optional<Duration> spread(ReplicationConnection data) {
        try {
            Duration timeout = data.showDuration("checkpoint_timeout");
            double target = Double.parseDouble(data.show("checkpoint_completion_target").trim());
            return Optional.of(Duration.ofMillis((long) (timeout.toMillis() * target)));
        } catch (RuntimeException e) {
            return Optional.empty(); // only for the message
        }
    }

    private void checkCancelled() {
        if (cancelled) {
            throw new WalvaultException(ErrorCode.INTERRUPTED, "the backup was cancelled");
        }
    }

    /**
     * An I/O failure inside a stream callback, as the exception that cancels the stream (the
     * replication client turns an UncheckedIOException into an error about its own files).
     */
    static WalvaultException failed(IOException e) {
        if (e instanceof InterruptedIOException) {
            return new WalvaultException(ErrorCode.INTERRUPTED, "the backup was interrupted: " + e.getMessage(), e);
        }
        return new WalvaultException(ErrorCode.STORAGE, "the backup could not be stored: " + e.getMessage(), e);
    }

    private static void removeQuietly(BackupCatalog catalog, String backupId) {
        try {
            catalog.remove(backupId);
        } catch (RuntimeException e) {
            LOG.warn("backup '{}' failed and its objects could not all be removed ({}); 'walvault expire' removes them later",
                    backupId, e.getMessage());
        }
    }
}
