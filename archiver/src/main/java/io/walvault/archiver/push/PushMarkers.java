package io.walvault.archiver.push;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Markers of files a look-ahead has already pushed, so that PostgreSQL's call for them returns
 * at once without opening the repository.
 *
 * <p>One file per WAL file in {@code pg_wal/.walvault-pushed/} (0700; files 0600), named like the
 * WAL file, holding one line: {@code <size> <mtime seconds> <inode> <repository location>}. A
 * marker is written only after the push was durable, and honoured only while the WAL file still
 * has that size, modification time and inode and the repository is the same, so a replaced file
 * or a changed repository is pushed again. Losing a marker costs only a re-push (identical
 * content succeeds). The same line is easy to compare from a shell ({@code stat -c '%s %Y %i'}).
 *
 * <p>Thread-safe: each marker is written to a temporary name and renamed.
 */
final class PushMarkers {

    static final String DIRECTORY = ".walvault-pushed";

    private final Path dir;
    private final String repository;

    /**
     * @param walDirectory the directory of the WAL files (pg_wal)
     * @param repository the repository's location, as configured
     */
    PushMarkers(Path walDirectory, String repository) {
        this.dir = requireNonNull(walDirectory, "walDirectory is null").resolve(DIRECTORY);
        this.repository = requireNonNull(repository, "repository is null");
        if (repository.contains("\n")) {
            throw new IllegalArgumentException("repository location has a line break");
        }
    }

    Path directory() {
        return dir;
    }

    /** The identity line of {@code file} (without the repository). */
    static String identity(Path file) throws IOException {
        Map<String, Object> a = Files.readAttributes(file, "unix:size,lastModifiedTime,ino");
        return a.get("size") + " " + ((FileTime) a.get("lastModifiedTime")).to(TimeUnit.SECONDS) + " " + a.get("ino");
    }

    /** Whether {@code file} was pushed by a look-ahead to this repository and is unchanged since. */
    boolean isPushed(Path file) {
        Path marker = dir.resolve(file.getFileName().toString());
        try {
            String line = Files.readString(marker, StandardCharsets.UTF_8).strip();
            return line.equals(identity(file) + " " + repository);
        } catch (NoSuchFileException e) {
            return false;
        } catch (IOException e) {
            return false; // unreadable marker: push again
        }
    }

    /** Records that {@code file} (identity {@code identity}, taken before it was read) is durable in the repository. */
    void mark(Path file, String identity) throws IOException {
        ensureDirectory();
        String name = file.getFileName().toString();
        Path tmp = dir.resolve("." + name + ".tmp" + Thread.currentThread().getId());
        Files.deleteIfExists(tmp);
        Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(tmp, identity + " " + repository + "\n", StandardCharsets.UTF_8);
        Files.move(tmp, dir.resolve(name), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** Forgets {@code file}'s marker (PostgreSQL has been told it is archived). */
    void remove(Path file) {
        try {
            Files.deleteIfExists(dir.resolve(file.getFileName().toString()));
        } catch (IOException e) {
            // a stale marker is harmless: it matches only the unchanged file
        }
    }

    /** Removes markers whose WAL file is gone (PostgreSQL removed or recycled it). */
    void removeStale(Path walDirectory) {
        if (!Files.isDirectory(dir)) {
            return;
        }
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path m : ds) {
                String n = m.getFileName().toString();
                if (n.equals("watch.lock") || n.equals("watch.pid") || n.startsWith("watch.log")) {
                    continue;
                }
                if (n.startsWith(".") || Files.notExists(walDirectory.resolve(n))) {
                    Files.deleteIfExists(m);
                }
            }
        } catch (IOException e) {
            // best effort
        }
    }

    /** The marker of {@code file}, if any (for tests and diagnostics). */
    Optional<String> read(Path file) throws IOException {
        Path marker = dir.resolve(file.getFileName().toString());
        return Files.exists(marker) ? Optional.of(Files.readString(marker, StandardCharsets.UTF_8).strip()) : Optional.empty();
    }

    void ensureDirectory() throws IOException {
        if (!Files.isDirectory(dir)) {
            try {
                Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            } catch (FileAlreadyExistsException e) {
                // another thread made it
            }
        }
    }
}
