package io.walvault.core.repo;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.InputStream;

/** Writes manifest lines; {@link #finish()} writes the trailer and publishes the manifest. */
public final class ManifestWriter implements AutoCloseable {
    private final ObjectWriter out;
    private long files;
    private long bytes;

    ManifestWriter(ObjectWriter out) {
        this.out = out;
    }

    void line(Record record) throws IOException {
        byte[] json = Json.write(record);
        out.write(json, 0, json.length);
        out.write(new byte[] {'\n'}, 0, 1);
    }

    public void add(ManifestFile file) throws IOException {
        line(requireNonNull(file, "file is null"));
        files++;
        bytes += file.size();
    }

    /** Copies lines already serialized by a {@link PendingManifest}. */
    void addLines(InputStream lines, long fileCount, long byteCount) throws IOException {
        byte[] buf = new byte[64 * 1024];
        for (int n; (n = lines.read(buf)) > 0; ) {
            out.write(buf, 0, n);
        }
        files += fileCount;
        bytes += byteCount;
    }

    public ObjectResult finish() throws IOException {
        line(new BackupCatalog.Trailer(new BackupCatalog.End(files, bytes)));
        return out.finishWithResult();
    }

    @Override
    public void close() throws IOException {
        out.close();
    }
}
