package io.walvault.restore.run;

import static java.util.Objects.requireNonNull;

import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;
import io.walvault.core.pgdata.ControlFile;
import io.walvault.core.pgdata.PostmasterPid;
import io.walvault.core.repo.ManifestFile;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;

/**
 * {@code restore --delta}: the data directory (and the tablespaces' directories) hold an
 * earlier copy of the cluster, which the restore brings to the backup's files instead of
 * writing them all.
 *
 * <p>{@link #check} refuses a directory of another cluster (the system identifier in its
 * pg_control, or in the marker an unfinished restore left) and one a server runs on. After the
 * marker is written, {@link #disableStart} removes what would let PostgreSQL start on the
 * half-changed directory (pg_control, backup_label, the signal files), and {@link
 * #removeUnlisted} removes every file, directory and link the backup does not list: in the data
 * directory, and in each tablespace's directory within the version directories the backup has
 * ({@code PG_15_...}; another server version's directory beside it is left alone). Links are
 * removed, never followed; only a pg_wal link's directory is emptied (it is this cluster's WAL,
 * which must not mix with what recovery fetches). One restore per instance.
 */
final class DeltaTarget {

    /** What {@link #removeUnlisted} removed. */
    record Removed(long files, long directories, long links) {
    }

    private final Path data;
    private final TablespaceLayout layout;

    DeltaTarget(Path data, TablespaceLayout layout) {
        this.data = requireNonNull(data, "data is null");
        this.layout = requireNonNull(layout, "layout is null");
    }

    /** Refuses a directory of another cluster or with a running server; a new or empty directory passes. */
    void check(long systemId) throws IOException {
        if (!Files.exists(data, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        if (!Files.isDirectory(data)) {
            throw new WalvaultException(ErrorCode.RESTORE_TARGET_NOT_EMPTY, "the data directory '" + data
                    + "' exists and is not a directory HINT: restore into a directory");
        }
        try (DirectoryStream<Path> s = Files.newDirectoryStream(data)) {
            if (!s.iterator().hasNext()) {
                return;
            }
        }
        OptionalLong pid = PostmasterPid.running(data);
        if (pid.isPresent()) {
            throw new WalvaultException(ErrorCode.RESTORE_TARGET_IN_USE, "a server (process " + pid.getAsLong()
                    + ") is running on '" + data + "'; nothing was written HINT: stop it first (pg_ctl stop -D " + data + ")");
        }
        OptionalLong found = ControlFile.systemIdentifier(data);
        String source = "its " + ControlFile.PATH;
        if (found.isEmpty()) {
            found = markerCluster();
            source = "the unfinished restore's " + TargetDirectory.MARKER;
        }
        if (found.isEmpty()) {
            throw new WalvaultException(ErrorCode.RESTORE_TARGET_OTHER_CLUSTER, "'" + data + "' is not empty and holds"
                    + " neither " + ControlFile.PATH + " nor an unfinished walvault restore, so it cannot be told to be a copy"
                    + " of cluster " + Long.toUnsignedString(systemId) + "; nothing was written HINT: restore into a new or"
                    + " empty directory, or without --delta after moving it aside");
        }
        if (found.getAsLong() != systemId) {
            throw new WalvaultException(ErrorCode.RESTORE_TARGET_OTHER_CLUSTER, "'" + data + "' holds cluster "
                    + Long.toUnsignedString(found.getAsLong()) + " (" + source + "), not cluster "
                    + Long.toUnsignedString(systemId) + " of the backup; nothing was written HINT: a delta restore only"
                    + " rewrites a copy of the same cluster; restore into a new or empty directory");
        }
    }

    private OptionalLong markerCluster() throws IOException {
        try {
            for (String line : Files.readAllLines(data.resolve(TargetDirectory.MARKER), StandardCharsets.UTF_8)) {
                if (line.startsWith(TargetDirectory.CLUSTER_LINE) && line.substring(TargetDirectory.CLUSTER_LINE.length())
                        .strip().matches("[0-9]{1,20}")) {
                    return OptionalLong.of(Long.parseUnsignedLong(line.substring(TargetDirectory.CLUSTER_LINE.length()).strip()));
                }
            }
        } catch (NoSuchFileException e) {
            // no unfinished restore
        }
        return OptionalLong.empty();
    }

    /** Removes what would let PostgreSQL start on the directory while it is changed (the marker is already there). */
    void disableStart() throws IOException {
        for (String name : List.of("recovery.signal", "standby.signal", "backup_label", TablespaceLayout.PENDING_BACKUP_LABEL,
                ControlFile.PATH)) {
            Files.deleteIfExists(data.resolve(name));
        }
        if (Files.isDirectory(data.resolve("global"), LinkOption.NOFOLLOW_LINKS)) {
            TargetDirectory.fsync(data.resolve("global"));
        }
        TargetDirectory.fsync(data);
    }

    /** Removes every file, directory and link of the directories that the backup does not list. */
    Removed removeUnlisted(ManifestSpool manifest) throws IOException {
        Walk walk = walk(manifest, true);
        return new Removed(walk.removedFiles, walk.removedDirectories, walk.removedLinks);
    }

    /**
     * The bytes {@link #removeUnlisted} would free, each file's size in whole 4 KiB blocks, by the
     * directory it is under: the data directory, the directory a pg_wal link points to, each
     * tablespace's location. Nothing is removed.
     */
    Map<Path, Long> unlistedBytes(ManifestSpool manifest) throws IOException {
        return walk(manifest, false).bytes;
    }

    private Walk walk(ManifestSpool manifest, boolean remove) throws IOException {
        long[] files = new long[(int) manifest.files()];
        Set<String> directories = new HashSet<>();
        int[] n = {0};
        manifest.forEachFile(f -> {
            files[n[0]++] = hash(f.path());
            for (String p = parent(f.path()); p != null; p = parent(p)) {
                if (!directories.add(p)) {
                    break;
                }
            }
        });
        for (ManifestFile d : manifest.directories()) {
            for (String p = d.path(); p != null && directories.add(p); p = parent(p)) {
                // and its parents
            }
        }
        Arrays.sort(files);
        Walk walk = new Walk(files, directories, remove);
        if (!Files.isDirectory(data, LinkOption.NOFOLLOW_LINKS)) {
            return walk; // a new directory: nothing to remove
        }
        walk.root = data;
        walk.directory(data, "");
        for (Map.Entry<String, Path> t : layout.locations().entrySet()) {
            Path loc = t.getValue();
            if (!Files.isDirectory(loc, LinkOption.NOFOLLOW_LINKS)) {
                continue;
            }
            walk.root = loc;
            try (DirectoryStream<Path> s = Files.newDirectoryStream(loc)) {
                for (Path version : s) {
                    String rel = "pg_tblspc/" + t.getKey() + "/" + version.getFileName();
                    if (directories.contains(rel)) {
                        walk.entry(version, rel);
                    }
                }
            }
        }
        return walk;
    }

    /** A 64-bit FNV-1a hash of a manifest path: a collision keeps one stray file, which the final accounting finds. */
    static long hash(String path) {
        long h = 0xcbf29ce484222325L;
        for (int i = 0; i < path.length(); i++) {
            h ^= path.charAt(i);
            h *= 0x100000001b3L;
        }
        return h;
    }

    private static String parent(String path) {
        int slash = path.lastIndexOf('/');
        return slash < 0 ? null : path.substring(0, slash);
    }

    /** One pass over a directory tree, removing (or only counting) what the manifest does not list. */
    private final class Walk {
        private final long[] files;
        private final Set<String> directories;
        private final boolean remove;
        final Map<Path, Long> bytes = new LinkedHashMap<>();
        /** The directory the entries walked now are under, for {@link #bytes}. */
        Path root;
        long removedFiles;
        long removedDirectories;
        long removedLinks;

        Walk(long[] files, Set<String> directories, boolean remove) {
            this.files = files;
            this.directories = directories;
            this.remove = remove;
        }

        void directory(Path dir, String rel) throws IOException {
            try (DirectoryStream<Path> s = Files.newDirectoryStream(dir)) {
                for (Path p : s) {
                    String name = p.getFileName().toString();
                    String r = rel.isEmpty() ? name : rel + "/" + name;
                    if (rel.isEmpty() && name.equals(TargetDirectory.MARKER)) {
                        continue;
                    }
                    entry(p, r);
                }
            }
        }

        void entry(Path p, String rel) throws IOException {
            if (Files.isSymbolicLink(p)) {
                if (rel.equals("pg_wal") && Files.isDirectory(p)) {
                    Path under = root;
                    root = p.toRealPath(); // WAL on another disk: keep the link, empty what it holds
                    directory(p, rel);
                    root = under;
                    return;
                }
                removeLink(p);
            } else if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                if (directories.contains(rel)) {
                    directory(p, rel);
                } else {
                    removeTree(p);
                }
            } else if (Arrays.binarySearch(files, hash(rel)) < 0) {
                removeFile(p);
            }
        }

        private void removeTree(Path dir) throws IOException {
            try (DirectoryStream<Path> s = Files.newDirectoryStream(dir)) {
                for (Path p : s) {
                    if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                        removeTree(p);
                    } else if (Files.isSymbolicLink(p)) {
                        removeLink(p);
                    } else {
                        removeFile(p);
                    }
                }
            }
            if (remove) {
                Files.delete(dir);
            }
            removedDirectories++;
        }

        private void removeLink(Path p) throws IOException {
            if (remove) {
                Files.delete(p);
            }
            removedLinks++;
        }

        private void removeFile(Path p) throws IOException {
            if (remove) {
                Files.delete(p);
            } else {
                long size = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).size();
                bytes.merge(root, FreeSpace.blocks(size), Long::sum);
            }
            removedFiles++;
        }
    }
}
