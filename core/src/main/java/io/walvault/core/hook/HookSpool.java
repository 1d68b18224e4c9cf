package io.walvault.core.hook;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The spool through which PostgreSQL's WAL hooks (archive-push, archive-get) and their
 * workers talk: {@code <pg_wal>/.walvault/} (0700, files 0600), on the file system of
 * PostgreSQL's WAL so that handing over a file is one rename. Its format is versioned and
 * written down in docs/FORMAT.md ("WAL hook spool"):
 *
 * <pre>
 * .walvault/FORMAT            "walvault-spool 1"
 * .walvault/origin            the repository and cluster the statuses are for ("LOCATION SYSTEM-ID")
 * .walvault/ROLE/NAME.pending the worker is at work on NAME: a call for it waits for its answer
 * .walvault/push/NAME.ok      NAME is durable in the repository: archive_command may return 0
 * .walvault/push/NAME.error   pushing NAME failed: first line the exit code, then the message
 * .walvault/get/NAME          NAME restored, checked and fsynced: restore_command renames it to %p
 * .walvault/get/NAME.missing  the archive does not hold NAME, and nothing needs it: 76
 * .walvault/get/NAME.error    NAME cannot be delivered: first line the exit code (150), then the message
 * .walvault/get/want         the segment recovery asked a Java call for last, and the segment size
 * .walvault/ROLE.lock         held by the role's one worker (liveness is this lock, nothing else)
 * .walvault/open.lock         held while {@link #open} checks FORMAT and origin (one opener at a time)
 * .walvault/ROLE.caller       the arguments of the command line the worker serves, before the WAL file's;
 *                             push: a second line, the server's run ({@link PostmasterRun#text})
 * .walvault/ROLE.pid          the worker's pid, for operators (its liveness is the lock alone)
 * .walvault/ROLE.start        a worker is wanted: the next call that answers from the spool starts one
 * .walvault/ROLE.log          the worker's log (kept under 1 MiB, one older copy as ROLE.log.1)
 * </pre>
 *
 * bin/walvault reads only the status file of the WAL file it was called for, and only when
 * {@code ROLE.caller} is its own command line; it consumes what it answers with:
 * renames a ready file to %p, or removes an {@code .ok}, {@code .missing} or {@code .error}
 * after answering with it; and when it finds {@code ROLE.start}, removes it and starts the
 * worker in the background, without waiting for it; every other decision is Java's.
 * Everything is written to a temporary name ({@code .NAME.<pid>-<n>.tmp}) and renamed, so a
 * reader sees a whole file or none. Thread-safe.
 *
 * <p>Length: the spool format has one owner: every kind of file above is written and read here, so
 * the format docs/FORMAT.md describes is in one class.
 */
public final class HookSpool {

    /** The spool directory inside pg_wal. */
    public static final String DIRECTORY = ".walvault";
    /** The spool format this walvault writes and reads. */
    public static final int FORMAT = 1;
    private static final String FORMAT_LINE = "walvault-spool " + FORMAT;
    private static final AtomicLong SEQUENCE = new AtomicLong();

    /** Which hook a part of the spool serves. */
    public enum Role {
        PUSH("push"),
        GET("get");

        private final String dir;

        Role(String dir) {
            this.dir = dir;
        }

        /** The name of its directory, lock and log. */
        public String directoryName() {
            return dir;
        }
    }

    /** What the spool says of one WAL file. */
    public sealed interface Status {
        /** push: durable in the repository. */
        record Ok() implements Status {
        }

        /** get: restored into the spool, ready to be handed over. */
        record Ready(Path file) implements Status {
        }

        /** get: not in the archive, and nothing needs it. */
        record Missing() implements Status {
        }

        /** The worker is at work on it: an answer follows. */
        record Pending() implements Status {
        }

        /** A failure to report: the exit code and the message for PostgreSQL's log. */
        record Error(int exitCode, String message) implements Status {
        }
    }

    private final Path walDirectory;
    private final Path root;

    /** @param walDirectory PostgreSQL's WAL directory (that of %p) */
    public HookSpool(Path walDirectory) {
        this.walDirectory = requireNonNull(walDirectory, "walDirectory is null").toAbsolutePath();
        this.root = this.walDirectory.resolve(DIRECTORY);
    }

    /** PostgreSQL's WAL directory. */
    public Path walDirectory() {
        return walDirectory;
    }

    /** The spool's directory. */
    public Path root() {
        return root;
    }

    /** The directory of {@code role}. */
    public Path dir(Role role) {
        return root.resolve(role.directoryName());
    }

    /** The lock file of {@code role}'s worker. */
    public Path lockFile(Role role) {
        return root.resolve(role.directoryName() + ".lock");
    }

    /** The log file of {@code role}'s worker. */
    public Path logFile(Role role) {
        return root.resolve(role.directoryName() + ".log");
    }

    /**
     * Records that this process is {@code role}'s worker for the command line {@code caller}
     * (its arguments before the WAL file's): bin/walvault answers from the statuses only for
     * that command line, and waits for this worker while it runs. Call with the lock held.
     */
    public void claim(Role role, String caller) throws IOException {
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir(role), "*.pending")) {
            for (Path p : ds) {
                Files.deleteIfExists(p); // an earlier worker's, killed at work
            }
        }
        replace(root.resolve(role.directoryName() + ".pid"), Long.toString(ProcessHandle.current().pid()));
        // push: the second line names the server's run, so that the answers of a push worker killed in an earlier run
        // (perhaps with other settings in its environment) are no answers in this one
        Path data = walDirectory.getParent();
        replace(root.resolve(role.directoryName() + ".caller"), caller.replace('\n', ' ') + (role == Role.PUSH
                ? "\n" + (data == null ? PostmasterRun.NONE : PostmasterRun.of(data)).text() : ""));
        Files.deleteIfExists(startRequest(role)); // wanted, and here
    }

    /**
     * Asks for {@code role}'s worker without starting it: the next call that bin/walvault answers
     * from the spool starts it in the background, so that it is at work before the answers
     * already in the spool run out. {@code walvault restore} asks this way after it filled the
     * spool: the server may start minutes later, and a worker waiting for it would have given up.
     */
    public void requestWorker(Role role) throws IOException {
        replace(startRequest(role), "");
    }

    /** The file that {@link #requestWorker} writes and {@link #claim} removes. */
    private Path startRequest(Role role) {
        return root.resolve(role.directoryName() + ".start");
    }

    /**
     * Records that the statuses of {@code role} serve the command line {@code caller}, without
     * a worker: {@code walvault restore} announces the segments it fetched ahead this way.
     */
    public void announce(Role role, String caller) throws IOException {
        replace(root.resolve(role.directoryName() + ".caller"), caller.replace('\n', ' '));
    }

    /** Undoes {@link #claim} (the worker ends): no call waits for it or answers from its statuses any more. */
    public void release(Role role) throws IOException {
        Files.deleteIfExists(root.resolve(role.directoryName() + ".caller"));
        Files.deleteIfExists(root.resolve(role.directoryName() + ".pid"));
    }

    /** Where a ready file of the get role lives. */
    public Path ready(String name) {
        return dir(Role.GET).resolve(checkName(name));
    }

    /** The file {@link #open} locks while it checks and, when needed, resets the spool. */
    static final String OPEN_LOCK = "open.lock";
    private static final Object OPENING = new Object();

    /**
     * Makes the spool usable for {@code origin} (the repository and cluster): creates it,
     * refuses or replaces a spool of another format, and forgets every status when the origin
     * changed (statuses of another repository or cluster mean nothing here). Returns whether
     * statuses were forgotten.
     */
    public boolean open(String origin) throws IOException {
        requireNonNull(origin, "origin is null");
        if (origin.contains("\n")) {
            throw new IllegalArgumentException("origin has a line break");
        }
        mkdir(root);
        // one opener at a time (threads of this process, and other processes): two first openers of a fresh spool
        // would otherwise each find no origin yet and purge what the other had just written under it
        synchronized (OPENING) {
            FileChannel lockFile;
            try {
                lockFile = FileChannel.open(root.resolve(OPEN_LOCK), Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE),
                        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            } catch (AccessDeniedException e) {
                return openLocked(origin); // another user's lock file: as before the lock existed (statuses are the cache)
            }
            try (lockFile; FileLock held = lockFile.lock()) {
                return openLocked(origin);
            }
        }
    }

    private boolean openLocked(String origin) throws IOException {
        mkdir(dir(Role.PUSH));
        mkdir(dir(Role.GET));
        String format = line(root.resolve("FORMAT"));
        boolean forget = false;
        if (!format.equals(FORMAT_LINE)) {
            // an older walvault's spool, or none yet: what is in it is not read
            forget = true;
            replace(root.resolve("FORMAT"), FORMAT_LINE);
        }
        if (!origin.equals(line(root.resolve("origin")))) {
            forget = true;
        }
        if (forget) {
            purge(Role.PUSH);
            purge(Role.GET);
            replace(root.resolve("origin"), origin);
        }
        return forget;
    }

    /** The origin the statuses are for, or "" before {@link #open}. */
    public String origin() {
        return line(root.resolve("origin"));
    }

    /** The worker is at work on {@code name}: calls for it wait for the answer that follows. */
    public void markPending(Role role, String name) throws IOException {
        Path p = dir(role).resolve(checkName(name) + ".pending");
        if (!Files.exists(p)) {
            replace(p, "");
        }
    }

    /** Withdraws {@link #markPending} (the worker will not answer {@code name} after all). */
    public void unmarkPending(Role role, String name) throws IOException {
        Files.deleteIfExists(dir(role).resolve(checkName(name) + ".pending"));
    }

    /** push: {@code name} is durable in the repository. */
    public void markOk(String name) throws IOException {
        replace(dir(Role.PUSH).resolve(checkName(name) + ".ok"), "");
        Files.deleteIfExists(dir(Role.PUSH).resolve(name + ".error"));
        unmarkPending(Role.PUSH, name); // after the answer: a call that sees neither does not give up on it
    }

    /** get: the archive does not hold {@code name}, and nothing needs it. */
    public void markMissing(String name) throws IOException {
        replace(dir(Role.GET).resolve(checkName(name) + ".missing"), "");
        unmarkPending(Role.GET, name);
    }

    /** get: a fetched file is moved into place as ready ({@code file} a {@link #temporary} of it). */
    public void markReady(String name, Path file) throws IOException {
        Files.move(file, ready(name), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        unmarkPending(Role.GET, name);
    }

    /** A failure for {@code name} that the next call for it reports with {@code exitCode}. */
    public void markError(Role role, String name, int exitCode, String message) throws IOException {
        if (exitCode < 1 || exitCode > 255) {
            throw new IllegalArgumentException("exit code " + exitCode);
        }
        replace(dir(role).resolve(checkName(name) + ".error"), exitCode + "\n" + message.replace("\r", ""));
        unmarkPending(role, name);
    }

    /** What the spool holds for {@code name} in {@code role}'s directory, if anything. */
    public Optional<Status> status(Role role, String name) {
        Path d = dir(role);
        checkName(name);
        Path error = d.resolve(name + ".error");
        if (Files.isRegularFile(error)) {
            String text = read(error);
            int nl = text.indexOf('\n');
            try {
                int code = Integer.parseInt((nl < 0 ? text : text.substring(0, nl)).strip());
                return Optional.of(new Status.Error(code, nl < 0 ? "" : text.substring(nl + 1).strip()));
            } catch (NumberFormatException e) {
                return Optional.empty(); // being written or damaged: as if absent
            }
        }
        if (role == Role.PUSH && Files.isRegularFile(d.resolve(name + ".ok"))) {
            return Optional.of(new Status.Ok());
        }
        if (role == Role.GET && Files.isRegularFile(d.resolve(name))) {
            return Optional.of(new Status.Ready(d.resolve(name)));
        }
        if (role == Role.GET && Files.isRegularFile(d.resolve(name + ".missing"))) {
            return Optional.of(new Status.Missing());
        }
        return Files.isRegularFile(d.resolve(name + ".pending")) ? Optional.of(new Status.Pending()) : Optional.empty();
    }

    /** Forgets every status of {@code name} in {@code role}'s directory (and a ready file). */
    public void clear(Role role, String name) throws IOException {
        Path d = dir(role);
        checkName(name);
        for (String suffix : new String[] {".ok", ".missing", ".error", ".pending", ""}) {
            if (role == Role.PUSH && suffix.isEmpty()) {
                continue;
            }
            Files.deleteIfExists(d.resolve(name + suffix));
        }
    }

    /** Removes every status, ready file and leftover temporary file of {@code role}. */
    public void purge(Role role) throws IOException {
        Path d = dir(role);
        if (!Files.isDirectory(d)) {
            return;
        }
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(d)) {
            for (Path p : ds) {
                Files.deleteIfExists(p);
            }
        }
    }

    /** A temporary file beside where {@code name} goes in {@code role}'s directory (rename it into place). */
    public Path temporary(Role role, String name) {
        return dir(role).resolve("." + checkName(name) + "." + ProcessHandle.current().pid() + "-" + SEQUENCE.incrementAndGet()
                + ".tmp");
    }

    /** Whether a temporary file of {@code name} is in {@code role}'s directory: a worker is writing it. */
    public boolean inFlight(Role role, String name) {
        String prefix = "." + checkName(name) + ".";
        // .NAME.*.tmp, matched by hand: a glob is compiled into a regular expression on every call
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir(role), p -> {
            String n = p.getFileName().toString();
            return n.length() >= prefix.length() + ".tmp".length() && n.startsWith(prefix) && n.endsWith(".tmp");
        })) {
            return ds.iterator().hasNext();
        } catch (IOException e) {
            return false;
        }
    }

    /** Replaces {@code file} with {@code content} (0600), atomically. */
    public void replace(Path file, String content) throws IOException {
        Path tmp = file.resolveSibling("." + file.getFileName() + "." + ProcessHandle.current().pid() + "-"
                + SEQUENCE.incrementAndGet() + ".tmp");
        try {
            Files.deleteIfExists(tmp);
            Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(tmp, content.isEmpty() ? "" : content + "\n", StandardCharsets.UTF_8);
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                throw new IOException("cannot rename '" + tmp + "' to '" + file + "' atomically", e);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** The first line of {@code file}, or "" if it cannot be read. */
    public String line(Path file) {
        String text = read(file);
        int nl = text.indexOf('\n');
        return (nl < 0 ? text : text.substring(0, nl)).strip();
    }

    private static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return "";
        } catch (IOException e) {
            return "";
        }
    }

    private static void mkdir(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            try {
                Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            } catch (FileAlreadyExistsException e) {
                // made meanwhile
            }
        }
    }

    /** A WAL file name, as PostgreSQL passes %f: letters, digits and dots only (no path). */
    static String checkName(String name) {
        requireNonNull(name, "name is null");
        if (name.isEmpty() || name.charAt(0) == '.' || !lettersDigitsDots(name)) {
            throw new IllegalArgumentException("'" + name + "' is not a WAL file name");
        }
        return name;
    }

    /** Whether {@code s} holds ASCII letters, digits and dots only (a loop: this runs on every spool look). */
    private static boolean lettersDigitsDots(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (!(c >= '0' && c <= '9' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c == '.')) {
                return false;
            }
        }
        return true;
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "spool '%s'", root);
    }
}
