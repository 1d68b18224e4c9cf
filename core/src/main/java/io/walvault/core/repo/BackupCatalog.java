package io.walvault.core.repo;

import static java.util.Objects.requireNonNull;

import io.walvault.core.error.CorruptDataException;
import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;
import io.walvault.core.hook.WorkerThreads;
import io.walvault.core.pipeline.Futures;
import io.walvault.core.pipeline.OutputStreamSink;
import io.walvault.core.pipeline.Sink;
import io.walvault.core.storage.ObjectInfo;
import io.walvault.core.storage.ObjectNotFoundException;
import io.walvault.core.storage.Storage;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.Future;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * A cluster's backups. A backup is bundles of files ({@link #newBundle}, written in parallel),
 * a manifest ({@link #newManifest}), and, last, a commit record ({@link #commit}) written only
 * once everything else is stored: a backup exists if and only if its commit record does and
 * every object it names is present with the size it recorded ({@link #entries}). A manifest
 * PUT that reaches the store after the backup gave up and cleaned up (a "late write") therefore
 * never makes a backup; nor does a damaged or half-removed one pass as restorable. Manifests
 * are JSON lines streamed through the codec, so millions of files never sit in memory; the
 * commit record carries the backup's header, so listing backups reads one small object each
 * (docs/FORMAT.md, "Backup manifest", "Commit record"). Manifests of format 1 and 2 (written
 * before commit records existed) stand for their backup themselves. Thread-safe.
 *
 * <p>Length: the rules for when a backup exists (the commit record, what makes one damaged or
 * incomplete, the order of removal) are one invariant, kept in one class; writing and parsing
 * manifests are {@link ManifestWriter}'s, {@link PendingManifest}'s and {@code
 * ManifestLineParser}'s.
 */
public final class BackupCatalog {

    /**
     * 3: the backup exists only with its commit record; 4: files stored as chunks; 5: each chunk's
     * CRC-32C (chunkCrcs). Every older format is read as before.
     */
    static final int MANIFEST_FORMAT = 5;
    static final int COMMIT_FORMAT = 1;
    private static final int REMOVE_BATCH = 1000;
    /** Backups {@link #entries} judges at once. */
    static final int JUDGE_THREADS = 8;

    private final Repository repository;
    private final long systemId;

    BackupCatalog(Repository repository, long systemId) {
        this.repository = requireNonNull(repository, "repository is null");
        this.systemId = systemId;
    }

    record Header(int walvaultManifest, BackupInfoJson backup) {
    }

    record End(long files, long bytes) {
    }

    record Trailer(End end) {
    }

    public String bundleKey(String backupId, int bundle) {
        return RepositoryLayout.backupDir(systemId, backupId) + "data/" + String.format("%08d", bundle)
                + repository.codec().extension();
    }

    public String manifestKey(String backupId) {
        return RepositoryLayout.backupDir(systemId, backupId) + "manifest" + repository.codec().extension();
    }

    /** The key of backup {@code backupId}'s commit record, written last. */
    public String commitKey(String backupId) {
        return RepositoryLayout.backupDir(systemId, backupId) + "commit" + repository.codec().extension();
    }

    /**
     * The commit record: written last, it makes the backup exist.
     *
     * @param walvaultCommit  its format ({@value #COMMIT_FORMAT})
     * @param backup          the backup's header (as in its manifest)
     * @param manifestBytes   the manifest object's stored size, or -1 when the store did not say
     * @param serverManifestBytes the stored size of the server's backup_manifest object, -1 when
     *                        unknown, null when the backup keeps none
     * @param bundleBytes     each bundle's stored size, in bundle order (-1 where unknown)
     */
    record Commit(int walvaultCommit, BackupInfoJson backup, long manifestBytes, Long serverManifestBytes, List<Long> bundleBytes) {
        Commit {
            requireNonNull(backup, "backup is null");
            bundleBytes = List.copyOf(bundleBytes);
            if (walvaultCommit != COMMIT_FORMAT) {
                throw new CorruptDataException("commit record format " + walvaultCommit + " is not supported");
            }
            if (backup.bundles() != null && backup.bundles() != bundleBytes.size()) {
                throw new CorruptDataException("the commit record lists " + bundleBytes.size() + " bundles but the backup "
                        + backup.bundles());
            }
        }
    }

    /**
     * Commits backup {@code info}: call once its bundles, its WAL, the server's backup_manifest
     * ({@code serverManifest}, or null) and its manifest ({@code manifest}) are all stored.
     * From the moment this returns the backup exists.
     *
     * @param bundles each bundle's result, in bundle order
     */
    public void commit(BackupInfo info, ObjectResult manifest, ObjectResult serverManifest, List<ObjectResult> bundles)
            throws IOException {
        requireNonNull(info, "info is null");
        requireNonNull(manifest, "manifest is null");
        Commit c = new Commit(COMMIT_FORMAT, BackupInfoJson.of(info), manifest.storedSize(), serverManifest == null ? null : serverManifest.storedSize(),
                bundles.stream().map(ObjectResult::storedSize).toList());
        byte[] json = Json.write(c);
        try (ObjectWriter w = repository.codec().newWriter(commitKey(info.id()), Storage.WriteMode.CREATE, false)) {
            w.write(json, 0, json.length);
            w.finish();
        }
    }

    /** Whether a backup may be used, and if not, why. */
    public enum State {
        /** committed (or an older backup's manifest) and every object it names is present */
        RESTORABLE,
        /** committed, but its commit record cannot be read or an object it names is missing or has another size */
        DAMAGED,
        /** never committed: a backup that was interrupted or failed, or is still running (an orphan once old) */
        INCOMPLETE
    }

    /**
     * One backup directory as the catalog judges it.
     *
     * @param id      the backup id
     * @param state   whether it may be used
     * @param info    its header, when it could be read (always for RESTORABLE)
     * @param problem why it is DAMAGED or INCOMPLETE, and what that affects
     * @param stored  what is stored under its directory
     */
    public record Entry(String id, State state, Optional<BackupInfo> info, Optional<String> problem, StoredBackup stored) {
        public Entry {
            BackupIds.check(id);
            requireNonNull(state, "state is null");
            requireNonNull(info, "info is null");
            requireNonNull(problem, "problem is null");
            requireNonNull(stored, "stored is null");
            if ((state == State.RESTORABLE) != problem.isEmpty() || state == State.RESTORABLE && info.isEmpty()) {
                throw new IllegalArgumentException("backup '" + id + "' is " + state + " with problem " + problem);
            }
        }
    }

    /**
     * Every backup directory, oldest id first, each judged by its commit record and a presence
     * check against one listing of the cluster's backups (the manifest, the server's
     * backup_manifest and every bundle there with the size the commit recorded). Reads one small
     * object per committed backup, up to {@value #JUDGE_THREADS} at once (an object store answers
     * each read in tens of milliseconds, and restore, info, verify and expire all start here); a
     * damaged one does not stop the others from being judged.
     */
    public List<Entry> entries() {
        return entries(() -> { });
    }

    /**
     * {@link #entries()}, running {@code listed} once the backups are listed and before their
     * commit records are read: work started there (a listing of the WAL archive) sees every
     * object a backup listed here stored before its commit record.
     */
    public List<Entry> entries(Runnable listed) {
        requireNonNull(listed, "listed is null");
        Map<String, Map<String, Long>> objects = new TreeMap<>();
        List<StoredBackup> stored = stored(objects);
        listed.run();
        List<Entry> out = new ArrayList<>(stored.size());
        if (stored.size() < 2) {
            for (StoredBackup sb : stored) {
                out.add(judge(sb, objects.get(sb.id())));
            }
            return out;
        }
        try (WorkerThreads pool = new WorkerThreads("walvault-catalog-read", Math.min(JUDGE_THREADS, stored.size()))) {
            List<Future<Entry>> judged = new ArrayList<>(stored.size());
            for (StoredBackup sb : stored) {
                judged.add(pool.submit(() -> judge(sb, objects.get(sb.id()))));
            }
            for (Future<Entry> f : judged) {
                out.add(Futures.join(f, "reading the backups' commit records"));
            }
            return out;
        }
    }

    /** The ids of restorable backups ({@link #entries}), oldest first. */
    public List<String> list() {
        return entries().stream().filter(e -> e.state() == State.RESTORABLE).map(Entry::id).toList();
    }

    /** The headers of restorable backups ({@link #entries}), oldest id first. */
    public List<BackupInfo> restorable() {
        return entries().stream().filter(e -> e.state() == State.RESTORABLE).map(e -> e.info().orElseThrow()).toList();
    }

    /**
     * The newest restorable backup {@code wanted} accepts, as {@link #restorable} would give it,
     * but judging backups newest first and stopping at it: one listing and, usually, one commit
     * record read, however many backups the repository keeps (a backup's choice of the earlier
     * backup it builds on read every commit record before, 8 ms each on a cold JVM).
     */
    public Optional<BackupInfo> newestRestorable(Predicate<BackupInfo> wanted) {
        requireNonNull(wanted, "wanted is null");
        Map<String, Map<String, Long>> objects = new TreeMap<>();
        List<StoredBackup> stored = stored(objects);
        for (int i = stored.size() - 1; i >= 0; i--) {
            Entry e = judge(stored.get(i), objects.get(stored.get(i).id()));
            if (e.state() == State.RESTORABLE && wanted.test(e.info().orElseThrow())) {
                return e.info();
            }
        }
        return Optional.empty();
    }

    private Entry judge(StoredBackup sb, Map<String, Long> objects) {
        String dir = RepositoryLayout.backupDir(systemId, sb.id());
        String ext = repository.codec().extension();
        String commitName = "commit" + ext;
        String manifestName = "manifest" + ext;
        if (objects.containsKey(commitName)) {
            Commit c;
            BackupInfo info;
            try {
                c = readCommit(sb.id());
                info = c.backup().toInfo(dir + commitName);
            } catch (WalvaultException | IOException e) {
                return new Entry(sb.id(), State.DAMAGED, Optional.empty(), Optional.of("its commit record '" + dir + commitName
                        + "' cannot be read (" + message(e) + "): this backup cannot be used; other backups are not affected"),
                        sb);
            }
            if (!info.id().equals(sb.id()) || info.systemId() != systemId) {
                return new Entry(sb.id(), State.DAMAGED, Optional.empty(), Optional.of("its commit record names backup '"
                        + info.id() + "' of cluster " + Long.toUnsignedString(info.systemId())), sb);
            }
            List<String> missing = new ArrayList<>();
            check(objects, manifestName, c.manifestBytes(), missing);
            if (c.serverManifestBytes() != null) {
                check(objects, "backup_manifest" + ext, c.serverManifestBytes(), missing);
            }
            for (int i = 0; i < c.bundleBytes().size(); i++) {
                check(objects, "data/" + String.format("%08d", i) + ext, c.bundleBytes().get(i), missing);
            }
            if (!missing.isEmpty()) {
                return new Entry(sb.id(), State.DAMAGED, Optional.of(info), Optional.of(String.join("; ",
                        missing.subList(0, Math.min(5, missing.size()))) + (missing.size() > 5 ? " (and " + (missing.size() - 5)
                        + " more)" : "") + " in '" + dir + "': this backup cannot be restored; other backups are not affected"), sb);
            }
            return new Entry(sb.id(), State.RESTORABLE, Optional.of(info), Optional.empty(), sb);
        }
        if (!objects.containsKey(manifestName)) {
            return new Entry(sb.id(), State.INCOMPLETE, Optional.empty(), Optional.of("no commit record and no manifest: an"
                    + " interrupted or failed backup, or one still running"), sb);
        }
        // a manifest without a commit record: a backup written before commit records (format 1 or 2), or
        // one that never committed (format 3: it failed after, or while, writing its manifest)
        BackupInfo legacy;
        int format;
        try {
            ManifestHead head = readManifestHead(sb.id());
            legacy = head.info();
            format = head.format();
        } catch (WalvaultException | IOException e) {
            return new Entry(sb.id(), State.DAMAGED, Optional.empty(), Optional.of("its manifest '" + dir + manifestName
                    + "' cannot be read (" + message(e) + "): this backup cannot be used; other backups are not affected"), sb);
        }
        if (format >= 3) {
            return new Entry(sb.id(), State.INCOMPLETE, Optional.of(legacy), Optional.of("a manifest but no commit record: the"
                    + " backup failed or was interrupted before it was committed"), sb);
        }
        List<String> missing = new ArrayList<>();
        for (int i = 0; i < legacy.bundles(); i++) {
            check(objects, "data/" + String.format("%08d", i) + ext, -1, missing);
        }
        if (legacy.serverManifest()) {
            check(objects, "backup_manifest" + ext, -1, missing);
        }
        if (!missing.isEmpty()) {
            return new Entry(sb.id(), State.DAMAGED, Optional.of(legacy), Optional.of(String.join("; ", missing.subList(0,
                    Math.min(5, missing.size()))) + " in '" + dir + "': this backup cannot be restored"), sb);
        }
        return new Entry(sb.id(), State.RESTORABLE, Optional.of(legacy), Optional.empty(), sb);
    }

    private static void check(Map<String, Long> objects, String name, long size, List<String> problems) {
        Long actual = objects.get(name);
        if (actual == null) {
            problems.add("'" + name + "' is missing");
        } else if (size >= 0 && actual != size) {
            problems.add("'" + name + "' is " + actual + " bytes, not the " + size + " its backup stored");
        }
    }

    private static String message(Exception e) {
        return e instanceof WalvaultException w ? w.what() : String.valueOf(e);
    }

    private Commit readCommit(String backupId) throws IOException {
        String key = commitKey(backupId);
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        repository.codec().read(key, new OutputStreamSink(buf, false), false);
        return Json.read(buf.toByteArray(), Commit.class, key);
    }

    /** The header of a backup: from its commit record, or from its manifest for a backup without one. */
    public BackupInfo info(String backupId) throws IOException {
        try {
            return readCommit(backupId).backup().toInfo(commitKey(backupId));
        } catch (ObjectNotFoundException e) {
            return readManifestHead(backupId).info();
        }
    }

    private record ManifestHead(int format, BackupInfo info) {
    }

    /** A manifest's format and header, read whole for formats 1 and 2 (they end with a trailer that proves them complete). */
    private ManifestHead readManifestHead(String backupId) throws IOException {
        String key = manifestKey(backupId);
        Header header = parseManifest(key, f -> { });
        return new ManifestHead(header.walvaultManifest(), header.backup().toInfo(key));
    }

    /** A writer for bundle {@code bundle} of backup {@code backupId} (create-if-absent); its result has no stored SHA-256. */
    public ObjectWriter newBundle(String backupId, int bundle) throws IOException {
        // no SHA-256 of the stored bytes: nothing reads it for bundles, and on incompressible data
        // it cost more CPU than LZ4 and AES-GCM together
        return repository.codec().newWriter(bundleKey(backupId, bundle), Storage.WriteMode.CREATE, false);
    }

    /** Unpacks bundle {@code bundle} into {@code out}. */
    public ObjectResult readBundle(String backupId, int bundle, Sink out) throws IOException {
        return repository.codec().read(bundleKey(backupId, bundle), out, false);
    }

    /** Starts the manifest of {@code info}'s backup; add every file, then finish it last. */
    public ManifestWriter newManifest(BackupInfo info) throws IOException {
        requireNonNull(info, "info is null");
        if (info.systemId() != systemId) {
            throw new IllegalArgumentException("backup of system " + Long.toUnsignedString(info.systemId())
                    + " written to the catalog of " + Long.toUnsignedString(systemId));
        }
        ObjectWriter w = repository.codec().newWriter(manifestKey(info.id()), Storage.WriteMode.CREATE, false);
        ManifestWriter m = new ManifestWriter(w);
        m.line(new Header(MANIFEST_FORMAT, BackupInfoJson.of(info)));
        return m;
    }

    /** The key of the server's backup_manifest kept with backup {@code backupId}. */
    public String serverManifestKey(String backupId) {
        return RepositoryLayout.backupDir(systemId, backupId) + "backup_manifest" + repository.codec().extension();
    }

    /** A writer for the server's backup_manifest of backup {@code backupId} (create-if-absent). */
    public ObjectWriter newServerManifest(String backupId) throws IOException {
        return repository.codec().newWriter(serverManifestKey(backupId), Storage.WriteMode.CREATE, false);
    }

    /** Writes the server's backup_manifest of {@code backupId} into {@code out}. */
    public ObjectResult readServerManifest(String backupId, Sink out) throws IOException {
        return repository.codec().read(serverManifestKey(backupId), out, false);
    }

    /** Collects a backup's entries while the backup runs ({@link PendingManifest}). */
    public PendingManifest pendingManifest() throws IOException {
        return new PendingManifest(this);
    }

    /**
     * Reads the manifest of {@code backupId}, handing each file to {@code files} as it is
     * decoded, and returns the backup's record. Strict: a missing header or trailer, a count
     * that does not match or any malformed line is {@link CorruptDataException}.
     */
    public BackupInfo readManifest(String backupId, Consumer<ManifestFile> files) throws IOException {
        requireNonNull(files, "files is null");
        String key = manifestKey(backupId);
        return parseManifest(key, files).backup().toInfo(key);
    }

    /** Reads manifest {@code key} whole, each entry to {@code files}; returns its header. */
    private Header parseManifest(String key, Consumer<ManifestFile> files) throws IOException {
        ManifestLineParser p = new ManifestLineParser(key, files);
        repository.codec().read(key, p, false);
        if (!p.ended()) {
            throw new CorruptDataException("object '" + key + "' is corrupt: the manifest has no end record");
        }
        return p.header();
    }

    /**
     * Removes a backup: its commit record first and then its manifest (from then on the backup
     * does not exist, even if the removal of its bundles is interrupted), then every object
     * under the backup's directory. Callers hold the cluster's backup lock. Returns the number of
     * objects removed.
     */
    public int remove(String backupId) {
        repository.storage().remove(commitKey(backupId));
        repository.storage().remove(manifestKey(backupId));
        return 2 + removeObjects(backupId);
    }

    /**
     * Removes every object under backup {@code backupId}'s directory, in batches (a backup of
     * many bundles never sits in memory whole). For a backup without a manifest (an orphan);
     * callers hold the cluster's backup lock. Returns the number of objects removed.
     */
    public int removeObjects(String backupId) {
        String dir = RepositoryLayout.backupDir(systemId, backupId);
        int removed = 0;
        List<String> previous = List.of();
        while (true) {
            List<String> keys;
            try (Stream<ObjectInfo> l = repository.storage().list(dir)) {
                keys = l.map(ObjectInfo::key).limit(REMOVE_BATCH).toList();
            }
            if (keys.isEmpty()) {
                return removed;
            }
            if (!previous.isEmpty() && previous.contains(keys.get(0))) {
                throw new WalvaultException(ErrorCode.STORAGE, "object '"
                        + keys.get(0) + "' in '" + repository.storage().location() + "' is still listed after its removal");
            }
            repository.storage().removeAll(keys);
            removed += keys.size();
            previous = keys;
        }
    }

    /**
     * What is stored under one backup directory, complete (with a manifest) or not.
     *
     * @param id       the backup id
     * @param complete whether its commit record or manifest exists (whether it is a backup is for {@link #entries} to judge)
     * @param objects  objects under its directory
     * @param bytes    their stored bytes
     * @param newest   when the most recent of them was written
     */
    public record StoredBackup(String id, boolean complete, long objects, long bytes, Instant newest) {
        public StoredBackup {
            BackupIds.check(id);
            requireNonNull(newest, "newest is null");
        }
    }

    /**
     * Every backup directory, complete or not (an interrupted backup leaves bundles without a
     * manifest: an orphan), oldest id first. One listing of the cluster's backups; memory is
     * one record per directory, not per object.
     */
    public List<StoredBackup> stored() {
        return stored(null);
    }

    /** {@link #stored()}, and when {@code objects} is given, each directory's object names (relative) with their sizes. */
    private List<StoredBackup> stored(Map<String, Map<String, Long>> objects) {
        String dir = RepositoryLayout.cluster(systemId) + "backups/";
        String manifest = "manifest" + repository.codec().extension();
        String commit = "commit" + repository.codec().extension();
        Map<String, StoredBackup> byId = new TreeMap<>();
        try (Stream<ObjectInfo> l = repository.storage().list(dir)) {
            l.forEach(i -> {
                String rest = i.key().substring(dir.length());
                int slash = rest.indexOf('/');
                if (slash <= 0) {
                    return; // not inside a backup directory
                }
                String id = rest.substring(0, slash);
                try {
                    BackupIds.check(id);
                } catch (IllegalArgumentException notABackup) {
                    return;
                }
                String name = rest.substring(slash + 1);
                boolean isManifest = name.equals(manifest) || name.equals(commit);
                if (objects != null) {
                    objects.computeIfAbsent(id, k -> new HashMap<>()).put(name, i.size());
                }
                StoredBackup was = byId.get(id);
                byId.put(id, was == null
                        ? new StoredBackup(id, isManifest, 1, i.size(), i.lastModified())
                        : new StoredBackup(id, was.complete() || isManifest, was.objects() + 1, was.bytes() + i.size(),
                                i.lastModified().isAfter(was.newest()) ? i.lastModified() : was.newest()));
            });
        }
        return List.copyOf(byId.values());
    }

    /**
     * Whether any object (complete or not) is stored under backup {@code backupId}: a new backup
     * takes an id that is unused in this sense, so that cleaning up after its failure never
     * touches another backup's objects.
     */
    public boolean isUsed(String backupId) {
        try (Stream<ObjectInfo> l = repository.storage().list(RepositoryLayout.backupDir(systemId, BackupIds.check(backupId)))) {
            return l.findAny().isPresent();
        }
    }
}
