package io.walvault.core.replication;

import io.walvault.core.manifest.FileChecksum;
import io.walvault.core.manifest.ManifestVerifier;
import io.walvault.core.pipeline.Sink;
import io.walvault.core.pipeline.Stage;
import io.walvault.core.tar.TarMember;
import io.walvault.core.tar.TarMemberHandler;
import io.walvault.core.tar.TarSplitter;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * One tablespace archive of a base backup as it arrives: decoded first when the server
 * compressed it ({@link ServerCompression#decoder}), then split into members by a
 * {@link TarSplitter} whose handler computes each regular file's checksum in the manifest's
 * algorithm, hands it to the {@link ManifestVerifier} and to the listener, and passes every
 * member on. The listener sees the decoded tar. One instance per archive, on the thread that
 * reads the connection.
 */
final class ArchiveReceiver implements AutoCloseable {

    private final TablespaceArchive archive;
    private final BaseBackupListener listener;
    private final TarSplitter splitter;
    private final Stage decoder;
    private byte[] scratch;
    private long tarBytes;
    private long files;

    /**
     * @param subject names the compressed archive in decoding errors
     * @param checksumAlgorithm the manifest's file checksum algorithm
     */
    ArchiveReceiver(TablespaceArchive archive, ServerCompression compression, String subject, String checksumAlgorithm,
                    ManifestVerifier verifier, BaseBackupListener listener) {
        this.archive = archive;
        this.listener = listener;
        String prefix = archive.manifestPrefix();
        this.splitter = new TarSplitter(new TarMemberHandler() {
            private FileChecksum checksum;
            private long size;

            @Override
            public void memberStarted(TarMember member) {
                if (member.isFile()) {
                    checksum = FileChecksum.of(checksumAlgorithm);
                    size = 0;
                }
                listener.memberStarted(member);
            }

            @Override
            public void memberData(ByteBuffer data) {
                size += data.remaining();
                checksum.update(data.duplicate());
                listener.memberData(data);
            }

            @Override
            public void memberEnded(TarMember member) {
                if (member.isFile()) {
                    files++;
                    String hex = checksum.hex();
                    verifier.observed(prefix + member.path(), size, checksum.algorithm(), hex);
                    listener.memberChecksum(member, checksum.algorithm(), hex);
                    checksum = null;
                }
                listener.memberEnded(member);
            }
        });
        this.decoder = compression.enabled() ? compression.decoder(new TarFeed(), subject) : null;
    }

    TablespaceArchive archive() {
        return archive;
    }

    /** Tar bytes so far (decoded). */
    long tarBytes() {
        return tarBytes;
    }

    /** Regular files completed so far. */
    long files() {
        return files;
    }

    /** The next bytes as the server sent them. */
    void write(ByteBuffer wire) {
        if (decoder == null) {
            tar(wire);
            return;
        }
        if (scratch == null) {
            scratch = new byte[64 * 1024];
        }
        try {
            while (wire.hasRemaining()) {
                int n = Math.min(scratch.length, wire.remaining());
                wire.get(scratch, 0, n);
                decoder.write(scratch, 0, n);
            }
        } catch (IOException e) {
            throw new ProtocolException("cannot decode archive '" + archive.name() + "': " + e.getMessage(), e);
        }
    }

    /** The archive's end: a compressed archive must end with its frame, the tar with its end blocks. */
    void finish() {
        if (decoder != null) {
            try {
                decoder.finish();
            } catch (IOException e) {
                throw new ProtocolException("cannot decode archive '" + archive.name() + "': " + e.getMessage(), e);
            }
        }
        splitter.finish();
    }

    @Override
    public void close() {
        if (decoder != null) {
            try {
                decoder.close();
            } catch (IOException | RuntimeException e) {
                // the decoder holds native memory only; a failure here adds nothing to the backup's own error
            }
        }
    }

    private void tar(ByteBuffer data) {
        tarBytes += data.remaining();
        listener.archiveData(data.asReadOnlyBuffer());
        splitter.write(data.duplicate());
    }

    /** The decoder's output: the decoded tar. */
    private final class TarFeed implements Sink {
        @Override
        public void write(byte[] b, int off, int len) {
            tar(ByteBuffer.wrap(b, off, len));
        }

        @Override
        public void finish() {
        }

        @Override
        public void close() {
        }
    }
}
