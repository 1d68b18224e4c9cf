package io.walvault.core.repo;

import static java.util.Objects.requireNonNull;

import io.walvault.core.pipeline.Sink;
import io.walvault.core.storage.ObjectExistsException;
import io.walvault.core.storage.StorageErrors;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;
import io.walvault.core.storage.ObjectInfo;
import io.walvault.core.storage.Storage;
import java.time.Instant;
import java.util.Collections;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.WeakHashMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One PostgreSQL cluster's part of a repository, keyed by its system identifier, so that a
 * cluster rebuilt by pg_upgrade or initdb (a new system identifier) never mixes with, or
 * expires, another's backups and WAL. Cheap to create; thread-safe.
 */
public final class ClusterCatalog {

    private static final Logger LOG = LoggerFactory.getLogger(ClusterCatalog.class);

    private final Repository repository;
    private final long systemId;

    ClusterCatalog(Repository repository, long systemId) {
        this.repository = requireNonNull(repository, "repository is null");
        this.systemId = systemId;
    }

    public long systemId() {
        return systemId;
    }

    public WalArchive wal() {
        return new WalArchive(repository, systemId);
    }

    public BackupCatalog backups() {
        return new BackupCatalog(repository, systemId);
    }

    /** The chunks of this cluster's backups, shared between them. */
    public ChunkStore chunks() {
        return new ChunkStore(repository, systemId);
    }

    /** The record of WAL that archiving gave up on purpose ({@code archive-push-queue-max}). */
    public ArchiveGaps gaps() {
        return new ArchiveGaps(repository, systemId);
    }

    /** What earlier restores and drills measured (the RTO estimate of {@code status}). */
    public RecoveryTimings timings() {
        return new RecoveryTimings(repository, systemId);
    }

    /** Clusters checked already, per open storage: one check per process (archive-push's watcher pushes many files). */
    private static final Map<Storage, Set<Long>> ADMITTED =
            Collections.synchronizedMap(new WeakHashMap<>());

    private static Set<Long> admitted(Storage storage) {
        return ADMITTED.computeIfAbsent(storage, s -> ConcurrentHashMap.newKeySet());
    }

    /**
     * Checks, before this process first writes for this cluster, that the cluster belongs in
     * the repository: one the repository holds already (recorded in
     * {@code clusters/<system-id>/cluster.json}, or, for repositories written before that record
     * existed, by having objects), or the first cluster of an empty repository, or one named by
     * the {@code system-identifier} setting ({@code named}: after pg_upgrade, or a second server
     * meant to share the repository). A cluster that appears unannounced in a repository holding
     * another (a configuration copied onto the wrong server) is refused with
     * {@link ErrorCode#CLUSTER_UNEXPECTED}. One HEAD request per process once recorded.
     */
    public void admitWriter(boolean named) {
        Storage storage = repository.storage();
        String marker = RepositoryLayout.clusterRecord(systemId);
        if (admitted(storage).contains(systemId) || storage.info(marker).isPresent()) {
            admitted(storage).add(systemId);
            return;
        }
        boolean known;
        try (Stream<ObjectInfo> own = storage.list(RepositoryLayout.cluster(systemId))) {
            known = own.findAny().isPresent();
        }
        if (!known) {
            String prefix = RepositoryLayout.CLUSTERS_DIR;
            String self = RepositoryLayout.cluster(systemId);
            Optional<String> other;
            try (Stream<ObjectInfo> all = storage.list(prefix)) {
                other = all.map(ObjectInfo::key).filter(k -> !k.startsWith(self))
                        .map(k -> k.substring(prefix.length(), k.indexOf('/', prefix.length()))).findFirst();
            }
            if (other.isPresent() && !named) {
                throw new WalvaultException(ErrorCode.CLUSTER_UNEXPECTED, "repository '" + storage.location() + "' holds"
                        + " cluster " + other.get() + ", and this server is cluster " + Long.toUnsignedString(systemId)
                        + ", which it has never seen: refusing to mix a second cluster in unannounced (a configuration copied"
                        + " onto the wrong server?) HINT: if this cluster is meant to share the repository (after pg_upgrade,"
                        + " or a second server), set system-identifier = " + Long.toUnsignedString(systemId)
                        + " (WALVAULT_SYSTEM_IDENTIFIER) in its configuration");
            }
            if (other.isPresent()) {
                LOG.info("cluster {} joins repository '{}' beside cluster {} (named by system-identifier)",
                        Long.toUnsignedString(systemId), storage.location(), other.get());
            }
        }
        byte[] record = ("{\"format\":1,\"systemId\":\"" + Long.toUnsignedString(systemId) + "\",\"recorded\":\""
                + Instant.now() + "\"}").getBytes(StandardCharsets.UTF_8);
        try (Sink w = storage.newWrite(marker)) {
            w.write(record, 0, record.length);
            w.finish();
        } catch (ObjectExistsException raced) {
            // another process recorded it meanwhile
        } catch (IOException e) {
            throw StorageErrors.failed("write", marker, storage.location(), e);
        }
        admitted(storage).add(systemId);
    }

    /**
     * Takes the lock {@code name} (for example {@code "backup"}, held by backup and expire) or
     * fails with {@link LockHeldException}; a lock whose holder is gone (same host, process
     * dead) or silent for {@code staleAfter} is taken over.
     */
    public RepositoryLock lock(String name, Duration staleAfter) {
        return RepositoryLock.acquire(repository.storage(), RepositoryLayout.lock(systemId, name), staleAfter);
    }
}
