package io.walvault.archiver.push;

import io.walvault.core.wal.InvalidWalException;
import io.walvault.core.wal.WalFileName;
import io.walvault.core.wal.WalFormat;
import io.walvault.core.wal.WalPageHeader;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.OptionalLong;

/**
 * The long page header at the start of a WAL segment: where archive-push learns a segment's
 * cluster (system identifier) and segment size before it opens the repository.
 */
final class WalFileHeader {

    private WalFileHeader() {
    }

    /** The first page's long header of the segment {@code file}; {@link InvalidWalException} if it has none. */
    static WalPageHeader read(Path file, WalFileName name) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(WalFormat.LONG_PAGE_HEADER_SIZE);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            while (buf.hasRemaining() && ch.read(buf) != -1) {
                // read on
            }
        }
        if (buf.hasRemaining()) {
            throw new InvalidWalException("WAL file '" + name + "' is too short to hold a WAL page header ("
                    + buf.position() + " bytes)");
        }
        buf.flip();
        WalPageHeader h = WalPageHeader.decode(buf);
        if (!h.isLong()) {
            throw new InvalidWalException("WAL file '" + name + "' has no long page header on its first page");
        }
        long size = h.segmentSize();
        if (size < 1024 * 1024 || size > 1024L * 1024 * 1024 || Long.bitCount(size) != 1) {
            throw new InvalidWalException("WAL file '" + name + "' declares an impossible segment size " + size);
        }
        return h;
    }

    /**
     * The system identifier of the newest readable WAL segment in {@code dir} (history and
     * backup files carry none), if there is one.
     */
    static OptionalLong systemIdFromDirectory(Path dir) throws IOException {
        List<Path> segments = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                WalFileName.tryParse(p.getFileName().toString())
                        .filter(n -> n.kind() == WalFileName.Kind.SEGMENT || n.kind() == WalFileName.Kind.PARTIAL)
                        .ifPresent(n -> segments.add(p));
            }
        }
        segments.sort(Comparator.comparing((Path p) -> p.getFileName().toString()).reversed());
        for (Path p : segments) {
            try {
                return OptionalLong.of(read(p, WalFileName.parse(p.getFileName().toString())).systemIdentifier());
            } catch (IOException | InvalidWalException e) {
                // removed meanwhile, or not a segment (a recycled file is still a valid header): try the next
            }
        }
        return OptionalLong.empty();
    }
}
