package io.walvault.archiver.push;

import static java.util.Objects.requireNonNull;

import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;
import io.walvault.core.repo.Repository;
import io.walvault.core.repo.WalArchive;
import io.walvault.core.wal.InvalidWalException;
import io.walvault.core.wal.TimelineHistory;
import io.walvault.core.wal.WalFileName;
import io.walvault.core.wal.WalSegmentName;
import io.walvault.core.wal.WalPageHeader;
import io.walvault.core.wal.WalSegmentValidator;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * One unit of archive-push: one WAL file checked and stored, durably, in its cluster's archive.
 *
 * <p>Segments and {@code .partial} segments are validated while they stream into the repository
 * ({@link WalSegmentValidator}: page magic, system identifier, segment size, page addresses);
 * validation ends before the object is published, so an invalid file is never stored. Their
 * cluster is the system identifier of their first page. History and backup files carry no
 * system identifier: theirs is the pinned one, else that of a WAL segment in the same directory.
 * Stateless and thread-safe.
 */
public final class ArchivePushFile {

    /**
     * What one push did.
     *
     * @param name           the WAL file
     * @param systemId       the cluster it was archived for
     * @param size           its size in bytes
     * @param alreadyPresent an identical copy was already archived (nothing written)
     */
    public record Result(WalFileName name, long systemId, long size, boolean alreadyPresent) {
        public Result {
            requireNonNull(name, "name is null");
        }
    }

    private ArchivePushFile() {
    }

    /** The name of {@code file}, or {@link InvalidWalException} if it is not a WAL file's name. */
    public static WalFileName nameOf(Path file) {
        String n = requireNonNull(file, "file is null").getFileName().toString();
        return WalFileName.tryParse(n).orElseThrow(() -> new InvalidWalException("'" + file + "' is not named like a WAL"
                + " segment, .partial, .history or .backup file HINT: archive_command must pass %p"));
    }

    /**
     * The cluster {@code file} belongs to: from its header (segments), else {@code pinned}, else
     * a segment beside it. A segment of another cluster than {@code pinned} is refused here, before
     * the repository is opened.
     */
    public static long clusterOf(Path file, WalFileName name, OptionalLong pinned) throws IOException {
        if (isSegment(name)) {
            long id = readHeader(file, name).systemIdentifier();
            if (pinned.isPresent() && pinned.getAsLong() != id) {
                throw new InvalidWalException("WAL file '" + name + "' belongs to the cluster with system identifier "
                        + Long.toUnsignedString(id) + ", not " + Long.toUnsignedString(pinned.getAsLong())
                        + " HINT: is this repository or system-identifier configured for another cluster?");
            }
            return id;
        }
        if (pinned.isPresent()) {
            return pinned.getAsLong();
        }
        Path dir = file.toAbsolutePath().getParent();
        return systemIdFromDirectory(dir).orElseThrow(() -> new WalvaultException(ErrorCode.WAL_CLUSTER_UNKNOWN,
                "cannot tell which cluster '" + name + "' belongs to: it carries no system identifier and '" + dir
                        + "' holds no WAL segment HINT: set system-identifier (WALVAULT_SYSTEM_IDENTIFIER) to the"
                        + " cluster's 'Database system identifier' from pg_controldata"));
    }

    /** Pushes {@code file} (named {@code name}) of cluster {@code systemId} into {@code repository}; durable on return. */
    public static Result push(Repository repository, Path file, WalFileName name, long systemId, boolean named) throws IOException {
        requireNonNull(repository, "repository is null");
        repository.cluster(systemId).admitWriter(named);
        WalArchive archive = repository.cluster(systemId).wal();
        long segmentSize = isSegment(name) ? readHeader(file, name).segmentSize() : 0;
        if (name.kind() == WalFileName.Kind.SEGMENT) {
            WalSegmentName segment = WalSegmentName.parse(name.name(), segmentSize);
            Optional<TimelineHistory> later = archive.abandonedBy(segment);
            if (later.isPresent()) {
                throw new WalvaultException(ErrorCode.WAL_TIMELINE_ABANDONED, "WAL file '" + name + "' of timeline "
                        + segment.timeline() + " lies after the point where timeline " + later.get().timeline()
                        + " branched off it (" + later.get().endOf(segment.timeline()).orElseThrow() + ", history file '"
                        + later.get().timeline().historyFileName() + "'): this server writes WAL the cluster abandoned (an old"
                        + " primary started again after a failover?); nothing was stored HINT: stop this server; rebuild it as a"
                        + " standby of the new primary (pg_rewind, or a restore); if timeline " + later.get().timeline()
                        + " is the mistake, remove its history file from the archive");
            }
        }
        if (!isSegment(name) && size(file) == 0) {
            throw new InvalidWalException("WAL file '" + name + "' is empty");
        }
        // checked as it is stored (WalArchive's chain), and again if it is read to compare with a stored copy
        WalArchive.PutResult r = archive.put(name, () -> open(file, name));
        return new Result(name, systemId, r.object().size(), r.alreadyPresent());
    }

    private static WalPageHeader readHeader(Path file, WalFileName name) throws IOException {
        try {
            return WalPageHeader.readFirst(file, name);
        } catch (NoSuchFileException e) {
            throw missing(file, e);
        }
    }

    private static long size(Path file) throws IOException {
        try {
            return Files.size(file);
        } catch (NoSuchFileException e) {
            throw missing(file, e);
        }
    }

    private static InputStream open(Path file, WalFileName name) throws IOException {
        try {
            return new BufferedInputStream(Files.newInputStream(file), 256 * 1024);
        } catch (NoSuchFileException e) {
            throw missing(file, e);
        }
    }

    static WalvaultException missing(Path file, IOException e) {
        return new WalvaultException(ErrorCode.WAL_FILE_UNREADABLE, "WAL file '" + file + "' does not exist"
                + " HINT: archive_command must pass %p, the path relative to the data directory", e);
    }

    private static boolean isSegment(WalFileName name) {
        return name.kind() == WalFileName.Kind.SEGMENT || name.kind() == WalFileName.Kind.PARTIAL;
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
                return OptionalLong.of(WalPageHeader.readFirst(p, WalFileName.parse(p.getFileName().toString())).systemIdentifier());
            } catch (IOException | InvalidWalException e) {
                // removed meanwhile, or not a segment (a recycled file is still a valid header): try the next
            }
        }
        return OptionalLong.empty();
    }
}
