package io.walvault.core.repo;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import io.walvault.core.error.CorruptDataException;
import io.walvault.core.pipeline.Sink;
import io.walvault.core.storage.ObjectInfo;
import io.walvault.core.storage.Storage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * A cluster's backups. A backup is bundles of files ({@link #newBundle}, written in parallel)
 * and a manifest written last ({@link #newManifest}): a backup exists if and only if its
 * manifest does, so an interrupted backup is never mistaken for a complete one. Manifests are
 * JSON lines streamed through the codec, so millions of files never sit in memory (docs/FORMAT.md,
 * "Backup manifest"). Thread-safe.
 */
public final class BackupCatalog {

    static final int MANIFEST_FORMAT = 2;
    private static final int MAX_LINE = 1024 * 1024;
    private static final int REMOVE_BATCH = 1000;

    private final Repository repository;
    private final long systemId;

    BackupCatalog(Repository repository, long systemId) {
        this.repository = requireNonNull(repository, "repository is null");
        this.systemId = systemId;
    }

    record Header(int walvaultManifest, BackupInfo backup) {
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
        m.line(new Header(MANIFEST_FORMAT, info));
        return m;
    }

    /** Writes manifest lines; {@link #finish()} writes the trailer and publishes the manifest. */
    public static final class ManifestWriter implements AutoCloseable {
        private final ObjectWriter out;
        private long files;
        private long bytes;

        ManifestWriter(ObjectWriter out) {
            this.out = out;
        }

        void line(Object record) throws IOException {
            byte[] json = Json.write(record);
            out.write(json, 0, json.length);
            out.write(new byte[] {'\n'}, 0, 1);
        }

        public void add(ManifestFile file) throws IOException {
            line(requireNonNull(file, "file is null"));
            files++;
            bytes += file.size();
        }

        /** Copies lines already serialized by a {@link PendingManifest}. */
        void addLines(java.io.InputStream lines, long fileCount, long byteCount) throws IOException {
            byte[] buf = new byte[64 * 1024];
            for (int n; (n = lines.read(buf)) > 0; ) {
                out.write(buf, 0, n);
            }
            files += fileCount;
            bytes += byteCount;
        }

        public ObjectResult finish() throws IOException {
            line(new Trailer(new End(files, bytes)));
            return out.finishWithResult();
        }

        @Override
        public void close() throws IOException {
            out.close();
        }
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

    /**
     * Collects a backup's entries while the backup runs, before its {@link BackupInfo} (stop
     * position, sizes) is known: they go to a private temporary file (0600, removed on close), so
     * millions of files never sit in memory, and {@link #publish} writes the manifest last.
     */
    public PendingManifest pendingManifest() throws IOException {
        return new PendingManifest(this);
    }

    /** Entries of a manifest not yet written. One thread at a time. */
    public static final class PendingManifest implements AutoCloseable {
        private final BackupCatalog catalog;
        private final java.nio.file.Path file;
        private final java.io.OutputStream out;
        private long files;
        private long bytes;
        private long fileBytes;
        private long regularFiles;

        PendingManifest(BackupCatalog catalog) throws IOException {
            this.catalog = catalog;
            this.file = java.nio.file.Files.createTempFile("walvault-manifest-", ".jsonl",
                    java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                            java.nio.file.attribute.PosixFilePermissions.fromString("rw-------")));
            this.out = new java.io.BufferedOutputStream(java.nio.file.Files.newOutputStream(file), 64 * 1024);
        }

        public void add(ManifestFile entry) throws IOException {
            requireNonNull(entry, "entry is null");
            byte[] json = Json.write(entry);
            out.write(json);
            out.write('\n');
            files++;
            bytes += entry.size();
            if (entry.isFile()) {
                regularFiles++;
                fileBytes += entry.size();
            }
        }

        /** Regular files added so far. */
        public long regularFiles() {
            return regularFiles;
        }

        /** Their bytes. */
        public long fileBytes() {
            return fileBytes;
        }

        /** Writes and publishes the manifest: the header {@code info}, every entry, the end record. */
        public ObjectResult publish(BackupInfo info) throws IOException {
            out.flush();
            try (ManifestWriter m = catalog.newManifest(info);
                 java.io.InputStream in = java.nio.file.Files.newInputStream(file)) {
                m.addLines(in, files, bytes);
                return m.finish();
            }
        }

        @Override
        public void close() throws IOException {
            try {
                out.close();
            } finally {
                java.nio.file.Files.deleteIfExists(file);
            }
        }
    }

    /**
     * Reads the manifest of {@code backupId}, handing each file to {@code files} as it is
     * decoded, and returns the backup's record. Strict: a missing header or trailer, a count
     * that does not match or any malformed line is {@link CorruptDataException}.
     */
    public BackupInfo readManifest(String backupId, Consumer<ManifestFile> files) throws IOException {
        requireNonNull(files, "files is null");
        String key = manifestKey(backupId);
        LineParser p = new LineParser(key, files);
        repository.codec().read(key, p, false);
        if (!p.ended) {
            throw new CorruptDataException("object '" + key + "' is corrupt: the manifest has no end record");
        }
        return p.header.backup();
    }

    /**
     * Removes a backup: its manifest first (from then on the backup does not exist, even if the
     * removal of its bundles is interrupted), then every object under the backup's directory.
     * Callers hold the cluster's backup lock. Returns the number of objects removed.
     */
    public int remove(String backupId) {
        repository.storage().remove(manifestKey(backupId));
        return 1 + removeObjects(backupId);
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
                throw new io.walvault.core.error.WalvaultException(io.walvault.core.error.ErrorCode.STORAGE, "object '"
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
     * @param complete whether its manifest exists (the backup exists)
     * @param objects  objects under its directory
     * @param bytes    their stored bytes
     * @param newest   when the most recent of them was written
     */
    public record StoredBackup(String id, boolean complete, long objects, long bytes, java.time.Instant newest) {
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
        String dir = RepositoryLayout.cluster(systemId) + "backups/";
        String manifest = "manifest" + repository.codec().extension();
        java.util.Map<String, StoredBackup> byId = new java.util.TreeMap<>();
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
                boolean isManifest = rest.substring(slash + 1).equals(manifest);
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

    /** The ids of complete backups (those with a manifest), oldest first. */
    public List<String> list() {
        String dir = RepositoryLayout.cluster(systemId) + "backups/";
        String manifest = "/manifest" + repository.codec().extension();
        try (Stream<ObjectInfo> l = repository.storage().list(dir)) {
            return l.map(ObjectInfo::key).filter(k -> k.endsWith(manifest))
                    .map(k -> k.substring(dir.length(), k.length() - manifest.length()))
                    .sorted().toList();
        }
    }

    /** Splits the decoded manifest into lines and parses each as it completes. */
    private static final class LineParser implements Sink {
        private final String key;
        private final Consumer<ManifestFile> files;
        private byte[] line = new byte[4096];
        private int filled;
        private long lineNo;
        private Header header;
        private boolean ended;
        private long count;
        private long bytes;

        LineParser(String key, Consumer<ManifestFile> files) {
            this.key = key;
            this.files = files;
        }

        @Override
        public void write(byte[] b, int off, int len) {
            for (int i = off; i < off + len; i++) {
                if (b[i] == '\n') {
                    parse();
                    filled = 0;
                    continue;
                }
                if (filled == line.length) {
                    if (line.length >= MAX_LINE) {
                        throw corrupt("line " + (lineNo + 1) + " is longer than " + MAX_LINE + " bytes");
                    }
                    line = java.util.Arrays.copyOf(line, line.length * 2);
                }
                line[filled++] = b[i];
            }
        }

        private void parse() {
            lineNo++;
            byte[] bytesOfLine = java.util.Arrays.copyOf(line, filled);
            if (ended) {
                throw corrupt("line " + lineNo + " follows the end record");
            }
            if (header == null) {
                header = Json.read(bytesOfLine, Header.class, key);
                if (header.walvaultManifest() < 1 || header.walvaultManifest() > MANIFEST_FORMAT || header.backup() == null) {
                    throw corrupt("manifest format " + header.walvaultManifest() + " is not supported");
                }
                return;
            }
            JsonNode n;
            try {
                n = Json.mapper().readTree(new String(bytesOfLine, StandardCharsets.UTF_8));
            } catch (IOException e) {
                throw corrupt("line " + lineNo + " is not JSON");
            }
            if (n.has("end")) {
                End e = Json.read(bytesOfLine, Trailer.class, key).end();
                if (e.files() != count || e.bytes() != bytes) {
                    throw corrupt("the end record counts " + e.files() + " files of " + e.bytes() + " bytes but the manifest lists "
                            + count + " of " + bytes);
                }
                ended = true;
                return;
            }
            ManifestFile f = Json.read(bytesOfLine, ManifestFile.class, key);
            count++;
            bytes += f.size();
            files.accept(f);
        }

        private CorruptDataException corrupt(String what) {
            return new CorruptDataException("object '" + key + "' is corrupt: " + what);
        }

        @Override
        public void finish() {
            if (filled != 0) {
                throw corrupt("the last line is not terminated");
            }
        }

        @Override
        public void close() {
        }
    }
}
