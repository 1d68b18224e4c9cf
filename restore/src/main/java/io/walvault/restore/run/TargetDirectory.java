package io.walvault.restore.run;

import static java.util.Objects.requireNonNull;

import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;
import io.walvault.core.repo.ManifestFile;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;

/**
 * The directories a restore writes into: refused unless new or empty, created owner-only, with
 * the manifest's directories and the tablespaces' links, and marked incomplete
 * ({@value #MARKER}) from the first write until {@link #complete}; a failure leaves them
 * unstartable with the reason in the marker. One restore per instance.
 */
final class TargetDirectory {

    /** Present in the data directory from the first write until the restore succeeded. */
    static final String MARKER = "walvault-restore.incomplete";
    /** The marker's line naming the cluster, by which a delta restore recognises its own unfinished work. */
    static final String CLUSTER_LINE = "cluster: ";

    private final Path data;
    private final TablespaceLayout layout;
    private boolean created;

    TargetDirectory(Path data, TablespaceLayout layout) {
        this.data = requireNonNull(data, "data is null");
        this.layout = requireNonNull(layout, "layout is null");
    }

    /** Refuses a data directory or tablespace directory that exists and is not empty: nothing is written then. */
    void checkEmpty() throws IOException {
        checkEmpty(data, "data directory");
        for (Map.Entry<String, Path> t : layout.locations().entrySet()) {
            checkEmpty(t.getValue(), "directory of tablespace " + t.getKey());
        }
    }

    /** A directory to restore into must not exist, or be empty. */
    static void checkEmpty(Path dir, String what) throws IOException {
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        if (!Files.isDirectory(dir)) {
            throw new WalvaultException(ErrorCode.RESTORE_TARGET_NOT_EMPTY, "the " + what + " '" + dir
                    + "' exists and is not a directory HINT: restore into a new or empty directory");
        }
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir)) {
            if (s.iterator().hasNext()) {
                throw new WalvaultException(ErrorCode.RESTORE_TARGET_NOT_EMPTY, "the " + what + " '" + dir + "' is not empty;"
                        + " nothing was written HINT: restore into a new or empty directory (walvault never overwrites files;"
                        + " move the old directory aside first" + (what.startsWith("directory of tablespace")
                        ? ", or restore the tablespace elsewhere with --tablespace-map OLD=NEW)" : ")"));
            }
        }
    }

    /** Creates the data directory (0700) if needed and marks it incomplete: from here on, PostgreSQL cannot start on it. */
    void create(String backupId, long systemId) {
        try {
            if (!Files.exists(data)) {
                Files.createDirectories(data.getParent());
                Files.createDirectory(data, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
                created = true;
            }
            Files.setPosixFilePermissions(data, PosixFilePermissions.fromString("rwx------"));
            writeMarker(data, "walvault restore of backup '" + backupId + "' is in progress (or was interrupted):"
                    + " this directory is incomplete and must not be started\n" + CLUSTER_LINE + Long.toUnsignedString(systemId) + "\n");
        } catch (IOException e) {
            throw new WalvaultException(ErrorCode.RESTORE_WRITE_FAILED, "cannot create the data directory '" + data + "': " + e, e);
        }
    }

    /** Whether {@link #create} made the data directory (it did not exist before). */
    boolean created() {
        return created;
    }

    /** The manifest's directories, pg_wal and pg_tblspc with the tablespaces' links, all 0700. */
    void makeDirectories(ManifestSpool manifest) throws IOException {
        for (Path loc : layout.locations().values()) {
            Files.createDirectories(loc);
            Files.setPosixFilePermissions(loc, PosixFilePermissions.fromString("rwx------"));
        }
        for (ManifestFile d : manifest.directories()) {
            if (d.path().matches("pg_tblspc/[0-9]+")) {
                continue; // the tablespace's link is made below
            }
            mkdir(layout.place(d.path()));
        }
        mkdir(data.resolve("pg_wal"));
        mkdir(data.resolve("pg_wal/archive_status"));
        mkdir(data.resolve("pg_tblspc"));
        for (Map.Entry<String, Path> t : layout.locations().entrySet()) {
            Path link = data.resolve("pg_tblspc").resolve(t.getKey());
            Files.createSymbolicLink(link, t.getValue());
        }
    }

    private static void mkdir(Path dir) throws IOException {
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        }
    }

    /**
     * Removes everything written since {@link #create} (the directories were new or empty, so
     * all in them is this restore's), the marker last: the state before the restore began.
     */
    void clear() throws IOException {
        for (Path loc : layout.locations().values()) {
            removeContents(loc);
        }
        try (DirectoryStream<Path> s = Files.newDirectoryStream(data)) {
            for (Path p : s) {
                if (!p.getFileName().toString().equals(MARKER)) {
                    removeTree(p);
                }
            }
        }
        Files.deleteIfExists(data.resolve(MARKER));
    }

    private static void removeContents(Path dir) throws IOException {
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir)) {
            for (Path p : s) {
                removeTree(p);
            }
        }
    }

    /** Removes {@code p} and, if it is a directory (never followed through a link), all below it. */
    private static void removeTree(Path p) throws IOException {
        if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
            removeContents(p);
        }
        Files.deleteIfExists(p);
    }

    /** The restore succeeded: the marker goes, last, durably. */
    void complete() throws IOException {
        fsync(data);
        Files.delete(data.resolve(MARKER));
        fsync(data);
    }

    /** Leaves the directory unstartable (no recovery.signal or backup_label) and says why in the marker. */
    void markFailed(Throwable e, long systemId) {
        String why = e instanceof WalvaultException w ? w.getMessage() : String.valueOf(e);
        for (String name : List.of("recovery.signal", "backup_label", TablespaceLayout.PENDING_BACKUP_LABEL)) {
            try {
                Files.deleteIfExists(data.resolve(name));
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
        }
        try {
            writeMarker(data, "walvault restore failed; this directory is incomplete and must not be started:\n" + why + "\n"
                    + CLUSTER_LINE + Long.toUnsignedString(systemId) + "\n");
        } catch (IOException suppressed) {
            e.addSuppressed(suppressed);
        }
    }

    static void fsync(Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }

    private static void writeMarker(Path data, String text) throws IOException {
        Path marker = data.resolve(MARKER);
        Files.deleteIfExists(marker);
        Files.createFile(marker, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(marker, text, StandardCharsets.UTF_8);
    }
}
