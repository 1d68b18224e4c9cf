package io.walvault.core.repo;

import static java.util.Objects.requireNonNull;

import io.walvault.core.error.CorruptDataException;
import io.walvault.core.pipeline.Sink;
import io.walvault.core.storage.ObjectExistsException;
import io.walvault.core.storage.ObjectNotFoundException;
import io.walvault.core.storage.Storage;
import io.walvault.core.storage.StorageErrors;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A lock object in the repository for operations that must not overlap (backup and expire of a
 * cluster). Created-if-absent with the holder's host, pid, a random token and a heartbeat time;
 * the holder calls {@link #refresh()} well within {@code staleAfter}. A lock is stale, and is
 * taken over, when its holder ran on this host and its process is gone, or when its heartbeat is
 * older than {@code staleAfter} (a holder on another host that died).
 *
 * <p>On stores where create-if-absent is not atomic ({@link io.walvault.core.storage.StorageFeature}),
 * the lock is confirmed by reading it back after writing: of two racing writers the one whose
 * token is not there backs off. {@link #close()} removes the lock if it is still ours.
 */
public final class RepositoryLock implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(RepositoryLock.class);

    /** The lock object's content. */
    record Holder(String token, String host, long pid, String acquired, String heartbeat) {
    }

    private final Storage storage;
    private final String key;
    private final Holder mine;
    private boolean released;

    private RepositoryLock(Storage storage, String key, Holder mine) {
        this.storage = storage;
        this.key = key;
        this.mine = mine;
    }

    static RepositoryLock acquire(Storage storage, String key, Duration staleAfter) {
        requireNonNull(storage, "storage is null");
        requireNonNull(staleAfter, "staleAfter is null");
        String now = Instant.now().toString();
        Holder me = new Holder(UUID.randomUUID().toString(), HostName.local(), ProcessHandle.current().pid(), now, now);
        for (int attempt = 0; attempt < 3; attempt++) {
            try {
                write(storage, key, me, Storage.WriteMode.CREATE);
                if (!read(storage, key).map(h -> h.token().equals(me.token())).orElse(false)) {
                    throw held(storage, key, read(storage, key).orElse(null));
                }
                LOG.debug("took lock '{}'", key);
                return new RepositoryLock(storage, key, me);
            } catch (ObjectExistsException e) {
                Optional<Holder> other = read(storage, key);
                if (other.isEmpty()) {
                    continue; // released meanwhile
                }
                if (!isStale(other.get(), staleAfter)) {
                    throw held(storage, key, other.get());
                }
                LOG.warn("lock '{}' of process {} on '{}' is stale (heartbeat {}); taking it over", key,
                        other.get().pid(), other.get().host(), other.get().heartbeat());
                storage.remove(key);
            }
        }
        throw held(storage, key, read(storage, key).orElse(null));
    }

    static boolean isStale(Holder h, Duration staleAfter) {
        if (h.host().equals(HostName.local()) && ProcessHandle.of(h.pid()).map(p -> !p.isAlive()).orElse(true)) {
            return true;
        }
        try {
            return Instant.parse(h.heartbeat()).plus(staleAfter).isBefore(Instant.now());
        } catch (RuntimeException e) {
            return true; // unreadable time: treat as stale rather than block forever
        }
    }

    private static LockHeldException held(Storage storage, String key, Holder h) {
        return new LockHeldException("lock '" + key + "' in '" + storage.location() + "' is held"
                + (h == null ? "" : " by process " + h.pid() + " on '" + h.host() + "' since " + h.acquired()
                + " (heartbeat " + h.heartbeat() + ")")
                + " HINT: wait for that operation to end; a lock whose holder died is taken over automatically");
    }

    private static void write(Storage storage, String key, Holder h, Storage.WriteMode mode) {
        byte[] json = Json.write(h);
        try (Sink w = storage.newWrite(key, mode)) {
            w.write(json, 0, json.length);
            w.finish();
        } catch (IOException e) {
            throw StorageErrors.failed("write", key, storage.location(), e);
        }
    }

    static Optional<Holder> read(Storage storage, String key) {
        try (InputStream in = storage.newRead(key)) {
            return Optional.of(Json.read(in.readNBytes(64 * 1024), Holder.class, key));
        } catch (ObjectNotFoundException e) {
            return Optional.empty();
        } catch (CorruptDataException e) {
            // a torn or foreign lock file: treat as held by nobody known, with an ancient heartbeat
            return Optional.of(new Holder("?", "?", -1, Instant.EPOCH.toString(), Instant.EPOCH.toString()));
        } catch (IOException e) {
            throw StorageErrors.failed("read", key, storage.location(), e);
        }
    }

    /** Renews the heartbeat; fails with {@link LockHeldException} if the lock was taken over. */
    public void refresh() {
        Optional<Holder> now = read(storage, key);
        if (now.isEmpty() || !now.get().token().equals(mine.token())) {
            throw held(storage, key, now.orElse(null));
        }
        write(storage, key, new Holder(mine.token(), mine.host(), mine.pid(), mine.acquired(), Instant.now().toString()),
                Storage.WriteMode.OVERWRITE);
    }

    @Override
    public void close() {
        if (released) {
            return;
        }
        released = true;
        if (read(storage, key).map(h -> h.token().equals(mine.token())).orElse(false)) {
            storage.remove(key);
            LOG.debug("released lock '{}'", key);
        }
    }
}
