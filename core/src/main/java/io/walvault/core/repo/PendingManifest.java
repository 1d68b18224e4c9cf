package io.walvault.core.repo;

import static java.util.Objects.requireNonNull;

import io.walvault.core.io.ScratchFile;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * A backup's manifest entries collected while the backup runs, before its {@link BackupInfo}
 * (stop position, sizes) is known: they go to a {@link ScratchFile} (private, nameless, gone with
 * the process however it ends), so millions of files never sit in memory, and {@link #publish}
 * writes the manifest last. One thread at a time.
 */
public final class PendingManifest implements AutoCloseable {
    private final BackupCatalog catalog;
    private final ScratchFile file;
    private final OutputStream out;
    private long files;
    private long bytes;
    private long fileBytes;
    private long regularFiles;

    PendingManifest(BackupCatalog catalog) throws IOException {
        this.catalog = catalog;
        this.file = ScratchFile.create("walvault-manifest-");
        this.out = file.append();
    }

    public void add(ManifestFile entry) throws IOException {
        requireNonNull(entry, "entry is null");
        byte[] json = Json.write(entry);
        out.write(json);
        out.write('\n');
        files++;
        bytes += entry.size();
        if (entry.isFile()) {
            regularFiles++;
            fileBytes += entry.size();
        }
    }

    /** Regular files added so far. */
    public long regularFiles() {
        return regularFiles;
    }

    /** Their bytes. */
    public long fileBytes() {
        return fileBytes;
    }

    /** Writes and publishes the manifest: the header {@code info}, every entry, the end record. */
    public ObjectResult publish(BackupInfo info) throws IOException {
        out.flush();
        try (ManifestWriter m = catalog.newManifest(info);
             InputStream in = file.readFrom(0)) {
            m.addLines(in, files, bytes);
            return m.finish();
        }
    }

    @Override
    public void close() throws IOException {
        try {
            out.close();
        } finally {
            file.close();
        }
    }
}
