package io.walvault.restore.get;

import static java.util.Objects.requireNonNull;

import io.walvault.core.hook.HookSpool;
import io.walvault.core.repo.WalArchive;
import io.walvault.core.storage.ObjectNotFoundException;
import io.walvault.core.wal.WalFileName;
import io.walvault.core.wal.WalSegmentName;
import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;

/**
 * Fetches WAL files into the spool's get directory, where bin/walvault hands them over with
 * one rename: decoded, checked (WalPipelines.forRestore), fsynced, renamed into place, so a
 * ready file is always whole and valid. Shared by the worker and by {@code walvault restore},
 * which fills the spool while it extracts the backup. Thread-safe.
 */
final class SpoolFetch {

    /** What a fetch did. */
    enum Outcome {
        /** ready in the spool */
        FETCHED,
        /** not in the archive */
        NOT_ARCHIVED,
        /** archived only as its timeline's {@code .partial}: left to recovery's own call, which serves it zero-padded */
        PARTIAL_ONLY
    }

    private final WalArchive wal;
    private final HookSpool spool;
    private final OptionalLong systemId;

    SpoolFetch(WalArchive wal, HookSpool spool, OptionalLong systemId) {
        this.wal = requireNonNull(wal, "wal is null");
        this.spool = requireNonNull(spool, "spool is null");
        this.systemId = requireNonNull(systemId, "systemId is null");
    }

    /** Fetches {@code name} into the spool; throws if the archive holds it but it cannot be delivered. */
    Outcome fetch(WalFileName name) throws IOException {
        try {
            WalFileWriter.write(wal, name, systemId, spool.ready(name.name()));
            spool.unmarkPending(HookSpool.Role.GET, name.name()); // after the file is in place: a waiting call finds it
            return Outcome.FETCHED;
        } catch (ObjectNotFoundException e) {
            if (name.kind() == WalFileName.Kind.SEGMENT && wal.info(WalFileName.parse(name.name() + ".partial")).isPresent()) {
                return Outcome.PARTIAL_ONLY;
            }
            return Outcome.NOT_ARCHIVED;
        }
    }

    /**
     * How many more segments of {@code segmentSize} bytes may go into the spool: at most
     * {@code spoolMax} bytes of ready files in all, and never so many that pg_wal's file system,
     * shared with PostgreSQL, keeps less than a tenth of itself (at most 1 GiB) plus four segments free.
     */
    static int room(HookSpool spool, long segmentSize, long spoolMax) {
        return room(spool, segmentSize, spoolMax, 0);
    }

    /**
     * Like {@link #room(HookSpool, long, long)}, with {@code reserved} bytes of the file system
     * kept for others beyond that (what a restore still has to write there).
     */
    static int room(HookSpool spool, long segmentSize, long spoolMax, long reserved) {
        try {
            long used = 0;
            try (var ds = Files.newDirectoryStream(spool.dir(HookSpool.Role.GET))) { // no glob: a regular expression per call
                for (Path p : ds) {
                    if (WalSegmentName.isSegmentName(p.getFileName().toString())) {
                        used += Files.size(p);
                    }
                }
            }
            FileStore fs = Files.getFileStore(spool.dir(HookSpool.Role.GET));
            long reserve = Math.min(1L << 30, fs.getTotalSpace() / 10) + 4 * segmentSize;
            long byDisk = (fs.getUsableSpace() - reserve - reserved) / segmentSize;
            long byBound = (spoolMax - used) / segmentSize;
            return (int) Math.max(0, Math.min(Integer.MAX_VALUE, Math.min(byDisk, byBound)));
        } catch (IOException e) {
            return 0;
        }
    }
}
