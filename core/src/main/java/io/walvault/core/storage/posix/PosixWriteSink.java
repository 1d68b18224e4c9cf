package io.walvault.core.storage.posix;

import io.walvault.core.pipeline.Sink;
import io.walvault.core.storage.ObjectExistsException;
import io.walvault.core.storage.Storage.WriteMode;
import io.walvault.core.storage.StorageErrors;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;

/**
 * One local write: {@code .<name>.<random>.tmp} beside the target, created 0600 on the first
 * byte; {@code finish} fsyncs it, publishes it (link(2) for create, which fails atomically if the
 * target exists; rename(2) for overwrite), removes the temporary name and fsyncs the directory
 * (for {@code CREATE_NAME_SYNCED_LATER}, {@link PosixStorage#syncNames} does, later).
 * {@code close} without finish deletes the temporary file.
 */
final class PosixWriteSink implements Sink {

    /**
     * The names of temporary files: {@code .<name>.<hex>.tmp} (object keys never have a segment
     * starting with a dot, so no object can match). docs/FORMAT.md documents it.
     */
    static final Pattern TEMP_NAME = Pattern.compile("\\..+\\.[0-9a-f]+\\.tmp");

    private final PosixStorage storage;
    private final String key;
    private final Path target;
    private final WriteMode mode;
    private Path temp;
    private FileChannel channel;
    private boolean finished;
    private boolean closed;

    PosixWriteSink(PosixStorage storage, String key, Path target, WriteMode mode) {
        this.storage = storage;
        this.key = key;
        this.target = target;
        this.mode = mode;
    }

    private void open() throws IOException {
        storage.createDirectories(target.getParent());
        // unique by CREATE_NEW; the name only has to make a clash unlikely (a UUID's SecureRandom
        // costs a short-lived process tens of milliseconds of start-up)
        temp = target.resolveSibling("." + target.getFileName() + "." + Long.toHexString(ThreadLocalRandom.current().nextLong())
                + Long.toHexString(System.nanoTime()) + ".tmp");
        channel = FileChannel.open(temp, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
                PosixStorage.FILE_MODE);
        storage.adopt(temp); // before it is published: the object appears with its final owner
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        if (finished || closed) {
            throw new IllegalStateException("write after finish or close");
        }
        try {
            if (channel == null) {
                open();
            }
            ByteBuffer buf = ByteBuffer.wrap(b, off, len);
            while (buf.hasRemaining()) {
                channel.write(buf);
            }
        } catch (IOException e) {
            throw StorageErrors.failed("write", key, storage.location(), e);
        }
    }

    @Override
    public void finish() throws IOException {
        if (finished || closed) {
            throw new IllegalStateException("finish after finish or close");
        }
        try {
            if (channel == null) {
                open();
            }
            channel.force(true);
            channel.close();
            channel = null;
            if (mode.createOnly()) {
                try {
                    // link(2) fails if the target exists: atomic create-if-absent
                    Files.createLink(target, temp);
                } catch (FileAlreadyExistsException e) {
                    throw new ObjectExistsException(key, storage.location());
                }
                Files.delete(temp);
            } else {
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            }
            temp = null;
            if (mode != WriteMode.CREATE_NAME_SYNCED_LATER) {
                PosixStorage.fsyncDirectory(target.getParent()); // else the caller's syncNames, once per directory
            }
            finished = true;
        } catch (IOException e) {
            throw StorageErrors.failed("publish", key, storage.location(), e);
        }
    }

    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        IOException failure = null;
        if (channel != null) {
            try {
                channel.close();
            } catch (IOException e) {
                failure = e;
            }
        }
        if (temp != null) {
            try {
                Files.deleteIfExists(temp);
            } catch (IOException e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        if (failure != null) {
            throw StorageErrors.failed("discard the unfinished write of", key, storage.location(), failure);
        }
    }
}
