package io.walvault.restore.get;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * Segments fetched ahead of recovery: {@code pg_wal/.walvault-prefetch/} (0700), on the same file
 * system as PostgreSQL's target path, so handing a segment over is one rename.
 *
 * <p>Only complete, validated, fsynced segments are put there ({@link WalFileWriter}), and only
 * segments: archived segments never change (create-if-absent), unlike {@code .partial} files. The
 * file {@code origin} names the repository and cluster the spool was filled from; a spool of
 * another origin is emptied before use. Thread-safe.
 */
final class PrefetchSpool {

    static final String DIRECTORY = ".walvault-prefetch";
    private static final String ORIGIN = "origin";

    private final Path dir;

    /** @param walDirectory the directory PostgreSQL restores into (that of %p) */
    PrefetchSpool(Path walDirectory) {
        this.dir = requireNonNull(walDirectory, "walDirectory is null").resolve(DIRECTORY);
    }

    Path directory() {
        return dir;
    }

    /** Where a prefetched {@code name} lives. */
    Path path(String name) {
        return dir.resolve(name);
    }

    /**
     * Moves a prefetched {@code name} to {@code target}; false if it was not fetched (or the spool
     * is of another origin).
     */
    boolean take(String name, String origin, Path target) throws IOException {
        if (!origin.equals(origin())) {
            return false;
        }
        try {
            Files.move(dir.resolve(name), target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (NoSuchFileException e) {
            return false;
        } catch (AtomicMoveNotSupportedException e) {
            return false;
        }
        try (var d = java.nio.channels.FileChannel.open(target.toAbsolutePath().getParent(), java.nio.file.StandardOpenOption.READ)) {
            d.force(true);
        }
        return true;
    }

    /** Prepares the spool for {@code origin}: created if missing, emptied if it was filled from elsewhere. */
    void open(String origin) throws IOException {
        if (!Files.isDirectory(dir)) {
            try {
                Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            } catch (FileAlreadyExistsException e) {
                // made meanwhile
            }
        }
        if (!origin.equals(origin())) {
            clear();
            Path tmp = dir.resolve("." + ORIGIN + ".tmp");
            Files.writeString(tmp, origin + "\n", StandardCharsets.UTF_8);
            Files.move(tmp, dir.resolve(ORIGIN), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** Removes prefetched segments that sort before {@code name} (recovery has passed them) and leftovers. */
    void removeBefore(String name) {
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                String n = p.getFileName().toString();
                if (n.equals(ORIGIN)) {
                    continue;
                }
                if (n.startsWith(".") || n.substring(8).compareTo(name.substring(Math.min(8, name.length()))) < 0) {
                    Files.deleteIfExists(p);
                }
            }
        } catch (IOException | RuntimeException e) {
            // best effort: the spool is a cache
        }
    }

    private void clear() throws IOException {
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                Files.deleteIfExists(p);
            }
        }
    }

    private String origin() {
        try {
            return Files.readString(dir.resolve(ORIGIN), StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
            return "";
        }
    }
}
