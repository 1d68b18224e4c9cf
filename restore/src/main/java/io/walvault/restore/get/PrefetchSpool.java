package io.walvault.restore.get;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import java.util.Set;

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
    /** The segment recovery last asked a Java call for, and the segment size: "NAME SIZE". */
    private static final String WANTED = "wanted";
    /** The follower's pid (read by bin/walvault) and its lock. */
    static final String FOLLOW_PID = "follow.pid";
    static final String FOLLOW_LOCK = "follow.lock";
    /**
     * The first segment the follower found missing from the archive (the end of the archive, for
     * now): bin/walvault does not wait for the follower to fetch that one.
     */
    static final String MISSING = "missing";
    /** The newest segment the follower has fetched: bin/walvault waits only for segments after it. */
    static final String AHEAD = "ahead";
    /** The follower's log (bin/walvault appends its output; the follower keeps it bounded). */
    static final String FOLLOW_LOG = "follow.log";
    private static final Set<String> OWN = Set.of(ORIGIN, WANTED, FOLLOW_PID, FOLLOW_LOCK, MISSING, AHEAD,
            FOLLOW_LOG, FOLLOW_LOG + ".1");

    /** What recovery asked for last, as written by {@link #writeWanted}. */
    record Wanted(String name, long segmentSize) {
    }

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
        try (var d = FileChannel.open(target.toAbsolutePath().getParent(), StandardOpenOption.READ)) {
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
            replace(ORIGIN, origin);
        }
    }

    /**
     * Removes prefetched segments that sort before {@code name} (recovery has passed them),
     * those of other timelines when {@code otherTimelines} (recovery has switched), and leftover
     * temporary files when {@code leftovers} (only a caller that knows no writer is at work).
     */
    void removeBefore(String name, boolean otherTimelines, boolean leftovers) {
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                String n = p.getFileName().toString();
                if (OWN.contains(n)) {
                    continue;
                }
                boolean segment = n.length() == 24 && n.matches("[0-9A-F]{24}");
                if (segment ? n.substring(8).compareTo(name.substring(8)) < 0
                        || otherTimelines && !n.regionMatches(0, name, 0, 8) : leftovers && n.startsWith(".")) {
                    Files.deleteIfExists(p);
                }
            }
        } catch (IOException | RuntimeException e) {
            // best effort: the spool is a cache
        }
    }

    /** Removes prefetched segments before {@code name} and leftover temporary files. */
    void removeBefore(String name) {
        removeBefore(name, false, true);
    }

    /** How many prefetched segments the spool holds. */
    int segments() {
        int n = 0;
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                String f = p.getFileName().toString();
                if (f.length() == 24 && f.matches("[0-9A-F]{24}")) {
                    n++;
                }
            }
        } catch (IOException e) {
            return 0;
        }
        return n;
    }

    /**
     * How many more segments of {@code segmentSize} bytes may be fetched into the spool: it
     * shares pg_wal's file system with PostgreSQL, which must never run out of room because of
     * it. What stays free is a tenth of the file system, at most 1 GiB, plus four segments.
     */
    int roomFor(long segmentSize) {
        try {
            FileStore fs = Files.getFileStore(dir);
            long reserve = Math.min(1L << 30, fs.getTotalSpace() / 10) + 4 * segmentSize;
            return (int) Math.max(0, Math.min(Integer.MAX_VALUE, (fs.getUsableSpace() - reserve) / segmentSize));
        } catch (IOException e) {
            return 0;
        }
    }

    /** Records that recovery asked for {@code name} (segment size {@code segmentSize}), for the follower. */
    void writeWanted(String name, long segmentSize) throws IOException {
        replace(WANTED, name + " " + segmentSize);
    }

    /**
     * Records that the archive does not have segment {@code name} (yet). The follower writes it
     * again at each attempt, so its age tells bin/walvault how fresh the news is.
     */
    void writeMissing(String name) throws IOException {
        replace(MISSING, name);
    }

    /** Records that the follower has fetched every segment up to {@code name}. */
    void writeAhead(String name) throws IOException {
        replace(AHEAD, name);
    }

    /** Forgets {@link #writeAhead}: a new follower starts from what recovery asks for. */
    void clearAhead() throws IOException {
        Files.deleteIfExists(dir.resolve(AHEAD));
    }

    /** Replaces {@code file} with one {@code line}, atomically (readers see the old or the new line). */
    private void replace(String file, String line) throws IOException {
        Path tmp = dir.resolve("." + file + "." + ProcessHandle.current().pid() + "." + Thread.currentThread().getId() + ".tmp");
        Files.writeString(tmp, line + "\n", StandardCharsets.UTF_8);
        Files.move(tmp, dir.resolve(file), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /** Forgets {@link #writeMissing}: the follower is fetching again. */
    void clearMissing() throws IOException {
        Files.deleteIfExists(dir.resolve(MISSING));
    }

    /** Forgets {@link #writeMissing} if it named {@code name}, which turned out to be archived. */
    void clearMissing(String name) throws IOException {
        if (missing().equals(name)) {
            clearMissing();
        }
    }

    /** The segment {@link #writeMissing} recorded, or "". */
    String missing() {
        return line(MISSING);
    }

    /** What {@link #writeWanted} recorded last, if anything readable. */
    Optional<Wanted> wanted() {
        try {
            String[] f = line(WANTED).split(" ");
            return f.length == 2 && f[0].matches("[0-9A-F]{24}")
                    ? Optional.of(new Wanted(f[0], Long.parseLong(f[1]))) : Optional.empty();
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    /** The spool's origin (repository and cluster) as {@link #open} recorded it, or "". */
    String origin() {
        return line(ORIGIN);
    }

    /** The line {@link #replace} wrote into {@code file}, or "" if there is none. */
    private String line(String file) {
        try {
            return Files.readString(dir.resolve(file), StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
            return "";
        }
    }

    private void clear() throws IOException {
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                String n = p.getFileName().toString();
                if (!n.equals(FOLLOW_LOCK) && !n.equals(FOLLOW_PID) && !n.startsWith(FOLLOW_LOG)) { // the follower's, which may be starting now
                    Files.deleteIfExists(p);
                }
            }
        }
    }
}
