package io.walvault.archiver.stream;

import static java.util.Objects.requireNonNull;

import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;
import io.walvault.core.repo.WalArchive;
import io.walvault.core.wal.InvalidWalException;
import io.walvault.core.wal.Lsn;
import io.walvault.core.wal.TimelineId;
import io.walvault.core.wal.WalFileName;
import io.walvault.core.wal.WalFormat;
import io.walvault.core.wal.WalSegmentName;
import java.io.BufferedInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Moves WAL from the spool into the repository, each file streamed from the spool through
 * {@link WalArchive#put} (which checks it as WAL of the cluster, compresses, encrypts and stores
 * it: invalid WAL is never stored, and no segment is held in memory):
 *
 * <ul>
 *   <li>complete segments, in order, create-if-absent; then the superseded {@code .partial}
 *       object is removed and the spool file released;
 *   <li>the segment in progress as {@code NAME.partial} (its valid bytes; replaced), when it grew
 *       past what the repository holds and has at least a page header;
 *   <li>the old timeline's final partial segment at a timeline switch;
 *   <li>what the spool directory holds from an earlier session or process.
 * </ul>
 *
 * <p>Each store that makes WAL durable is told to the caller as {@link Shipped} (which moves the
 * slot's flush position). One per session; not thread-safe: the receive loop owns it.
 */
final class SegmentShipper {

    private static final Logger LOG = LoggerFactory.getLogger(SegmentShipper.class);

    /** WAL up to {@code end} on {@code timeline} is durable in the repository; {@code what} was stored last. */
    record Shipped(Lsn end, TimelineId timeline, String what, boolean partial) {
    }

    private final WalArchive wal;
    private final long segmentSize;
    private final Path spoolDir;
    private final Supplier<Lsn> durable;
    private final List<WalSpool.CompletedSegment> completed = new ArrayList<>();
    private long lastPartialShip = System.nanoTime();

    /**
     * @param durable the end of what the repository is known to hold (a partial that did not grow
     *                past it is not stored again)
     */
    SegmentShipper(WalArchive wal, long segmentSize, Path spoolDir, Supplier<Lsn> durable) {
        this.wal = requireNonNull(wal, "wal is null");
        this.segmentSize = segmentSize;
        this.spoolDir = requireNonNull(spoolDir, "spoolDir is null");
        this.durable = requireNonNull(durable, "durable is null");
    }

    /** The spool's listener: {@code c} is complete on local disk and waits to be shipped. */
    void completed(WalSpool.CompletedSegment c) {
        completed.add(c);
    }

    /** Stores the complete segments waiting, oldest first, each then told to {@code onDurable}. */
    void shipCompleted(WalSpool spool, Consumer<Shipped> onDurable) {
        while (!completed.isEmpty()) {
            WalSpool.CompletedSegment c = completed.get(0);
            WalFileName name = WalFileName.parse(c.name().fileName());
            store(name, c.file(), segmentSize);
            try {
                wal.remove(WalFileName.parse(c.name().fileName() + ".partial"));
            } catch (RuntimeException e) {
                LOG.debug("agent: cannot remove the superseded partial of {}: {}", name, e.toString());
            }
            spool.release(c);
            completed.remove(0);
            onDurable.accept(new Shipped(c.name().endLsn(), c.name().timeline(), name.name(), false));
        }
    }

    /** Whether {@code interval} has passed since the partial segment was last considered. */
    boolean partialDue(Duration interval) {
        return System.nanoTime() - lastPartialShip >= interval.toNanos();
    }

    /** Starts the partial interval over (a new stream). */
    void restartPartialInterval() {
        lastPartialShip = System.nanoTime();
    }

    /** Stores the segment in progress as {@code .partial} if it grew past what the repository holds. */
    void shipPartialIfGrown(WalSpool spool, Consumer<Shipped> onDurable) {
        lastPartialShip = System.nanoTime();
        Optional<WalSpool.PartialSegment> p = spool.partial();
        if (p.isEmpty()) {
            return;
        }
        Lsn end = p.get().name().startLsn().plus(p.get().validBytes());
        if (!worthShipping(end, p.get().validBytes(), durable.get())) {
            return;
        }
        spool.flush();
        storePartial(p.get());
        onDurable.accept(new Shipped(end, p.get().name().timeline(), p.get().name().fileName() + ".partial", true));
    }

    /**
     * Whether a partial segment ending at {@code end} with {@code validBytes} is stored: only when
     * it reaches past what the repository holds ({@code durable}) and has at least its page header.
     */
    static boolean worthShipping(Lsn end, long validBytes, Lsn durable) {
        return end.isAfter(durable) && validBytes >= WalFormat.LONG_PAGE_HEADER_SIZE;
    }

    /** Stores {@code p} as {@code NAME.partial}, its valid bytes only. */
    void storePartial(WalSpool.PartialSegment p) {
        store(WalFileName.parse(p.name().fileName() + ".partial"), p.file(), p.validBytes());
    }

    /**
     * What the spool directory holds from an earlier session or process (a crash, a lost
     * connection whose shipping failed) is stored before streaming again: complete segments
     * (validated), and partial segments the repository does not hold complete. The caller then
     * clears the spool; the slot still holds everything the repository does not.
     */
    void shipLeftovers() {
        if (!Files.isDirectory(spoolDir)) {
            return;
        }
        List<Path> files;
        try (Stream<Path> s = Files.list(spoolDir)) {
            files = s.filter(Files::isRegularFile).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list the spool '" + spoolDir + "'", e);
        }
        for (Path f : files) {
            String n = f.getFileName().toString();
            try {
                long size = Files.size(f);
                switch (leftover(n, size, segmentSize, () -> wal.info(WalFileName.parse(n.replace(".partial", ""))).isPresent())) {
                    case SKIP -> {
                    }
                    case NOT_A_SEGMENT -> LOG.warn("agent: spool file '{}' holds {} bytes, not a segment; dropped (the slot still"
                            + " holds its WAL)", f, size);
                    case STORE -> {
                        store(WalFileName.parse(n), f, size);
                        LOG.info("agent: stored '{}' left in the spool by an earlier run", n);
                    }
                }
            } catch (InvalidWalException e) {
                LOG.warn("agent: spool file '{}' is not valid WAL ({}); dropped, the slot still holds its WAL", f, e.getMessage());
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read the spool '" + spoolDir + "'", e);
            }
        }
    }

    /** What becomes of a file left in the spool directory. */
    enum Leftover {
        /** Stored under its own name (a segment, or a partial segment). */
        STORE,
        /** Left alone: not WAL, empty, or a partial whose complete segment the repository holds. */
        SKIP,
        /** Named as a segment but not a segment's size: dropped (the slot still holds its WAL). */
        NOT_A_SEGMENT
    }

    /**
     * The decision for the spool file {@code fileName} of {@code size} bytes; {@code segmentArchived}
     * (asked only for a partial) says whether the repository holds its complete segment.
     */
    static Leftover leftover(String fileName, long size, long segmentSize, BooleanSupplier segmentArchived) {
        boolean partial = fileName.endsWith(".partial");
        String segName = partial ? fileName.substring(0, fileName.length() - ".partial".length()) : fileName;
        if (!WalSegmentName.isSegmentName(segName) || size == 0) {
            return Leftover.SKIP;
        }
        if (partial) {
            return segmentArchived.getAsBoolean() ? Leftover.SKIP : Leftover.STORE;
        }
        return size == segmentSize ? Leftover.STORE : Leftover.NOT_A_SEGMENT;
    }

    /** Stores the first {@code length} bytes of the spool file {@code file} as {@code name}. */
    private void store(WalFileName name, Path file, long length) {
        try {
            wal.put(name, () -> new SpoolFileStream(file, length));
        } catch (IOException e) {
            throw new WalvaultException(ErrorCode.STORAGE, "cannot store '" + name + "' in the repository: " + e.getMessage(), e);
        }
    }

    /** The first {@code length} bytes of a spool file; fails if the file holds fewer. */
    private static final class SpoolFileStream extends FilterInputStream {
        private final Path file;
        private long left;

        SpoolFileStream(Path file, long length) throws IOException {
            super(new BufferedInputStream(Files.newInputStream(file), 256 * 1024));
            this.file = file;
            this.left = length;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) == -1 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (left == 0) {
                return -1;
            }
            int n = in.read(b, off, (int) Math.min(len, left));
            if (n == -1) {
                throw new IOException("spool file '" + file + "' ended " + left + " bytes early");
            }
            left -= n;
            return n;
        }
    }
}
