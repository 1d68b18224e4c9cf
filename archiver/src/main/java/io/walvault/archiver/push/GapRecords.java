package io.walvault.archiver.push;

import static java.util.Objects.requireNonNull;

import io.walvault.archiver.push.QueueLimit.Waiting;
import io.walvault.core.hook.HookSpool;
import io.walvault.core.repo.ArchiveGaps;
import io.walvault.core.repo.HostName;
import io.walvault.core.repo.Repository;
import io.walvault.core.wal.WalFileName;
import io.walvault.core.wal.WalPageHeader;
import io.walvault.core.wal.WalSegmentName;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The WAL the push worker gave up ({@link QueueLimit}), kept in the spool
 * ({@code .walvault/gaps.pending}, one line per run of files: {@code SYSTEM-ID FIRST LAST FILES
 * BYTES TIME}) until the repository, which was failing when it happened, takes the record
 * ({@link ArchiveGaps}). Lines survive a restart of the worker; a line is removed only once
 * recorded.
 */
final class GapRecords {

    private static final Logger LOG = LoggerFactory.getLogger(GapRecords.class);

    private final Path file;

    GapRecords(HookSpool spool) {
        this.file = requireNonNull(spool, "spool is null").root().resolve("gaps.pending");
    }

    /** Notes that {@code lost} (oldest first, all of one cluster's) were given up at the limit {@code maxBytes}. */
    synchronized void add(List<Waiting> lost, long maxBytes) throws IOException {
        if (lost.isEmpty()) {
            return;
        }
        Path first = lost.get(0).file();
        long systemId = WalPageHeader.readFirst(firstSegment(lost), WalFileName.parse(first.getFileName().toString()))
                .systemIdentifier();
        long bytes = lost.stream().mapToLong(Waiting::bytes).sum();
        String line = Long.toUnsignedString(systemId) + " " + first.getFileName() + " " + lost.get(lost.size() - 1).file().getFileName()
                + " " + lost.size() + " " + bytes + " " + maxBytes + " " + Instant.now() + "\n";
        // durable before the files are acknowledged: after a power loss the record must still be there to reach the
        // repository, or the gap would be known to no one
        boolean created = Files.notExists(file);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
            ByteBuffer b = ByteBuffer.wrap(line.getBytes(StandardCharsets.UTF_8));
            while (b.hasRemaining()) {
                ch.write(b);
            }
            ch.force(true);
        }
        if (created) {
            try (FileChannel dir = FileChannel.open(file.getParent(), StandardOpenOption.READ)) {
                dir.force(true);
            }
        }
    }

    private static Path firstSegment(List<Waiting> lost) {
        for (Waiting w : lost) {
            if (WalSegmentName.isSegmentName(w.file().getFileName().toString())) {
                return w.file();
            }
        }
        return lost.get(0).file();
    }

    /** Writes every pending record into the repository; keeps those it could not write. */
    synchronized void flush(Repository repo) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return;
        } catch (IOException e) {
            LOG.warn("cannot read '{}': {}", file, e.toString());
            return;
        }
        List<String> left = new ArrayList<>();
        for (String line : lines) {
            String[] f = line.split(" ");
            if (f.length != 7) {
                continue;
            }
            try {
                repo.cluster(Long.parseUnsignedLong(f[0])).gaps().record(new ArchiveGaps.Gap(1, f[1], f[2], Long.parseLong(f[3]),
                        Long.parseLong(f[4]), HostName.local(), f[6], "given up unarchived by archive-push-queue-max (" + f[5] + " bytes)"
                        + " while the repository could not be written"));
                LOG.info("recorded in the repository: WAL '{}' to '{}' was given up unarchived", f[1], f[2]);
            } catch (RuntimeException e) {
                left.add(line);
            }
        }
        try {
            if (left.isEmpty()) {
                Files.deleteIfExists(file);
            } else if (left.size() != lines.size()) {
                Files.write(file, left, StandardCharsets.UTF_8);
            }
        } catch (IOException e) {
            LOG.warn("cannot rewrite '{}': {}", file, e.toString());
        }
    }

}
