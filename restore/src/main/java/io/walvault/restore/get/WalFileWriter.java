package io.walvault.restore.get;

import static java.util.Objects.requireNonNull;

import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;
import io.walvault.core.pipeline.Sink;
import io.walvault.core.repo.WalArchive;
import io.walvault.core.storage.ObjectNotFoundException;
import io.walvault.core.wal.WalFileName;
import io.walvault.core.wal.WalPipelines;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Writes one archived WAL file to a path, all or nothing: decoded into a hidden temporary file
 * beside the target (0600), validated as it streams when it is a segment (system identifier,
 * segment size, page addresses), zero-padded to the segment size when it is a shorter
 * {@code .partial}, fsynced, then renamed over the target and the directory fsynced. A failure
 * removes the temporary file; the target never holds a partial or unchecked file. Thread-safe.
 */
final class WalFileWriter {

    private static final AtomicLong SEQUENCE = new AtomicLong();

    private WalFileWriter() {
    }

    /**
     * What was written.
     *
     * @param size        bytes at the target (a partial: padded to the segment size)
     * @param segmentSize the segment size its first page declared (0 for history and backup files)
     */
    record Written(long size, long segmentSize) {
    }

    /**
     * Decodes {@code name} from {@code archive} into {@code target}, which then is a complete,
     * checked WAL file:
     *
     * <pre>
     *  archive.get ─▶ WalPipelines.forRestore (the check) ─▶ FileSink (temporary file beside target)
     *              ─▶ pad a partial ─▶ fsync ─▶ rename over target ─▶ fsync directory
     * </pre>
     *
     * @throws ObjectNotFoundException if the archive does not hold {@code name}
     */
    static Written write(WalArchive archive, WalFileName name, OptionalLong systemId, Path target) throws IOException {
        requireNonNull(archive, "archive is null");
        Path dir = target.toAbsolutePath().getParent();
        Path tmp = dir.resolve("." + target.getFileName() + ".walvault-" + ProcessHandle.current().pid() + "-"
                + SEQUENCE.incrementAndGet() + ".tmp");
        boolean done = false;
        try {
            long size;
            long segmentSize = 0;
            try (FileChannel ch = FileChannel.open(tmp, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")))) {
                FileSink file = new FileSink(ch);
                WalPipelines.Chain chain = WalPipelines.forRestore(name, systemId, file);
                archive.get(name, chain);
                size = file.written;
                segmentSize = chain.segmentSize();
                if (name.kind() == WalFileName.Kind.PARTIAL && size < segmentSize) {
                    // recovery reads whole segments: the rest of a streamed partial is zeros, as the server's own
                    ch.truncate(segmentSize);
                    ch.position(segmentSize - 1);
                    ch.write(ByteBuffer.wrap(new byte[1]));
                    size = segmentSize;
                }
                ch.force(true);
            }
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                throw new WalvaultException(ErrorCode.WAL_WRITE_FAILED, "cannot rename '" + tmp + "' to '" + target + "'", e);
            }
            done = true;
            try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
                d.force(true);
            }
            return new Written(size, segmentSize);
        } catch (IOException e) {
            throw new WalvaultException(ErrorCode.WAL_WRITE_FAILED, "cannot write WAL file '" + name + "' to '" + target + "': " + e
                    + " HINT: check free space and permissions of '" + dir + "'", e);
        } finally {
            if (!done) {
                Files.deleteIfExists(tmp);
            }
        }
    }

    /** Writes to the channel; counts. */
    private static final class FileSink implements Sink {
        private final FileChannel channel;
        long written;

        FileSink(FileChannel channel) {
            this.channel = channel;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            ByteBuffer buf = ByteBuffer.wrap(b, off, len);
            while (buf.hasRemaining()) {
                channel.write(buf);
            }
            written += len;
        }

        @Override
        public void finish() {
        }

        @Override
        public void close() {
        }
    }
}
