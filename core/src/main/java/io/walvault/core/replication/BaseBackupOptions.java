package io.walvault.core.replication;

import static java.util.Objects.requireNonNull;

import java.util.Locale;
import java.util.Set;

/**
 * What BASE_BACKUP is asked for. The manifest is always requested (the client verifies the
 * backup against it) and WAL is never included (walvault streams WAL separately), and the
 * server is never asked to wait for WAL archiving (NOWAIT / WAIT false).
 *
 * @param label the backup label (backup_label's LABEL line)
 * @param fastCheckpoint an immediate checkpoint instead of a spread one
 * @param progress ask the server to compute sizes first and report progress
 * @param manifestChecksums CRC32C (default), SHA224, SHA256, SHA384, SHA512 or NONE
 * @param tablespaceMap a tablespace_map file instead of symbolic links in pg_tblspc
 * @param verifyChecksums let the server verify data checksums while it reads (default)
 * @param allowChecksumFailures finish successfully even when the server reports checksum failures
 *        (the result says how many; never the default)
 * @param maxRateKbps throttle in kB/s, 0 for none
 * @param compression what the server compresses the archives with (PostgreSQL 15 and newer;
 *        ignored by 14, which cannot)
 * @param incremental an incremental backup against the manifest uploaded before on the same
 *        connection ({@link ReplicationConnection#uploadManifest}; PostgreSQL 17 and newer, with
 *        summarize_wal on)
 */
public record BaseBackupOptions(String label, boolean fastCheckpoint, boolean progress, String manifestChecksums,
                                boolean tablespaceMap, boolean verifyChecksums, boolean allowChecksumFailures,
                                int maxRateKbps, ServerCompression compression, boolean incremental) {

    public BaseBackupOptions {
        requireNonNull(label, "label is null");
        requireNonNull(compression, "compression is null");
        requireNonNull(manifestChecksums, "manifestChecksums is null");
        manifestChecksums = manifestChecksums.toUpperCase(Locale.ROOT);
        if (!Set.of("NONE", "CRC32C", "SHA224", "SHA256", "SHA384", "SHA512").contains(manifestChecksums)) {
            throw new IllegalArgumentException("manifest checksum algorithm '" + manifestChecksums
                    + "' is not one of NONE, CRC32C, SHA224, SHA256, SHA384, SHA512");
        }
        if (maxRateKbps != 0 && (maxRateKbps < 32 || maxRateKbps > 1048576)) {
            throw new IllegalArgumentException("max rate " + maxRateKbps + " kB/s is outside 32 to 1048576");
        }
        if (label.length() > 1023) {
            throw new IllegalArgumentException("backup label is longer than 1023 characters");
        }
    }

    /** Label "walvault", spread checkpoint, progress, CRC32C manifest, tablespace map, checksums verified. */
    public static BaseBackupOptions defaults() {
        return new BaseBackupOptions("walvault", false, true, "CRC32C", true, true, false, 0, ServerCompression.NONE, false);
    }

    public BaseBackupOptions label(String l) {
        return new BaseBackupOptions(l, fastCheckpoint, progress, manifestChecksums, tablespaceMap, verifyChecksums, allowChecksumFailures, maxRateKbps, compression, incremental);
    }

    public BaseBackupOptions fastCheckpoint(boolean b) {
        return new BaseBackupOptions(label, b, progress, manifestChecksums, tablespaceMap, verifyChecksums, allowChecksumFailures, maxRateKbps, compression, incremental);
    }

    public BaseBackupOptions progress(boolean b) {
        return new BaseBackupOptions(label, fastCheckpoint, b, manifestChecksums, tablespaceMap, verifyChecksums, allowChecksumFailures, maxRateKbps, compression, incremental);
    }

    public BaseBackupOptions manifestChecksums(String algorithm) {
        return new BaseBackupOptions(label, fastCheckpoint, progress, algorithm, tablespaceMap, verifyChecksums, allowChecksumFailures, maxRateKbps, compression, incremental);
    }

    public BaseBackupOptions tablespaceMap(boolean b) {
        return new BaseBackupOptions(label, fastCheckpoint, progress, manifestChecksums, b, verifyChecksums, allowChecksumFailures, maxRateKbps, compression, incremental);
    }

    public BaseBackupOptions verifyChecksums(boolean b) {
        return new BaseBackupOptions(label, fastCheckpoint, progress, manifestChecksums, tablespaceMap, b, allowChecksumFailures, maxRateKbps, compression, incremental);
    }

    public BaseBackupOptions allowChecksumFailures(boolean b) {
        return new BaseBackupOptions(label, fastCheckpoint, progress, manifestChecksums, tablespaceMap, verifyChecksums, b, maxRateKbps, compression, incremental);
    }

    public BaseBackupOptions maxRateKbps(int kbps) {
        return new BaseBackupOptions(label, fastCheckpoint, progress, manifestChecksums, tablespaceMap, verifyChecksums, allowChecksumFailures, kbps, compression, incremental);
    }

    public BaseBackupOptions compression(ServerCompression c) {
        return new BaseBackupOptions(label, fastCheckpoint, progress, manifestChecksums, tablespaceMap, verifyChecksums, allowChecksumFailures, maxRateKbps, c, incremental);
    }

    public BaseBackupOptions incremental(boolean b) {
        return new BaseBackupOptions(label, fastCheckpoint, progress, manifestChecksums, tablespaceMap, verifyChecksums, allowChecksumFailures, maxRateKbps, compression, b);
    }

    /** The compression the server applies: {@link #compression} from PostgreSQL 15 on, none before. */
    public ServerCompression compressionFor(int serverMajor) {
        return serverMajor >= 15 ? compression : ServerCompression.NONE;
    }

    /** The command in the form the server's major version understands. */
    public String command(int serverMajor) {
        String quotedLabel = "'" + label.replace("'", "''") + "'";
        StringBuilder sb = new StringBuilder("BASE_BACKUP");
        if (serverMajor >= 15) {
            sb.append(" (LABEL ").append(quotedLabel);
            sb.append(", CHECKPOINT '").append(fastCheckpoint ? "fast" : "spread").append('\'');
            if (progress) {
                sb.append(", PROGRESS");
            }
            sb.append(", WAIT false");
            if (tablespaceMap) {
                sb.append(", TABLESPACE_MAP");
            }
            sb.append(", VERIFY_CHECKSUMS ").append(verifyChecksums ? "true" : "false");
            sb.append(", MANIFEST 'yes', MANIFEST_CHECKSUMS '").append(manifestChecksums).append('\'');
            if (maxRateKbps > 0) {
                sb.append(", MAX_RATE ").append(maxRateKbps);
            }
            sb.append(compression.commandOptions());
            if (incremental) {
                if (serverMajor < 17) {
                    throw new IllegalArgumentException("PostgreSQL " + serverMajor + " takes no incremental backups (17 and newer do)");
                }
                sb.append(", INCREMENTAL");
            }
            sb.append(", TARGET 'client')");
        } else {
            sb.append(" LABEL ").append(quotedLabel);
            if (progress) {
                sb.append(" PROGRESS");
            }
            if (fastCheckpoint) {
                sb.append(" FAST");
            }
            sb.append(" NOWAIT");
            if (maxRateKbps > 0) {
                sb.append(" MAX_RATE ").append(maxRateKbps);
            }
            if (tablespaceMap) {
                sb.append(" TABLESPACE_MAP");
            }
            if (!verifyChecksums) {
                sb.append(" NOVERIFY_CHECKSUMS");
            }
            sb.append(" MANIFEST 'yes' MANIFEST_CHECKSUMS '").append(manifestChecksums).append('\'');
        }
        return sb.toString();
    }
}
