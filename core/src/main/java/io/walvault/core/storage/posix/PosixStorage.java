package io.walvault.core.storage.posix;

import static java.util.Objects.requireNonNull;

import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;
import io.walvault.core.pipeline.Sink;
import io.walvault.core.storage.AbandonedWrites;
import io.walvault.core.storage.ObjectInfo;
import io.walvault.core.storage.ObjectNotFoundException;
import io.walvault.core.storage.Storage;
import io.walvault.core.storage.StorageErrors;
import io.walvault.core.storage.StorageFeature;
import io.walvault.core.storage.StorageKeys;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.EnumSet;
import java.util.Iterator;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/**
 * A repository in a local directory (or a mounted file system: NFS, a backup disk). Each object
 * is a file at its key's path. Writes go to a hidden temporary file beside the target, which is
 * fsynced, then linked (create) or renamed (overwrite) into place, then the directory is
 * fsynced: after {@code finish} returns the object survives a power loss, and before it no file
 * exists under the key. Files are created 0600 and directories 0700: a repository holds a
 * database's data.
 *
 * <p><b>Owner.</b> A process running as root (a DBA's {@code sudo walvault backup}) in a
 * repository whose root directory belongs to another user (the PostgreSQL user, whose
 * {@code archive_command} writes there) gives every directory and file it creates that owner and
 * group: a file right after it was created under its temporary name, before it is published; a
 * directory right after {@code mkdir}. Otherwise root-owned 0700 directories would make the next
 * {@code archive_command} fail. Thread-safe.
 */
public final class PosixStorage implements Storage {

    static final FileAttribute<Set<PosixFilePermission>> FILE_MODE =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));
    static final FileAttribute<Set<PosixFilePermission>> DIR_MODE =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"));

    /** Whether this process runs as root (uid 0), and so may give what it creates to another user. */
    static final boolean RUNNING_AS_ROOT = runningAsRoot();

    /** The user and group of the repository's root directory, when it belongs to someone else. */
    record Owner(int uid, int gid) {
    }

    private final Path root;
    private final boolean adopt;
    /** Null until the root directory was seen; then {@link #NOBODY_ELSE} or its owner. */
    private volatile Owner owner;
    private static final Owner NOBODY_ELSE = new Owner(-1, -1);

    /** A storage rooted at {@code root}, which is created (0700) on the first write if missing. */
    public PosixStorage(Path root) {
        this(root, RUNNING_AS_ROOT);
    }

    /** As {@link #PosixStorage(Path)}; {@code adopt}: give new entries the root directory's owner (tests). */
    PosixStorage(Path root, boolean adopt) {
        this.root = requireNonNull(root, "root is null").toAbsolutePath().normalize();
        this.adopt = adopt;
    }

    private static boolean runningAsRoot() {
        try {
            return ((Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid")) == 0;
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException | ClassCastException e) {
            return "root".equals(System.getProperty("user.name"));
        }
    }

    /**
     * The owner new entries get, or null to keep the process's own: only when running as root
     * and the root directory belongs to another user (read once, when it exists).
     */
    private Owner owner() throws IOException {
        if (!adopt) {
            return null;
        }
        Owner o = owner;
        if (o == null) {
            if (!Files.isDirectory(root, LinkOption.NOFOLLOW_LINKS)) {
                return null; // created by this process: its own
            }
            int uid = (Integer) Files.getAttribute(root, "unix:uid", LinkOption.NOFOLLOW_LINKS);
            int gid = (Integer) Files.getAttribute(root, "unix:gid", LinkOption.NOFOLLOW_LINKS);
            o = uid == 0 ? NOBODY_ELSE : new Owner(uid, gid);
            owner = o;
        }
        return o == NOBODY_ELSE ? null : o;
    }

    /** Gives {@code p}, just created by this process, to the repository's owner (see the class comment). */
    void adopt(Path p) throws IOException {
        Owner o = owner();
        if (o != null) {
            Files.setAttribute(p, "unix:uid", o.uid(), LinkOption.NOFOLLOW_LINKS);
            Files.setAttribute(p, "unix:gid", o.gid(), LinkOption.NOFOLLOW_LINKS);
        }
    }

    Path root() {
        return root;
    }

    Path path(String key) {
        return root.resolve(StorageKeys.check(key));
    }

    @Override
    public InputStream newRead(String key, long offset, long length) {
        Path p = path(key);
        if (offset < 0) {
            throw new IllegalArgumentException("offset " + offset + " is negative");
        }
        try {
            FileChannel ch = FileChannel.open(p, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);
            ch.position(offset);
            InputStream in = new ReadErrors(Channels.newInputStream(ch), key);
            return length < 0 ? in : new BoundedInputStream(in, length);
        } catch (NoSuchFileException e) {
            throw new ObjectNotFoundException(key, location());
        } catch (IOException e) {
            throw StorageErrors.failed("read", key, location(), e);
        }
    }

    /** A failure while reading (EIO, a file system gone) is a storage error naming the object, like any other. */
    private final class ReadErrors extends FilterInputStream {
        private final String key;

        ReadErrors(InputStream in, String key) {
            super(in);
            this.key = key;
        }

        @Override
        public int read() throws IOException {
            try {
                return in.read();
            } catch (ClosedByInterruptException e) {
                throw e;
            } catch (IOException e) {
                throw StorageErrors.failed("read", key, location(), e);
            }
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            try {
                return in.read(b, off, len);
            } catch (ClosedByInterruptException e) {
                throw e;
            } catch (IOException e) {
                throw StorageErrors.failed("read", key, location(), e);
            }
        }

        @Override
        public long skip(long n) throws IOException {
            try {
                return in.skip(n);
            } catch (ClosedByInterruptException e) {
                throw e;
            } catch (IOException e) {
                throw StorageErrors.failed("read", key, location(), e);
            }
        }
    }

    @Override
    public Sink newWrite(String key, WriteMode mode) {
        return new PosixWriteSink(this, key, path(key), requireNonNull(mode, "mode is null"));
    }

    @Override
    public Optional<ObjectInfo> info(String key) {
        Path p = path(key);
        try {
            BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            if (!a.isRegularFile()) {
                return Optional.empty();
            }
            return Optional.of(new ObjectInfo(key, a.size(), a.lastModifiedTime().toInstant()));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw StorageErrors.failed("stat", key, location(), e);
        }
    }

    @Override
    public Stream<ObjectInfo> list(String prefix) {
        Path dir = prefixDirectory(prefix);
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            return Stream.empty();
        }
        Iterator<ObjectInfo> walk = new SortedWalk(root, location(), dir, prefix.substring(prefix.lastIndexOf('/') + 1));
        return StreamSupport.stream(Spliterators.spliteratorUnknownSize(walk, Spliterator.ORDERED | Spliterator.NONNULL), false)
                .filter(i -> i.key().startsWith(prefix));
    }

    /**
     * One directory read ({@link SortedWalk#children}): its files, and its directories that hold
     * at least one object, as {@link #list} would name them.
     */
    @Override
    public Stream<String> listChildren(String prefix) {
        Path dir = prefixDirectory(StorageKeys.checkParent(prefix));
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            return Stream.empty();
        }
        return SortedWalk.children(root, location(), dir).stream();
    }

    /** The directory a (checked) prefix's keys lie in: {@code a/b/c} and {@code a/b/} are in {@code a/b}. */
    private Path prefixDirectory(String prefix) {
        StorageKeys.checkPrefix(prefix);
        int slash = prefix.lastIndexOf('/');
        return slash < 0 ? root : root.resolve(prefix.substring(0, slash));
    }

    /**
     * Fsyncs the directory {@code prefix} names and each directory directly in it: the layouts
     * that defer their names ({@code chunks/<aa>/<name>}) keep objects at most one level below
     * the prefix, and reading deeper would list every object.
     */
    @Override
    public void syncNames(String prefix) {
        Path dir = prefixDirectory(prefix);
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
            for (Path d : entries) {
                if (Files.isDirectory(d, LinkOption.NOFOLLOW_LINKS)) {
                    fsyncDirectory(d);
                }
            }
            fsyncDirectory(dir);
        } catch (IOException e) {
            throw StorageErrors.failed("fsync the directories of", prefix, location(), e);
        }
    }

    @Override
    public void remove(String key) {
        Path p = path(key);
        try {
            if (Files.deleteIfExists(p)) {
                fsyncDirectory(p.getParent());
            }
        } catch (IOException e) {
            throw StorageErrors.failed("remove", key, location(), e);
        }
    }

    /**
     * Every directory of the repository, for temporary files ({@link PosixWriteSink#TEMP_NAME})
     * not modified since {@code untouchedSince}: what a writer killed before {@code finish} or
     * {@code close} left. Symbolic links are not followed; other hidden files are left alone.
     */
    @Override
    public AbandonedWrites removeAbandonedWrites(Instant untouchedSince, boolean dryRun) {
        requireNonNull(untouchedSince, "untouchedSince is null");
        if (!Files.isDirectory(root, LinkOption.NOFOLLOW_LINKS)) {
            return AbandonedWrites.NONE;
        }
        long[] found = new long[2];
        try {
            Files.walkFileTree(root, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes a) throws IOException {
                    if (!a.isRegularFile() || !PosixWriteSink.TEMP_NAME.matcher(file.getFileName().toString()).matches()
                            || !a.lastModifiedTime().toInstant().isBefore(untouchedSince)) {
                        return FileVisitResult.CONTINUE;
                    }
                    if (dryRun || Files.deleteIfExists(file)) {
                        found[0]++;
                        found[1] += a.size();
                    }
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
                    if (e instanceof NoSuchFileException) {
                        return FileVisitResult.CONTINUE; // removed meanwhile
                    }
                    throw e;
                }
            });
        } catch (IOException e) {
            throw StorageErrors.failed("remove abandoned temporary files", null, location(), e);
        }
        return new AbandonedWrites(found[0], found[1]);
    }

    @Override
    public Set<StorageFeature> features() {
        return EnumSet.of(StorageFeature.ATOMIC_CREATE);
    }

    @Override
    public String location() {
        return root.toUri().toString();
    }

    @Override
    public void close() {
        // no resources held between calls
    }

    /** Creates {@code dir} and missing parents with mode 0700, fsyncing each new entry's parent. */
    void createDirectories(Path dir) throws IOException {
        if (Files.isDirectory(dir)) {
            return;
        }
        Path parent = dir.getParent();
        if (parent != null) {
            createDirectories(parent);
        }
        try {
            Files.createDirectory(dir, DIR_MODE);
            adopt(dir);
            if (parent != null) {
                fsyncDirectory(parent);
            }
        } catch (FileAlreadyExistsException e) {
            if (!Files.isDirectory(dir)) {
                throw new WalvaultException(ErrorCode.STORAGE, "'" + dir + "' exists and is not a directory", e);
            }
        }
    }

    @Override
    public void syncName(String key) throws IOException {
        Path dir = path(key).getParent();
        if (Files.isDirectory(dir)) {
            fsyncDirectory(dir); // the object's entry
            if (dir.getParent() != null && !dir.equals(root)) {
                fsyncDirectory(dir.getParent()); // the directory's own entry, if another writer just created it
            }
        }
    }

    static void fsyncDirectory(Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }
}
