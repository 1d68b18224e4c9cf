package io.walvault.restore.get;

import static java.util.Objects.requireNonNull;

import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;
import io.walvault.core.pipeline.Sink;
import io.walvault.core.repo.WalArchive;
import io.walvault.core.storage.ObjectNotFoundException;
import io.walvault.core.wal.WalFileName;
import io.walvault.core.wal.WalFormat;
import io.walvault.core.wal.WalPageHeader;
import io.walvault.core.wal.WalSegmentValidator;
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
     * Decodes {@code name} from {@code archive} into {@code target}, which then is a complete,
     * checked WAL file. Returns the size written.
     *
     * @throws ObjectNotFoundException if the archive does not hold {@code name}
     */
    static long write(WalArchive archive, WalFileName name, OptionalLong systemId, Path target) throws IOException {
        requireNonNull(archive, "archive is null");
        Path dir = target.toAbsolutePath().getParent();
        Path tmp = dir.resolve("." + target.getFileName() + ".walvault-" + ProcessHandle.current().pid() + "-"
                + SEQUENCE.incrementAndGet() + ".tmp");
        boolean done = false;
        try {
            long size;
            try (FileChannel ch = FileChannel.open(tmp, java.util.Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")))) {
                SegmentSink sink = new SegmentSink(ch, name, systemId);
                archive.get(name, sink);
                size = sink.written;
                if (name.kind() == WalFileName.Kind.PARTIAL && size < sink.segmentSize) {
                    // recovery reads whole segments: the rest of a streamed partial is zeros, as the server's own
                    ch.truncate(sink.segmentSize);
                    ch.position(sink.segmentSize - 1);
                    ch.write(ByteBuffer.wrap(new byte[1]));
                    size = sink.segmentSize;
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
            return size;
        } catch (IOException e) {
            throw new WalvaultException(ErrorCode.WAL_WRITE_FAILED, "cannot write WAL file '" + name + "' to '" + target + "': " + e
                    + " HINT: check free space and permissions of '" + dir + "'", e);
        } finally {
            if (!done) {
                Files.deleteIfExists(tmp);
            }
        }
    }

    /** Writes to the channel and validates segments; learns the segment size from the first page. */
    private static final class SegmentSink implements Sink {
        private final FileChannel channel;
        private final WalFileName name;
        private final OptionalLong systemId;
        private final boolean segment;
        private final ByteBuffer header = ByteBuffer.allocate(WalFormat.LONG_PAGE_HEADER_SIZE);
        private final java.io.ByteArrayOutputStream held = new java.io.ByteArrayOutputStream();
        private WalSegmentValidator validator;
        long segmentSize;
        long written;

        SegmentSink(FileChannel channel, WalFileName name, OptionalLong systemId) {
            this.channel = channel;
            this.name = name;
            this.systemId = systemId;
            this.segment = name.kind() == WalFileName.Kind.SEGMENT || name.kind() == WalFileName.Kind.PARTIAL;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            if (segment) {
                if (validator == null) {
                    // the segment size is in the first page's long header: hold bytes until it is complete
                    held.write(b, off, len);
                    if (held.size() < WalFormat.LONG_PAGE_HEADER_SIZE) {
                        return;
                    }
                    byte[] first = held.toByteArray();
                    header.put(first, 0, WalFormat.LONG_PAGE_HEADER_SIZE).flip();
                    WalPageHeader h = WalPageHeader.decode(header);
                    segmentSize = h.segmentSize();
                    if (!h.isLong() || segmentSize < 1024 * 1024 || segmentSize > 1024L * 1024 * 1024 || Long.bitCount(segmentSize) != 1) {
                        throw new io.walvault.core.error.CorruptDataException("archived WAL file '" + name
                                + "' does not start with a valid long page header");
                    }
                    validator = new WalSegmentValidator(name, segmentSize, systemId);
                    b = first;
                    off = 0;
                    len = first.length;
                }
                validator.update(b, off, len);
            }
            ByteBuffer buf = ByteBuffer.wrap(b, off, len);
            while (buf.hasRemaining()) {
                channel.write(buf);
            }
            written += len;
        }

        @Override
        public void finish() {
            if (segment) {
                if (validator == null) {
                    throw new io.walvault.core.error.CorruptDataException("archived WAL file '" + name + "' is only "
                            + held.size() + " bytes long");
                }
                validator.finish();
            }
        }

        @Override
        public void close() {
        }
    }
}
