package io.walvault.restore.run;

import static java.util.Objects.requireNonNull;

import io.walvault.core.manifest.FileChecksum;
import io.walvault.core.repo.ManifestFile;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * {@code restore --delta}: whether a file already where the backup's file goes is that file,
 * by size and then by the manifest's checksum over its whole content (read through one 1 MiB
 * buffer per thread), or an older version of it (then rewritten in place). Modification times are not trusted: a file rewritten within the same
 * second, or copied with its time kept, is still read. A file whose manifest records no
 * checksum never matches (it is written again). Thread-safe.
 */
final class ExistingFiles {

    private static final ThreadLocal<ByteBuffer> BUFFER = ThreadLocal.withInitial(() -> ByteBuffer.allocateDirect(1 << 20));

    private final TablespaceLayout layout;

    ExistingFiles(TablespaceLayout layout) {
        this.layout = requireNonNull(layout, "layout is null");
    }

    /** What stands where a backup's file goes. */
    enum State {
        /** a regular file with the backup's size and checksum */
        SAME,
        /** a regular file with other content: rewritten in place, page by page */
        CHANGED,
        /** nothing, or something that is not a regular file */
        ABSENT
    }

    /** Compares the file at {@code f}'s place with {@code f}. */
    State compare(ManifestFile f) throws IOException {
        Path p = layout.place(f.path());
        BasicFileAttributes a;
        try {
            a = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            return State.ABSENT;
        }
        if (!a.isRegularFile()) {
            return State.ABSENT;
        }
        return matches(p, a, f) ? State.SAME : State.CHANGED;
    }

    private static boolean matches(Path p, BasicFileAttributes a, ManifestFile f) throws IOException {
        ManifestFile.Checksum want = f.expectedChecksum();
        if (a.size() != f.size() || want.algorithm().equals("NONE")) {
            return false;
        }
        FileChecksum sum = FileChecksum.of(want.algorithm());
        ByteBuffer buf = BUFFER.get();
        long read = 0;
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
            while (true) {
                buf.clear();
                int n = ch.read(buf);
                if (n < 0) {
                    break;
                }
                read += n;
                buf.flip();
                sum.update(buf);
            }
        }
        return read == f.size() && sum.hex().equals(want.hex());
    }
}
