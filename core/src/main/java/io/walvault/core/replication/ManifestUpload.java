package io.walvault.core.replication;

import static java.util.Objects.requireNonNull;

import io.walvault.core.error.WalvaultException;
import io.walvault.core.replication.wire.BackendDecoding;
import io.walvault.core.replication.wire.BackendMessage;
import io.walvault.core.replication.wire.FrontendMessages;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * UPLOAD_MANIFEST (PostgreSQL 17 and newer): Query, CopyInResponse, the manifest as CopyData
 * messages, CopyDone, then CommandComplete and ReadyForQuery. The server keeps the manifest for
 * the next {@code BASE_BACKUP ... INCREMENTAL} on the same connection. A server error (an older
 * server does not know the command; a manifest it cannot parse) is thrown once the server is
 * ready again, so the session stays usable for a full backup.
 */
final class ManifestUpload {

    private static final Logger LOG = LoggerFactory.getLogger(ManifestUpload.class);
    private static final int PIECE = 64 * 1024;

    private ManifestUpload() {
    }

    static void run(Session session, InputStream manifest) {
        requireNonNull(manifest, "manifest is null");
        session.ensureOpen();
        LOG.debug("running UPLOAD_MANIFEST");
        session.transport().send(FrontendMessages.query("UPLOAD_MANIFEST"), "Query(UPLOAD_MANIFEST)");
        WalvaultException error = null;
        while (true) {
            try (BackendMessage m = session.next()) {
                switch (m.type()) {
                    case 'G' -> send(session, manifest);
                    case 'C', 'I' -> { }
                    case 'E' -> error = ServerErrors.toException(BackendDecoding.readServerMessage(m, "ErrorResponse"),
                            session.context(null));
                    case 'Z' -> {
                        if (error != null) {
                            throw error;
                        }
                        return;
                    }
                    default -> throw session.unexpected(m, "in the answer to UPLOAD_MANIFEST");
                }
            }
        }
    }

    private static void send(Session session, InputStream manifest) {
        byte[] buffer = new byte[PIECE];
        try {
            for (int n; (n = manifest.read(buffer)) > 0; ) {
                session.transport().send(FrontendMessages.copyData(buffer, 0, n), "CopyData(manifest)");
            }
        } catch (IOException e) {
            throw new UncheckedIOException("the manifest to upload could not be read: " + e.getMessage(), e);
        }
        session.transport().send(FrontendMessages.copyDone(), "CopyDone");
    }
}
