package io.walvault.restore.run;

import static java.util.Objects.requireNonNull;

import io.walvault.core.repo.ManifestFile;
import io.walvault.restore.extract.Flusher;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Which of a bundle's files a restore takes out of the bundle: the others are a skipped
 * database's relation files, written here as sparse zeroed files of their size ({@link
 * SkippedDatabases}), and, with {@code --delta}, files already in place with the backup's size
 * and checksum ({@link ExistingFiles}), left as they are. Both are handed to the {@link Flusher}
 * like extracted files, so that all of them are durable before the restore ends. A bundle of
 * which nothing is to be extracted is not read at all; a file with other content where it goes
 * is extracted over it, writing only the pages that differ. Thread-safe (one call per bundle).
 */
final class FileSelection {

    /**
     * What became of one bundle's files.
     *
     * @param extract the files to take out of the bundle
     * @param keptFiles files already in place (--delta)
     * @param keptBytes their bytes
     * @param zeroedFiles files of skipped databases written as zeroes
     * @param zeroedBytes their (sparse) size
     * @param inPlace the paths of files to extract over an older version of them, page by page
     */
    record Outcome(List<ManifestFile> extract, long keptFiles, long keptBytes, long zeroedFiles, long zeroedBytes,
                   Set<String> inPlace) {
    }

    private final TablespaceLayout layout;
    private final SkippedDatabases skipped;
    private final Optional<ExistingFiles> existing;

    /**
     * @param delta whether files already in place are compared with the backup's (else every file is written)
     */
    FileSelection(TablespaceLayout layout, SkippedDatabases skipped, boolean delta) {
        this.layout = requireNonNull(layout, "layout is null");
        this.skipped = requireNonNull(skipped, "skipped is null");
        this.existing = delta ? Optional.of(new ExistingFiles(layout)) : Optional.empty();
    }

    /** Every file is extracted: a plain restore into an empty directory. */
    static FileSelection everything(TablespaceLayout layout) {
        return new FileSelection(layout, SkippedDatabases.none(), false);
    }

    /** Decides for each of {@code files} (one bundle's); kept and zeroed files are done when this returns. */
    Outcome select(List<ManifestFile> files, Flusher flusher) throws IOException {
        if (existing.isEmpty() && !skipped.any()) {
            return new Outcome(files, 0, 0, 0, 0, Set.of());
        }
        List<ManifestFile> extract = new ArrayList<>();
        long keptFiles = 0;
        long keptBytes = 0;
        long zeroedFiles = 0;
        long zeroedBytes = 0;
        Set<String> inPlace = new HashSet<>();
        for (ManifestFile f : files) {
            if (skipped.zeroes(f)) {
                writeZeroes(f);
                flusher.flush(layout.place(f.path()));
                zeroedFiles++;
                zeroedBytes += f.size();
                continue;
            }
            ExistingFiles.State state = existing.isPresent() ? existing.get().compare(f) : ExistingFiles.State.ABSENT;
            if (state == ExistingFiles.State.SAME) {
                flusher.flush(layout.place(f.path()));
                keptFiles++;
                keptBytes += f.size();
            } else {
                if (state == ExistingFiles.State.CHANGED) {
                    inPlace.add(f.path());
                }
                extract.add(f);
            }
        }
        return new Outcome(extract, keptFiles, keptBytes, zeroedFiles, zeroedBytes, inPlace);
    }

    /** A sparse file of {@code f}'s size holding zeroes (whatever stood there before is replaced). */
    private void writeZeroes(ManifestFile f) throws IOException {
        Path p = layout.place(f.path());
        if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS) || Files.isSymbolicLink(p)) {
            throw new IOException("'" + p + "' is not a regular file; it cannot be replaced");
        }
        try (FileChannel ch = FileChannel.open(p, Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")))) {
            if (f.size() > 0) {
                ch.write(ByteBuffer.wrap(new byte[1]), f.size() - 1);
            }
        }
        Files.setLastModifiedTime(p, FileTime.fromMillis(f.mtime() * 1000));
    }
}
