package io.walvault.archiver.stream;

import static java.util.Objects.requireNonNull;

import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;
import io.walvault.core.wal.Lsn;
import io.walvault.core.wal.TimelineId;
import io.walvault.core.wal.WalSegmentName;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * The streaming agent's local spool: WAL received from the server is written here, at the
 * position the server says, into one file per segment, before anything is acknowledged.
 *
 * <pre>
 *   XLogData(start, bytes) ──write()──▶ NNN.partial ──segment full──▶ fsync, rename to NNN ──▶ listener
 *                                        │
 *                                        └── flush(): fsync, returns the position durable on local disk
 * </pre>
 *
 * <p>Contract: writes are contiguous (each starts where the previous ended; anything else is a
 * gap and is refused, never papered over); a payload crossing a segment boundary is split. A
 * completed segment is fsynced, renamed to its final name and its directory fsynced before the
 * listener hears of it. The segment in progress keeps the {@code .partial} suffix; at a timeline
 * switch it is closed as the old timeline's final partial segment.
 *
 * <p>What the spool holds is never more than a cache of what the server still keeps for the
 * replication slot (the slot only moves once the repository holds the WAL), so after a crash
 * the agent may discard the spool and stream again from the slot.
 *
 * <p>Not thread-safe: the receive loop owns it.
 */
public final class WalSpool implements AutoCloseable {

    /** A segment that is complete on local disk. */
    public record CompletedSegment(WalSegmentName name, Path file) {
    }

    /** The segment in progress: its file and how much of it holds received WAL. */
    public record PartialSegment(WalSegmentName name, Path file, long validBytes) {
    }

    private final Path dir;
    private final long segmentSize;
    private final Consumer<CompletedSegment> onComplete;
    private TimelineId timeline;
    private Lsn position;
    private Lsn flushed;
    private FileChannel current;
    private WalSegmentName currentName;

    /**
     * @param dir the spool directory (created 0700 if missing)
     * @param segmentSize the cluster's WAL segment size
     * @param timeline the timeline being streamed
     * @param start where streaming starts: a segment boundary
     * @param onComplete told of each segment once it is complete and durable on local disk
     */
    public WalSpool(Path dir, long segmentSize, TimelineId timeline, Lsn start, Consumer<CompletedSegment> onComplete) {
        this.dir = requireNonNull(dir, "dir is null");
        this.segmentSize = segmentSize;
        this.timeline = requireNonNull(timeline, "timeline is null");
        this.onComplete = requireNonNull(onComplete, "onComplete is null");
        if (start.segmentOffset(segmentSize) != 0) {
            throw new IllegalArgumentException("streaming into the spool starts at a segment boundary, not " + start);
        }
        this.position = start;
        this.flushed = start;
        try {
            Files.createDirectories(dir);
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the spool directory '" + dir + "'", e);
        }
    }

    /** The position just past the last byte written. */
    public Lsn position() {
        return position;
    }

    /** The position just past the last byte known durable on local disk. */
    public Lsn flushed() {
        return flushed;
    }

    public TimelineId timeline() {
        return timeline;
    }

    /** Writes WAL that starts at {@code dataStart}; it must continue exactly where the spool ends. */
    public void write(Lsn dataStart, ByteBuffer data) {
        if (!dataStart.equals(position)) {
            throw new WalvaultException(ErrorCode.INTERNAL, "WAL received at " + dataStart + " but the spool ends at "
                    + position + " on timeline " + timeline + ": a gap or an overlap in the stream");
        }
        ByteBuffer d = data.duplicate();
        try {
            while (d.hasRemaining()) {
                ensureOpen();
                long left = segmentSize - position.segmentOffset(segmentSize);
                int n = (int) Math.min(left, d.remaining());
                ByteBuffer slice = d.slice();
                slice.limit(n);
                long at = position.segmentOffset(segmentSize);
                while (slice.hasRemaining()) {
                    at += current.write(slice, at);
                }
                d.position(d.position() + n);
                position = position.plus(n);
                if (position.segmentOffset(segmentSize) == 0) {
                    completeCurrent();
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write WAL to the spool '" + dir + "'", e);
        }
    }

    /** Forces what was written to disk; returns the durable position. */
    public Lsn flush() {
        try {
            if (current != null) {
                current.force(false);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot fsync the spool '" + dir + "'", e);
        }
        flushed = position;
        return flushed;
    }

    /** The segment in progress, if one has bytes. */
    public Optional<PartialSegment> partial() {
        if (currentName == null || position.segmentOffset(segmentSize) == 0) {
            return Optional.empty();
        }
        return Optional.of(new PartialSegment(currentName, partialPath(currentName), position.segmentOffset(segmentSize)));
    }

    /**
     * The server ended {@link #timeline()}: the unfinished segment is closed as that timeline's
     * final partial segment (returned), and writing continues on {@code next} from
     * {@code restartAt}, a segment boundary.
     */
    public Optional<PartialSegment> switchTimeline(TimelineId next, Lsn restartAt) {
        if (next.compareTo(timeline) <= 0) {
            throw new IllegalArgumentException("timeline " + next + " does not follow " + timeline);
        }
        if (restartAt.segmentOffset(segmentSize) != 0) {
            throw new IllegalArgumentException("a new timeline is streamed from a segment boundary, not " + restartAt);
        }
        Optional<PartialSegment> last = partial();
        flush();
        closeCurrent();
        timeline = next;
        position = restartAt;
        flushed = restartAt;
        return last;
    }

    private void ensureOpen() throws IOException {
        if (current != null) {
            return;
        }
        currentName = WalSegmentName.of(timeline, position, segmentSize);
        Path p = partialPath(currentName);
        current = FileChannel.open(p, Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.READ),
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    }

    private void completeCurrent() throws IOException {
        current.force(false);
        current.close();
        current = null;
        Path done = dir.resolve(currentName.fileName());
        Files.move(partialPath(currentName), done, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        fsyncDirectory();
        flushed = position;
        WalSegmentName name = currentName;
        currentName = null;
        onComplete.accept(new CompletedSegment(name, done));
    }

    private void closeCurrent() {
        if (current != null) {
            try {
                current.close();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            current = null;
        }
        currentName = null;
    }

    private Path partialPath(WalSegmentName name) {
        return dir.resolve(name.fileName() + ".partial");
    }

    private void fsyncDirectory() throws IOException {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        }
    }

    /** Removes a segment file once the repository holds it. */
    public void release(CompletedSegment s) {
        try {
            Files.deleteIfExists(s.file());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot remove '" + s.file() + "' from the spool", e);
        }
    }

    /** Removes everything in the spool: used at start, since the slot still holds what it had. */
    public static void clear(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return;
        }
        try (Stream<Path> files = Files.list(dir)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                if (Files.isRegularFile(p)) {
                    Files.delete(p);
                }
            }
        }
    }

    @Override
    public void close() {
        if (current != null) {
            flush();
        }
        closeCurrent();
    }
}
