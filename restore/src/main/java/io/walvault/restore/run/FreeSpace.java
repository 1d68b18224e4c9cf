package io.walvault.restore.run;

import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Whether the file systems a restore writes into have room for what it writes there, checked
 * before the first write: a restore that runs out of space does so after hours, and leaves a
 * directory to remove. Each file counts with its size rounded up to whole 4 KiB blocks; a skipped
 * database's files (sparse) count nothing. A delta restore ({@link #checkDelta}) needs room only
 * for what each file grows by over the copy in its place, less what it removes before it writes
 * (files the backup does not have); files that shrink, and a skipped database's files, which it
 * makes sparse, give their room back only while it writes, so they count nothing. The WAL that
 * PostgreSQL fetches and writes while it recovers is not counted: it needs room beyond this.
 */
final class FreeSpace {

    private static final long BLOCK = 4096;

    /**
     * What one file system must hold: its first restored directory, its free bytes, the bytes it
     * must have free ({@code writes} less what the restore removes there before it writes), and
     * the bytes the restore writes there.
     */
    record Need(Path directory, long usable, long bytes, long writes) {

        Need plus(Need other) {
            return new Need(directory, usable, bytes + other.bytes, writes + other.writes);
        }
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
    static Map<Object, Need> check(ManifestSpool manifest, TablespaceLayout layout, SkippedDatabases skipped, Probe probe)
            throws IOException {
        return refuseShort(needs(manifest, layout, skipped, probe), "the restore writes %s there; nothing was written"
                + " HINT: free space there, or restore into a larger file system (--pgdata, --tablespace-map OLD=NEW)");
    }

    /**
     * Throws {@link ErrorCode#RESTORE_WRITE_FAILED} naming the first file system a delta restore
     * would fill; nothing is written by then.
     *
     * @param removed the bytes of the files the restore removes before it writes (they are not
     *                the backup's), by the directory they are under ({@link DeltaTarget#unlistedBytes})
     */
    static Map<Object, Need> checkDelta(ManifestSpool manifest, TablespaceLayout layout, SkippedDatabases skipped,
                                        Map<Path, Long> removed, Probe probe) throws IOException {
        return refuseShort(deltaNeeds(manifest, layout, skipped, removed, probe), "the delta restore needs %s more there"
                + " than the copy in place takes (after removing what the backup does not have); nothing was written"
                + " HINT: free space there, or restore without --delta into a larger file system");
    }

    /**
     * Returns {@code needs}, or refuses the first file system with less room than it must have:
     * "the file system of DIR has N MB free, and " {@code what} (its %s the bytes needed).
     */
    private static Map<Object, Need> refuseShort(Map<Object, Need> needs, String what) {
        for (Need n : needs.values()) {
            if (n.bytes() > n.usable()) {
                throw new WalvaultException(ErrorCode.RESTORE_WRITE_FAILED, String.format(Locale.ROOT,
                        "the file system of '%s' has %s free, and " + what + "; PostgreSQL also needs room for the WAL it"
                                + " recovers", n.directory(), RestoreReport.mb(n.usable()), RestoreReport.mb(n.bytes())));
            }
        }
        return needs;
    }

    /**
     * Of {@code needs} (what {@link #check} or {@link #checkDelta} returned), the bytes the restore
     * writes on the file system of {@code directory} (after removing what it removes first): what
     * WAL fetched ahead into it while the files are written must leave free.
     */
    static long writtenOn(Map<Object, Need> needs, Path directory, Probe probe) throws IOException {
        Need n = needs.get(probe.of(directory).fileSystem());
        return n == null ? 0 : n.writes();
    }

    /** The bytes each file system receives. */
    static Map<Object, Need> needs(ManifestSpool manifest, TablespaceLayout layout, SkippedDatabases skipped, Probe probe)
            throws IOException {
        return tally(manifest, layout, skipped, Map.of(), probe, (f, place) -> blocks(f.size()));
    }

    /**
     * What each file system must have free for a delta restore: per file, its blocks beyond those
     * of the regular file in its place (none for a file that shrinks or is a skipped database's),
     * less {@code removed}.
     */
    static Map<Object, Need> deltaNeeds(ManifestSpool manifest, TablespaceLayout layout, SkippedDatabases skipped,
                                        Map<Path, Long> removed, Probe probe) throws IOException {
        return tally(manifest, layout, SkippedDatabases.none(), removed, probe, (f, place) -> {
            BasicFileAttributes a;
            try {
                a = Files.readAttributes(place, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            } catch (NoSuchFileException e) {
                a = null;
            }
            long there = a != null && a.isRegularFile() ? blocks(a.size()) : 0;
            return skipped.zeroes(f.path()) ? 0 : Math.max(0, blocks(f.size()) - there);
        });
    }

    /** A file's bytes on disk: its size in whole 4 KiB blocks. */
    static long blocks(long size) {
        return (size + BLOCK - 1) / BLOCK * BLOCK;
    }

    /** What one file of the backup adds to its file system, given where it goes. */
    @FunctionalInterface
    private interface Growth {
        long of(ManifestSpool.FileHead f, Path place) throws IOException;
    }

    private static Map<Object, Need> tally(ManifestSpool manifest, TablespaceLayout layout, SkippedDatabases skipped,
                                           Map<Path, Long> removed, Probe probe, Growth growth) throws IOException {
        Map<Path, Space> spaceOfRoot = new LinkedHashMap<>(); // the data directory's, and each tablespace location's
        Map<Object, Need> needs = new LinkedHashMap<>();
        try {
            manifest.forEachHead(f -> {
                if (skipped.zeroes(f.path())) {
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
                long bytes;
                try {
                    bytes = growth.of(f, layout.place(f.path()));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                needs.merge(space.fileSystem(), new Need(root, space.usable(), bytes, bytes), Need::plus);
            });
            for (Map.Entry<Path, Long> r : removed.entrySet()) {
                Space space = probe.of(r.getKey());
                needs.merge(space.fileSystem(), new Need(r.getKey(), space.usable(), -r.getValue(), 0), Need::plus);
            }
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
        return needs;
    }
}
