package io.walvault.restore.get;

import static java.util.Objects.requireNonNull;

import io.walvault.core.hook.HookSpool;
import io.walvault.core.repo.WalArchive;
import io.walvault.core.wal.WalFileName;
import io.walvault.core.wal.WalPageHeader;
import io.walvault.core.wal.WalSegmentName;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code walvault restore} fills the restored server's spool with the first WAL its recovery
 * will ask for, while it extracts the backup: when the server starts, bin/walvault hands those
 * segments over without a JVM, and starts the worker the restore asks for ({@link
 * HookSpool#requestWorker}) in the background, which follows from there. Fetched in the plan's
 * order by one thread of its own (extraction keeps the rest of the machine), within the
 * prefetch window and the spool's bounds ({@link SpoolFetch#room}); a file it cannot fetch is
 * left to recovery's own call, which answers it as usual. Not thread-safe; {@link #finish} or
 * {@link #close} once.
 */
public final class RestorePrefetch implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(RestorePrefetch.class);

    private final HookSpool spool;
    private final Thread thread;
    private volatile boolean stop;
    private volatile int fetched;
    private volatile WalSegmentName first;

    private RestorePrefetch(HookSpool spool, Runnable work) {
        this.spool = spool;
        this.thread = new Thread(work, "restore-prefetch");
        this.thread.setDaemon(true);
    }

    /**
     * Starts fetching {@code planned} (the plan's WAL files, in order) into the spool of
     * {@code walDirectory}, opened for {@code origin} (as archive-get opens it: the repository
     * location and the cluster). {@code reserved}: the bytes the restore writes on the file
     * system of {@code walDirectory}, which the fetched WAL must leave free (checked before each
     * segment, the first one with {@code segmentSize}, the plan's; as the files
     * are written the check only gets stricter, never lets WAL take their room).
     */
    public static RestorePrefetch start(WalArchive wal, Path walDirectory, long systemId, String origin, List<WalFileName> planned,
                                        ArchiveGetSettings settings, long reserved, long segmentSize) throws IOException {
        requireNonNull(wal, "wal is null");
        HookSpool spool = new HookSpool(walDirectory);
        spool.open(origin);
        SpoolFetch fetch = new SpoolFetch(wal, spool, OptionalLong.of(systemId));
        RestorePrefetch[] self = new RestorePrefetch[1];
        self[0] = new RestorePrefetch(spool, () -> self[0].fill(fetch, planned, settings, reserved, segmentSize));
        self[0].thread.start();
        return self[0];
    }

    private void fill(SpoolFetch fetch, List<WalFileName> planned, ArchiveGetSettings settings, long reserved, long segmentSize) {
        int segments = 0;
        for (WalFileName n : planned) {
            if (stop || segments >= settings.prefetch()) {
                return;
            }
            if (n.kind() != WalFileName.Kind.SEGMENT) {
                continue; // history files and .partial: recovery's own calls
            }
            try {
                long size = first == null ? segmentSize : first.segmentSize();
                if (SpoolFetch.room(spool, size, settings.spoolMax(), reserved) < 1 || fetch.fetch(n) != SpoolFetch.Outcome.FETCHED) {
                    return;
                }
                if (first == null) {
                    // the segment size comes with the first fetched segment's header
                    first = WalSegmentName.parse(n.name(), WalPageHeader.readFirst(spool.ready(n.name()), n).segmentSize());
                }
                segments++;
                fetched = segments;
            } catch (IOException | RuntimeException e) {
                LOG.info("restore stops fetching WAL ahead at '{}' (recovery fetches it itself): {}", n, e.toString());
                return;
            }
        }
    }

    /**
     * Stops after the segment being fetched, and makes what was fetched the server's to take:
     * records where recovery starts for the worker (before the first segment), and that the spool serves {@code caller},
     * restore_command's arguments before %f %p. {@code noSuchHistory}: the history file the
     * server's first call probes for (recovery_target_timeline = latest) when the archive has
     * none, answered "not in the archive" ahead; only that first probe finds the answer (a
     * probe at the end of recovery goes through the plan's checks as usual). Returns the number
     * of segments fetched. When it fetched any, it asks for the worker ({@link HookSpool#requestWorker}).
     */
    public int finish(String caller, Optional<WalFileName> noSuchHistory) throws IOException {
        close();
        if (noSuchHistory.isPresent()) {
            spool.markMissing(noSuchHistory.get().name());
        }
        if (first != null && fetched > 0 || noSuchHistory.isPresent()) {
            spool.announce(HookSpool.Role.GET, caller);
        }
        if (first != null && fetched > 0) {
            // "want" names the segment recovery took last: the worker keeps what follows it and
            // drops the rest, so it names the one before the first (recovery has taken nothing yet)
            if (first.segmentNumber() > 0) {
                GetWorker.writeWant(spool, first.previous());
            }
            // the server's first call starts the worker in the background, so that it fetches on while recovery
            // takes these: else the first segment after them waits for a Java call, and the worker that call starts
            spool.requestWorker(HookSpool.Role.GET);
        }
        return fetched;
    }

    /** Stops after the segment being fetched, and waits for it. */
    @Override
    public void close() {
        stop = true;
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
