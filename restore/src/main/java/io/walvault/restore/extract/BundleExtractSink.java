package io.walvault.restore.extract;

import static java.util.Objects.requireNonNull;

import io.walvault.core.error.CorruptDataException;
import io.walvault.core.manifest.FileChecksum;
import io.walvault.core.pipeline.Sink;
import io.walvault.core.repo.ManifestFile;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * The end of a bundle's read chain: receives the bundle's plaintext and writes each file the
 * manifest places in it, at its offset, to where {@code placement} says, checking every file's
 * checksum as it is written (the server's own backup_manifest checksum, or SHA-256).
 *
 * <pre>
 *   bundle object ─▶ AesGcmDecryptStage ─▶ Lz4DecompressStage ─▶ BundleExtractSink ─▶ files
 * </pre>
 *
 * <p>Bytes between files (none today; tar headers if bundles carry them) are skipped. Files are
 * created owner-only (0600, directories 0700) and fsynced when complete; {@link #finish()} fails
 * with a {@link CorruptDataException} naming the file when a file is short, its checksum differs,
 * or the bundle ends early. A file is never reported written unless its checksum matched. One
 * sink per bundle; not thread-safe (bundles extract in parallel, each with its own sink).
 */
public final class BundleExtractSink implements Sink {

    private final String bundleKey;
    private final List<ManifestFile> files;
    private final Function<ManifestFile, Path> placement;
    private FileChecksum checksum;
    private int index;
    private long position;
    private FileChannel current;
    private long writtenOfCurrent;
    private long bytesWritten;
    private boolean finished;
    private Flusher flusher;
    private Predicate<ManifestFile> inPlace = f -> false;
    private ChangedPages changedPages;
    private long bytesUnchanged;
    private long bytesInPlace;

    /**
     * @param bundleKey the bundle's object key, for messages
     * @param files the manifest's regular files in this bundle (any order)
     * @param placement where each file goes (the data directory, or a remapped tablespace)
     */
    public BundleExtractSink(String bundleKey, List<ManifestFile> files, Function<ManifestFile, Path> placement) {
        this(bundleKey, files, requireNonNull(placement, "placement is null"), true);
    }

    /**
     * Like {@link #BundleExtractSink(String, List, Function)}, but each file, once written,
     * closed and checked, is handed to {@code flusher} to be made durable instead of being
     * fsynced on this thread; the caller awaits the flusher before calling the files restored.
     */
    public BundleExtractSink(String bundleKey, List<ManifestFile> files, Function<ManifestFile, Path> placement, Flusher flusher) {
        this(bundleKey, files, requireNonNull(placement, "placement is null"), true);
        this.flusher = requireNonNull(flusher, "flusher is null");
    }

    /**
     * Like {@link #BundleExtractSink(String, List, Function, Flusher)}, but a file for which
     * {@code inPlace} holds (an older copy of it is where it goes: {@code restore --delta}) is
     * not truncated: it is cut to its size and only its pages that differ are written ({@link
     * ChangedPages}). Its checksum is checked over the restored content as for any file.
     */
    public BundleExtractSink(String bundleKey, List<ManifestFile> files, Function<ManifestFile, Path> placement, Flusher flusher,
                             Predicate<ManifestFile> inPlace) {
        this(bundleKey, files, placement, flusher);
        this.inPlace = requireNonNull(inPlace, "inPlace is null");
    }

    /**
     * A sink that checks every file of the bundle against the manifest (sizes, checksums, the
     * bundle's length) without writing anything: for {@code walvault verify}.
     */
    public static BundleExtractSink checkOnly(String bundleKey, List<ManifestFile> files) {
        return new BundleExtractSink(bundleKey, files, null, false);
    }

    private BundleExtractSink(String bundleKey, List<ManifestFile> files, Function<ManifestFile, Path> placement,
                              boolean write) {
        this.bundleKey = requireNonNull(bundleKey, "bundleKey is null");
        List<ManifestFile> sorted = new ArrayList<>();
        for (ManifestFile f : files) {
            if (!ManifestFile.FILE.equals(f.type())) {
                throw new IllegalArgumentException("'" + f.path() + "' is a " + f.type() + ", not a file of bundle '" + bundleKey + "'");
            }
            sorted.add(f);
        }
        // by offset; an empty file sharing its offset with the next one comes first
        sorted.sort(Comparator.comparingLong(ManifestFile::offset).thenComparingLong(ManifestFile::size));
        for (int i = 1; i < sorted.size(); i++) {
            ManifestFile prev = sorted.get(i - 1);
            if (prev.offset() + prev.size() > sorted.get(i).offset()) {
                throw new CorruptDataException("manifest places '" + prev.path() + "' and '" + sorted.get(i).path()
                        + "' over each other in bundle '" + bundleKey + "'");
            }
        }
        this.files = sorted;
        this.placement = write ? placement : null;
    }

    /** Files completed (written if extracting) with a matching checksum. */
    public int filesDone() {
        return index;
    }

    /** File bytes restored so far (written, or found already in place by a rewrite in place). */
    public long bytesWritten() {
        return bytesWritten;
    }

    /** Of {@link #bytesWritten()}, the bytes a rewrite in place found already there and did not write. */
    public long bytesUnchanged() {
        return bytesUnchanged;
    }

    /** Of {@link #bytesUnchanged()}, the bytes handed over as already in place ({@link #writeInPlace}), never compared. */
    public long bytesInPlace() {
        return bytesInPlace;
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        take(b, off, len, false);
    }

    /**
     * Bytes read from the older copy where they go and found to be the backup's (a delta
     * restore's chunk already in place): checked as part of the file's checksum like any, but
     * neither compared nor written again. Only for a file rewritten in place; elsewhere a write.
     */
    @Override
    public void writeInPlace(byte[] b, int off, int len) throws IOException {
        take(b, off, len, true);
    }

    private void take(byte[] b, int off, int len, boolean inPlaceAlready) throws IOException {
        int i = off;
        int end = off + len;
        while (i < end) {
            if (index >= files.size()) {
                position += end - i; // trailing bytes after the last file
                return;
            }
            ManifestFile f = files.get(index);
            if (position < f.offset()) {
                int skip = (int) Math.min(f.offset() - position, end - i);
                i += skip;
                position += skip;
                continue;
            }
            if (checksum == null) {
                open(f);
            }
            int n = (int) Math.min(f.size() - writtenOfCurrent, end - i);
            ByteBuffer buf = ByteBuffer.wrap(b, i, n);
            checksum.update(ByteBuffer.wrap(b, i, n));
            if (changedPages != null && inPlaceAlready) {
                bytesUnchanged += n;
                bytesInPlace += n;
            } else if (changedPages != null) {
                changedPages.write(b, i, n, writtenOfCurrent);
            } else {
                while (current != null && buf.hasRemaining()) {
                    current.write(buf);
                }
            }
            i += n;
            position += n;
            writtenOfCurrent += n;
            bytesWritten += n;
            if (writtenOfCurrent == f.size()) {
                close(f);
            }
        }
        // empty files at the current position complete without bytes
        while (index < files.size() && files.get(index).size() == 0 && files.get(index).offset() <= position) {
            open(files.get(index));
            close(files.get(index));
        }
    }

    private void open(ManifestFile f) throws IOException {
        writtenOfCurrent = 0;
        checksum = FileChecksum.of(f.expectedChecksum().algorithm());
        if (placement == null) {
            return;
        }
        Path target = placement.apply(f);
        Path parent = target.getParent();
        if (parent != null && !Files.isDirectory(parent)) {
            Files.createDirectories(parent, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        }
        if (inPlace.test(f) && Files.isRegularFile(target, LinkOption.NOFOLLOW_LINKS)) {
            current = FileChannel.open(target, StandardOpenOption.READ, StandardOpenOption.WRITE);
            current.truncate(f.size());
            changedPages = new ChangedPages(current);
            return;
        }
        current = FileChannel.open(target, Set.of(StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    }

    private void close(ManifestFile f) throws IOException {
        if (changedPages != null) {
            bytesUnchanged += changedPages.compared() - changedPages.written();
            changedPages = null;
        }
        if (current != null) {
            if (flusher == null) {
                current.force(false);
            }
            current.close();
            current = null;
        }
        ManifestFile.Checksum want = f.expectedChecksum();
        String got = checksum.hex();
        checksum = null;
        if (!got.equals(want.hex())) {
            throw new CorruptDataException("file '" + f.path() + "' from bundle '" + bundleKey + "' has " + want.algorithm()
                    + " " + got + ", but the backup's manifest says " + want.hex());
        }
        if (placement != null) {
            Path target = placement.apply(f);
            Files.setLastModifiedTime(target, FileTime.fromMillis(f.mtime() * 1000));
            if (flusher != null) {
                flusher.flush(target);
            }
        }
        index++;
    }

    @Override
    public void finish() throws IOException {
        // empty files placed at the very end
        while (index < files.size() && files.get(index).size() == 0 && files.get(index).offset() <= position) {
            open(files.get(index));
            close(files.get(index));
        }
        if (index < files.size()) {
            ManifestFile f = files.get(index);
            throw new CorruptDataException("bundle '" + bundleKey + "' ended at byte " + position + ", before file '"
                    + f.path() + "' (" + f.size() + " bytes at offset " + f.offset() + ") was complete");
        }
        finished = true;
    }

    @Override
    public void close() throws IOException {
        if (current != null) {
            try {
                current.close();
            } finally {
                current = null;
            }
        }
        if (!finished && placement != null && index < files.size()) {
            // an unfinished file must not look restored: remove what was written of it
            try {
                Files.deleteIfExists(placement.apply(files.get(index)));
            } catch (IOException | UncheckedIOException e) {
                // the restore fails anyway and reports the first error; the directory is scratch
            }
        }
    }
}
