package io.walvault.core.storage;

import io.walvault.core.pipeline.Sink;
import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.util.Collection;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Where a repository's objects live: a local directory ({@code posix}), an S3 bucket ({@code s3})
 * or memory ({@code memory}, for tests and benchmarks). Kept as small as the repository needs:
 * streaming reads (whole or ranged), streaming writes of unknown length, info, list by prefix,
 * remove, and the removal of what killed writes left behind. Optional abilities are asked through {@link #features()}, never with
 * {@code instanceof}.
 *
 * <pre>
 *   catalog (core.repo) ──newWrite(key)──▶ Sink ──finish()──▶ object published whole, or not at all
 *                       ──newRead(key)───▶ InputStream (ranged: offset, length)
 * </pre>
 *
 * <p><b>Keys</b> are relative, {@code /}-separated paths checked by {@link StorageKeys#check}; the
 * same key names the same object on every backend.
 *
 * <p><b>Writes.</b> {@link #newWrite} returns a {@link Sink}: bytes go in as they come (the length
 * is not known in advance), {@link Sink#finish()} publishes the object atomically and durably, and
 * {@link Sink#close()} without a successful finish discards everything: no half-written object is
 * ever visible under its key. In {@link WriteMode#CREATE} (the default) publishing fails with
 * {@link ObjectExistsException} if the key exists; whether two racing creates can both "win" is
 * what {@link StorageFeature#ATOMIC_CREATE} says.
 *
 * <p><b>Errors.</b> A missing object is {@link ObjectNotFoundException}; other failures are
 * {@link io.walvault.core.error.WalvaultException}s with code {@code STORAGE} (or an
 * {@link java.io.IOException} from streams and sinks), naming the key.
 *
 * <p><b>Threads.</b> A storage is thread-safe and meant to be shared (one per process and
 * repository); each stream and sink it returns is used by one thread. {@link #close()} releases
 * connections and threads; call it last.
 */
public interface Storage extends AutoCloseable {

    /** How {@link #newWrite} treats an existing object. */
    enum WriteMode {
        /** Publish only if the key does not exist; otherwise {@link ObjectExistsException}. */
        CREATE,
        /**
         * As {@link #CREATE}, but the new name itself need only be durable once
         * {@link #syncNames(String)} has returned for a prefix of the key: the content is durable
         * before the name appears (a name that exists always holds the whole object), and a
         * crash before that sync may lose the name (the object is then missing, never wrong).
         * For many objects written before one commit point (a backup's chunks, before its
         * manifest): a local directory then fsyncs each directory once, not once per object.
         */
        CREATE_NAME_SYNCED_LATER,
        /** Replace an existing object atomically (readers see the old or the new, whole). */
        OVERWRITE;

        /** Whether publishing fails when the key exists (every mode but {@link #OVERWRITE}). */
        public boolean createOnly() {
            return this != OVERWRITE;
        }
    }

    /** The whole object; {@link ObjectNotFoundException} if it does not exist. */
    default InputStream newRead(String key) {
        return newRead(key, 0, -1);
    }

    /**
     * {@code length} bytes from {@code offset} ({@code -1}: to the end). Fewer bytes come back if
     * the object ends first; {@link ObjectNotFoundException} if it does not exist.
     */
    InputStream newRead(String key, long offset, long length);

    /** A sink that publishes the object at {@code key} on {@link Sink#finish()}. */
    Sink newWrite(String key, WriteMode mode);

    /** {@link #newWrite(String, WriteMode)} in {@link WriteMode#CREATE}. */
    default Sink newWrite(String key) {
        return newWrite(key, WriteMode.CREATE);
    }

    /** Size and time of the object, or empty if it does not exist. */
    Optional<ObjectInfo> info(String key);

    /**
     * The objects whose key starts with {@code prefix} (a plain string prefix, as on S3), in key
     * order. The stream may be lazy and must be closed.
     */
    Stream<ObjectInfo> list(String prefix);

    /**
     * The names one level below {@code prefix}, which ends with {@code /}: for each object whose
     * key starts with it, the rest of its key up to the next {@code /} (or to its end), each name
     * once, in order. What {@link #list} would give, cut and made distinct, without reading every
     * key below: S3 asks with a delimiter, a local directory is read one level deep. Callers
     * finding which clusters a repository holds use it: {@code list("clusters/")} would read
     * every chunk and WAL file of every cluster, thousands of requests on a large repository.
     * The stream may be lazy and must be closed.
     */
    default Stream<String> listChildren(String prefix) {
        StorageKeys.checkParent(prefix);
        return list(prefix).map(i -> StorageKeys.child(prefix, i.key())).distinct();
    }

    /**
     * Makes an existing object's name durable, as a write does before it returns: for a caller
     * that found the object another writer stored, which may have been stopped before it did
     * (a local directory: the object's directory and that directory's own entry are fsynced; an
     * object store needs nothing). Nothing happens if the object does not exist.
     */
    default void syncName(String key) throws IOException {
    }

    /** Removes the object; nothing happens if it does not exist. */
    void remove(String key);

    /**
     * Removes every object of {@code keys} (missing ones are ignored), in as few requests as the
     * backend allows (S3: {@code DeleteObjects}, 1000 keys a request; others: one by one). Not
     * atomic: on failure some may be gone and others not, so callers remove in an order that
     * leaves nothing broken (expire: a backup's manifest before its bundles). Callers pass
     * bounded batches, never a whole listing.
     */
    default void removeAll(Collection<String> keys) {
        keys.forEach(this::remove);
    }

    /**
     * Removes the remains of writes that nothing has touched since {@code untouchedSince} and that
     * were never finished nor discarded: what a process killed in the middle of a write leaves
     * (posix: its hidden temporary file, {@code .<name>.<hex>.tmp} beside the target, by its
     * modification time; S3: its incomplete multipart upload, by its initiation time). Published
     * objects are never touched, nor a write that was touched since then: callers pass a moment a
     * grace period back, longer than any write takes (expire: {@code --orphan-grace}).
     *
     * <p>Returns what was actually removed, never more (a remain that vanished meanwhile is not
     * counted); with {@code dryRun}, removes nothing and returns what would be removed. A storage
     * whose unfinished writes leave nothing behind (memory) returns {@link AbandonedWrites#NONE}.
     * Walks the whole storage (posix: every directory; S3: the upload listing under the prefix).
     */
    default AbandonedWrites removeAbandonedWrites(Instant untouchedSince, boolean dryRun) {
        return AbandonedWrites.NONE;
    }

    /**
     * Makes the names of the objects under {@code prefix} durable, whoever wrote them
     * ({@link WriteMode#CREATE_NAME_SYNCED_LATER}, or a process that died before its own sync),
     * for objects at most one directory below the prefix ({@code prefix/aa/name}): a local
     * directory fsyncs the prefix's directory and each directory in it; a store whose writes are
     * durable when they return (S3, memory) does nothing.
     */
    default void syncNames(String prefix) {
        // every name is durable once its write returned
    }

    /** What this storage can do beyond the contract above. */
    Set<StorageFeature> features();

    /** Where this storage is, for messages ({@code file:///var/lib/walvault}, {@code s3://bucket/prefix}). */
    String location();

    @Override
    void close();
}
