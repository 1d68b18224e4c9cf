package io.walvault.restore.run;

import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Whether the file systems a restore writes into have room for what it writes there, checked
 * before the first write: a restore that runs out of space does so after hours, and leaves a
 * directory to remove. Each file counts with its size rounded up to whole 4 KiB blocks; a skipped
 * database's files (sparse) count nothing. The WAL that PostgreSQL fetches and writes while it
 * recovers is not counted: it needs room beyond this. Not for a delta restore, which rewrites
 * files that already take their room.
 */
final class FreeSpace {

    private static final long BLOCK = 4096;

    /** What one file system must hold: its first restored directory, its free bytes, the bytes written there. */
    record Need(Path directory, long usable, long bytes) {
    }

    /** A file system as a restore sees it: something that tells two apart, and the bytes it has free. */
    record Space(Object fileSystem, long usable) {
    }

    /** The file system a directory is on, or will be once created. */
    @FunctionalInterface
    interface Probe {
        Space of(Path directory) throws IOException;
    }

    /** The file system of the nearest existing ancestor, and its usable space (FileStore). */
    static final Probe FILE_STORES = dir -> {
        Path p = dir.toAbsolutePath();
        while (p != null && !Files.exists(p)) {
            p = p.getParent();
        }
        FileStore store = Files.getFileStore(p == null ? dir.toAbsolutePath().getRoot() : p);
        return new Space(store, store.getUsableSpace());
    };

    private FreeSpace() {
    }

    /**
     * Throws {@link ErrorCode#RESTORE_WRITE_FAILED} naming the first file system short of room;
     * nothing is written by then.
     */
    static void check(ManifestSpool manifest, TablespaceLayout layout, SkippedDatabases skipped, Probe probe)
            throws IOException {
        for (Need n : needs(manifest, layout, skipped, probe).values()) {
            if (n.bytes() > n.usable()) {
                throw new WalvaultException(ErrorCode.RESTORE_WRITE_FAILED, String.format(Locale.ROOT,
                        "the file system of '%s' has %s free, and the restore writes %s there; nothing was written"
                                + " HINT: free space there, or restore into a larger file system (--pgdata, --tablespace-map"
                                + " OLD=NEW); PostgreSQL also needs room for the WAL it recovers", n.directory(),
                        RestoreReport.mb(n.usable()), RestoreReport.mb(n.bytes())));
            }
        }
    }

    /** The bytes each file system receives. */
    static Map<Object, Need> needs(ManifestSpool manifest, TablespaceLayout layout, SkippedDatabases skipped, Probe probe)
            throws IOException {
        Map<Path, Space> spaceOfRoot = new LinkedHashMap<>(); // the data directory's, and each tablespace location's
        Map<Object, Need> needs = new LinkedHashMap<>();
        try {
            manifest.forEachFile(f -> {
                if (skipped.zeroes(f)) {
                    return;
                }
                Path root = layout.root(f.path()); // refuses a tablespace the backup gives no location for
                Space space = spaceOfRoot.computeIfAbsent(root, r -> {
                    try {
                        return probe.of(r);
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                });
                long blocks = (f.size() + BLOCK - 1) / BLOCK * BLOCK;
                needs.merge(space.fileSystem(), new Need(root, space.usable(), blocks),
                        (a, b) -> new Need(a.directory(), a.usable(), a.bytes() + b.bytes()));
            });
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
        return needs;
    }
}
