package io.walvault.core.replication;

import io.netty.buffer.ByteBuf;
import io.walvault.core.error.CorruptDataException;
import io.walvault.core.error.ErrorCode;
import io.walvault.core.error.WalvaultException;
import io.walvault.core.manifest.ManifestFormatException;
import io.walvault.core.manifest.ManifestParser;
import io.walvault.core.manifest.ManifestSummary;
import io.walvault.core.manifest.ManifestVerifier;
import io.walvault.core.replication.wire.BackendDecoding;
import io.walvault.core.replication.wire.BackendMessage;
import io.walvault.core.replication.wire.FrontendMessages;
import io.walvault.core.replication.wire.MessageReader;
import io.walvault.core.tar.TarFormatException;
import io.walvault.core.tar.TarSplitter;
import io.walvault.core.wal.Lsn;
import io.walvault.core.wal.TimelineId;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One BASE_BACKUP exchange, for both protocol forms:
 *
 * <pre>
 * all:   RowDescription DataRow CommandComplete        start LSN, timeline
 *        RowDescription DataRow+ CommandComplete       tablespaces, main directory last
 * 14:    ( CopyOutResponse CopyData* CopyDone )+       one raw tar per tablespace, unterminated
 *        CopyOutResponse CopyData* CopyDone            the manifest
 * 15+:   CopyOutResponse ( CopyData 'n' name path | 'd' data | 'p' progress | 'm' )* CopyDone
 * all:   RowDescription DataRow CommandComplete        end LSN, timeline
 *        [ErrorResponse XX001]                         checksum failures, after everything
 *        CommandComplete ReadyForQuery
 * </pre>
 *
 * Each archive goes through an {@link ArchiveReceiver} (the strict decoder of
 * {@link ServerCompression} when the server compresses: 15+ only, archive names then carry the
 * method's suffix; then a tar splitter that computes the manifest's checksum of every file);
 * the manifest goes through a streaming {@link ManifestParser} and each entry is checked as it
 * arrives. Not reusable: one instance per backup.
 *
 * <p>Length: one state machine for both protocol forms (14 and 15+), each message checked against
 * where the exchange is; each archive is an {@link ArchiveReceiver}'s, the manifest check the
 * {@link ManifestVerifier}'s.
 */
final class BaseBackupRun {

    private static final Logger LOG = LoggerFactory.getLogger(BaseBackupRun.class);
    private static final ByteBuffer TAR_END = ByteBuffer.allocate(2 * TarSplitter.BLOCK).asReadOnlyBuffer();

    private final ReplicationConnection conn;
    private final BaseBackupOptions options;
    private final BaseBackupListener listener;
    private final int major;
    private final ServerCompression compression;
    private final ManifestVerifier verifier;
    private final ManifestParser manifestParser;

    private final List<List<String>> resultRows = new ArrayList<>();
    private List<String> resultColumns;
    private int resultSets;
    private Lsn startLsn;
    private TimelineId startTli;
    private BackupStart start;
    private final List<TablespaceArchive> archives = new ArrayList<>();
    private Lsn endLsn;
    private TimelineId endTli;

    private ArchiveReceiver receiver;
    private int copies;
    private boolean inCopy;
    private boolean inManifest;
    private boolean manifestSeen;
    private long bytes;
    private long wireBytes;
    private long files;
    private long estimatedTotal;
    private long lastProgressNanos;

    BaseBackupRun(ReplicationConnection conn, BaseBackupOptions options, BaseBackupListener listener, int inMemoryFiles) {
        this.conn = conn;
        this.verifier = new ManifestVerifier(inMemoryFiles);
        this.options = options;
        this.listener = listener;
        this.major = conn.serverVersion().major();
        this.compression = options.compressionFor(major);
        this.manifestParser = new ManifestParser(verifier::check);
    }

    BaseBackupResult run() {
        String command = options.command(major);
        LOG.info("starting base backup on '{}': {}", conn.transport().endpoint(), command);
        conn.transport().send(FrontendMessages.query(command), "Query(BASE_BACKUP)");
        WalvaultException error = null;
        ServerMessage checksumFailure = null;
        try {
            while (true) {
                try (BackendMessage m = conn.next()) {
                    switch (m.type()) {
                        case 'T' -> {
                            resultColumns = BackendDecoding.readRowDescription(m);
                            resultRows.clear();
                        }
                        case 'D' -> {
                            if (resultColumns == null) {
                                throw new ProtocolException("DataRow without RowDescription during BASE_BACKUP");
                            }
                            resultRows.add(BackendDecoding.readDataRow(m, resultColumns.size()));
                        }
                        case 'C' -> {
                            if (resultColumns != null) {
                                onResultSet();
                                resultColumns = null;
                            }
                        }
                        case 'H' -> copyOut(m);
                        case 'd' -> copyData(m);
                        case 'c' -> copyDone();
                        case 'E' -> {
                            ServerMessage sm = BackendDecoding.readServerMessage(m, "ErrorResponse");
                            inCopy = false;
                            if (sm.sqlState().equals("XX001")) {
                                checksumFailure = sm;
                            } else if (error == null) {
                                error = ServerErrors.toException(sm, conn.context(null));
                            }
                        }
                        case 'Z' -> {
                            if (error != null) {
                                throw error;
                            }
                            return finish(checksumFailure);
                        }
                        default -> throw conn.unexpected(m, "during BASE_BACKUP");
                    }
                }
            }
        } catch (CorruptDataException e) {
            conn.closeQuietly();
            throw new ProtocolException(e.getMessage() + " HINT: the stream was damaged in transit or the server is faulty;"
                    + " set backup-server-compression to off to receive it uncompressed", e);
        } catch (TarFormatException e) {
            conn.closeQuietly();
            throw new ProtocolException("archive '" + (receiver == null ? "?" : receiver.archive().name())
                    + "' from the server is not a valid tar stream: " + e.getMessage(), e);
        } catch (ManifestFormatException e) {
            conn.closeQuietly();
            throw new WalvaultException(ErrorCode.BACKUP_MANIFEST_MISMATCH, "the server's backup_manifest is invalid: "
                    + e.getMessage(), e);
        } catch (ServerErrorException e) {
            throw e;
        } catch (UncheckedIOException e) {
            conn.closeQuietly();
            throw new WalvaultException(ErrorCode.INTERNAL, "cannot keep the list of received files for the manifest check: "
                    + e.getCause().getMessage() + " HINT: check free space in the temporary directory ('"
                    + System.getProperty("java.io.tmpdir") + "')", e);
        } catch (RuntimeException e) {
            // a listener gave up, the connection broke, or the stream was malformed: the server
            // aborts the backup when the connection goes away
            conn.closeQuietly();
            throw e;
        } finally {
            verifier.close();
            if (receiver != null) {
                receiver.close();
            }
        }
    }

    private void onResultSet() {
        resultSets++;
        if (start == null && resultSets == 1) {
            if (resultRows.size() != 1 || resultColumns.size() != 2) {
                throw new ProtocolException("BASE_BACKUP start result has " + resultRows.size() + " rows of "
                        + resultColumns.size() + " columns");
            }
            startLsn = Lsn.parse(resultRows.get(0).get(0));
            startTli = TimelineId.of(Long.parseLong(resultRows.get(0).get(1)));
        } else if (start == null && resultSets == 2) {
            if (resultColumns.size() != 3) {
                throw new ProtocolException("BASE_BACKUP tablespace result has " + resultColumns.size() + " columns");
            }
            for (List<String> row : resultRows) {
                String oid = row.get(0);
                String size = row.get(2);
                archives.add(new TablespaceArchive(oid == null ? "base.tar" : oid + ".tar",
                        oid == null ? OptionalLong.empty() : OptionalLong.of(Long.parseLong(oid)),
                        Optional.ofNullable(row.get(1)),
                        size == null ? OptionalLong.empty() : OptionalLong.of(Long.parseLong(size))));
            }
            if (archives.isEmpty() || !archives.get(archives.size() - 1).isMainDirectory()) {
                throw new ProtocolException("BASE_BACKUP tablespace list does not end with the main directory");
            }
            start = new BackupStart(startLsn, startTli, archives);
            estimatedTotal = archives.stream().mapToLong(a -> a.estimatedKb().orElse(0) * 1024).sum();
            LOG.info("base backup started at {} on timeline {}: {}", startLsn, startTli,
                    archives.stream().map(TablespaceArchive::name).collect(Collectors.joining(", ")));
            listener.started(start);
        } else if (start != null && endLsn == null) {
            if (resultRows.size() != 1 || resultColumns.size() != 2) {
                throw new ProtocolException("BASE_BACKUP end result has " + resultRows.size() + " rows of "
                        + resultColumns.size() + " columns");
            }
            endLsn = Lsn.parse(resultRows.get(0).get(0));
            endTli = TimelineId.of(Long.parseLong(resultRows.get(0).get(1)));
        } else {
            throw new ProtocolException("BASE_BACKUP sent an unexpected result set with columns " + resultColumns);
        }
    }

    private void copyOut(BackendMessage m) {
        if (start == null || inCopy) {
            throw new ProtocolException("CopyOutResponse out of place during BASE_BACKUP");
        }
        inCopy = true;
        if (major < 15) {
            if (copies < archives.size()) {
                beginArchive(archives.get(copies));
            } else if (copies == archives.size()) {
                inManifest = true;
                manifestSeen = true;
            } else {
                throw new ProtocolException("BASE_BACKUP sent more COPY streams than tablespaces and manifest");
            }
        }
        copies++;
    }

    private void copyData(BackendMessage m) {
        if (!inCopy) {
            throw new ProtocolException("CopyData outside COPY during BASE_BACKUP");
        }
        ByteBuf body = m.body();
        if (major < 15) {
            if (inManifest) {
                manifest(body.nioBuffer());
            } else {
                archive(body.nioBuffer());
            }
            return;
        }
        MessageReader r = m.reader("BASE_BACKUP CopyData");
        int kind = r.int8("type");
        switch (kind) {
            case 'n' -> {
                String name = r.cstring("archive name");
                String path = r.cstring("tablespace path");
                r.end();
                endArchive();
                if (inManifest) {
                    throw new ProtocolException("BASE_BACKUP sent a new archive after the manifest");
                }
                TablespaceArchive a = archives.stream()
                        .filter(t -> path.isEmpty() ? t.isMainDirectory() : t.location().orElse("").equals(path))
                        .findFirst()
                        .orElseThrow(() -> new ProtocolException("BASE_BACKUP sent archive '" + name
                                + "' for unknown tablespace path '" + path + "'"));
                String expected = a.name() + compression.method().suffix();
                if (!name.equals(expected)) {
                    throw new ProtocolException("BASE_BACKUP sent archive '" + name + "', expected '" + expected
                            + "' (server compression asked for: " + compression + ")");
                }
                beginArchive(a);
            }
            case 'd' -> {
                ByteBuffer data = r.rest().nioBuffer();
                if (inManifest) {
                    manifest(data);
                } else if (receiver != null) {
                    archive(data);
                } else {
                    throw new ProtocolException("BASE_BACKUP sent archive data before any archive");
                }
            }
            case 'p' -> {
                long done = r.int64("bytes done");
                r.end();
                listener.progress(done, estimatedTotal);
            }
            case 'm' -> {
                r.end();
                endArchive();
                if (manifestSeen) {
                    throw new ProtocolException("BASE_BACKUP sent two manifests");
                }
                inManifest = true;
                manifestSeen = true;
            }
            default -> throw new ProtocolException("BASE_BACKUP CopyData has unknown type byte " + kind);
        }
    }

    private void copyDone() {
        if (!inCopy) {
            throw new ProtocolException("CopyDone outside COPY during BASE_BACKUP");
        }
        inCopy = false;
        if (major < 15) {
            if (inManifest) {
                inManifest = false;
            } else {
                // PostgreSQL 14 does not write the two end-of-archive blocks
                archive(TAR_END.duplicate());
                endArchive();
            }
        } else {
            endArchive();
            inManifest = false;
        }
    }

    private void beginArchive(TablespaceArchive a) {
        receiver = new ArchiveReceiver(a, compression, "archive '" + a.name() + compression.method().suffix() + "' from '"
                + conn.transport().endpoint() + "'", options.manifestChecksums(), verifier, listener);
        LOG.debug("receiving archive {}", a.name());
        listener.archiveStarted(a);
    }

    private void archive(ByteBuffer data) {
        if (receiver == null) {
            throw new ProtocolException("BASE_BACKUP sent archive data outside an archive");
        }
        wireBytes += data.remaining();
        long before = receiver.tarBytes();
        receiver.write(data);
        bytes += receiver.tarBytes() - before;
        if (major < 15 && System.nanoTime() - lastProgressNanos > 1_000_000_000L) {
            // PostgreSQL 14 sends no progress messages: report what arrived, about once a second
            lastProgressNanos = System.nanoTime();
            listener.progress(bytes, estimatedTotal);
        }
    }

    private void endArchive() {
        if (receiver == null) {
            return;
        }
        ArchiveReceiver done = receiver;
        done.finish();
        done.close();
        files += done.files();
        receiver = null;
        listener.archiveEnded(done.archive());
    }

    private void manifest(ByteBuffer data) {
        listener.manifestData(data.asReadOnlyBuffer());
        manifestParser.write(data.duplicate());
    }

    private BaseBackupResult finish(ServerMessage checksumFailure) {
        if (start == null || endLsn == null) {
            throw new ProtocolException("BASE_BACKUP ended without its start and end positions");
        }
        if (!manifestSeen) {
            throw new ProtocolException("BASE_BACKUP ended without a backup_manifest");
        }
        ManifestSummary summary = manifestParser.finish();
        long spilled = verifier.spilled();
        int disorder = verifier.maxOutOfOrder();
        List<ManifestVerifier.Problem> problems = verifier.finish();
        LOG.debug("manifest check: {} entries, {} received files kept on disk, at most {} out of order",
                summary.files(), spilled, disorder);
        if (!problems.isEmpty()) {
            String list = problems.stream().limit(20).map(ManifestVerifier.Problem::toString).collect(Collectors.joining("; "));
            throw new WalvaultException(ErrorCode.BACKUP_MANIFEST_MISMATCH, "the base backup received from '"
                    + conn.transport().endpoint() + "' does not match the server's backup_manifest: " + verifier.problemCount()
                    + " problem(s): " + list + (problems.size() > 20 ? "; ..." : "")
                    + " HINT: the stream was corrupted in transit or the server is faulty; do not use this backup");
        }
        if (checksumFailure != null) {
            if (!options.allowChecksumFailures()) {
                throw ServerErrors.toException(checksumFailure, conn.context(null));
            }
            LOG.warn("base backup has data-checksum failures, accepted as asked: {}", checksumFailure);
        }
        LOG.info("base backup received: {} files, {} bytes{}, end {} on timeline {}, manifest verified ({} entries)",
                files, bytes, compression.enabled() ? " (" + wireBytes + " compressed by the server with " + compression + ")" : "",
                endLsn, endTli, summary.files());
        return new BaseBackupResult(start, endLsn, endTli, bytes, wireBytes, files, summary, Optional.ofNullable(checksumFailure));
    }
}
