package io.walvault.core.repo;

import static java.util.Objects.requireNonNull;

import java.time.Duration;

/**
 * One PostgreSQL cluster's part of a repository, keyed by its system identifier, so that a
 * cluster rebuilt by pg_upgrade or initdb (a new system identifier) never mixes with, or
 * expires, another's backups and WAL. Cheap to create; thread-safe.
 */
public final class ClusterCatalog {

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

    /**
     * Takes the lock {@code name} (for example {@code "backup"}, held by backup and expire) or
     * fails with {@link LockHeldException}; a lock whose holder is gone (same host, process
     * dead) or silent for {@code staleAfter} is taken over.
     */
    public RepositoryLock lock(String name, Duration staleAfter) {
        return RepositoryLock.acquire(repository.storage(), RepositoryLayout.lock(systemId, name), staleAfter);
    }
}
