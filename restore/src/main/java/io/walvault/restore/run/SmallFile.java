package io.walvault.restore.run;

import io.walvault.core.error.CorruptDataException;
import io.walvault.core.manifest.FileChecksum;
import io.walvault.core.pipeline.Sink;
import io.walvault.core.repo.BackupCatalog;
import io.walvault.core.repo.ChunkStore;
import io.walvault.core.repo.ManifestFile;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * One small file of a backup (backup_label, tablespace_map) read out of its bundle before the
 * restore proper, its checksum checked; decoding stops as soon as it is complete. Stateless.
 */
final class SmallFile {

    private SmallFile() {
    }

    /** Reads one small file out of its bundle (or its chunks), checking its checksum; stops decoding once it has it. */
    static byte[] read(BackupCatalog catalog, ChunkStore chunks, String backupId, ManifestFile f) throws IOException {
        if (f.size() > 16 * 1024 * 1024) {
            throw new CorruptDataException("the backup's '" + f.path() + "' is " + f.size() + " bytes long");
        }
        byte[] content = new byte[(int) f.size()];
        final class Capture implements Sink {
            long position;
            int filled;

            @Override
            public void write(byte[] b, int off, int len) {
                long start = Math.max(position, f.offset());
                long end = Math.min(position + len, f.offset() + f.size());
                if (start < end) {
                    System.arraycopy(b, (int) (off + start - position), content, (int) (start - f.offset()), (int) (end - start));
                    filled += (int) (end - start);
                }
                position += len;
                if (filled == content.length) {
                    throw new Captured();
                }
            }

            @Override
            public void finish() {
            }

            @Override
            public void close() {
            }
        }
        Capture c = new Capture();
        try {
            if (content.length > 0 && f.isChunked()) {
                chunks.readFile(f, c);
            } else if (content.length > 0) {
                catalog.readBundle(backupId, f.bundle(), c);
            }
        } catch (Captured expected) {
            // the file is complete; the rest of the bundle is not needed now
        }
        String from = f.isChunked() ? "its chunks" : "bundle '" + catalog.bundleKey(backupId, f.bundle()) + "'";
        if (c.filled != content.length) {
            throw new CorruptDataException(from + " ended before '" + f.path() + "' was complete");
        }
        ManifestFile.Checksum want = f.expectedChecksum();
        FileChecksum sum = FileChecksum.of(want.algorithm());
        sum.update(ByteBuffer.wrap(content));
        if (!sum.hex().equals(want.hex())) {
            throw new CorruptDataException("file '" + f.path() + "' from " + from + " has " + want.algorithm() + " " + sum.hex() + ", but the backup's manifest says " + want.hex());
        }
        return content;
    }

    /** Stops a bundle's decoding once {@link #read} has what it needs. */
    private static final class Captured extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Captured() {
            super(null, null, false, false);
        }
    }
}
