package io.walvault.core.hook;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import java.util.Set;

/**
 * The lock that makes a worker the one worker of its spool role, and the only sign that it is
 * alive: the kernel releases it when the process ends, however it ends (kill -9 included), so
 * nothing judges liveness by pid files. Close it to release.
 */
public final class WorkerLock implements AutoCloseable {

    private final FileChannel channel;
    private final FileLock lock;

    private WorkerLock(FileChannel channel, FileLock lock) {
        this.channel = channel;
        this.lock = lock;
    }

    /** Takes the lock at {@code file}, or returns empty if another process (or this one) holds it. */
    public static Optional<WorkerLock> tryAcquire(Path file) throws IOException {
        requireNonNull(file, "file is null");
        FileChannel ch = FileChannel.open(file, Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        try {
            FileLock l = ch.tryLock();
            if (l == null) {
                ch.close();
                return Optional.empty();
            }
            return Optional.of(new WorkerLock(ch, l));
        } catch (OverlappingFileLockException e) {
            ch.close();
            return Optional.empty();
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    /** Whether a worker holds the lock at {@code file} now. */
    public static boolean isHeld(Path file) throws IOException {
        Optional<WorkerLock> l = tryAcquire(file);
        l.ifPresent(WorkerLock::close);
        return l.isEmpty();
    }

    @Override
    public void close() {
        try {
            lock.release();
        } catch (IOException e) {
            // the channel's close releases it too
        }
        try {
            channel.close();
        } catch (IOException e) {
            // nothing more to release
        }
    }
}
