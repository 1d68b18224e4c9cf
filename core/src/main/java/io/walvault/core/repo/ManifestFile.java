package io.walvault.core.repo;

import static java.util.Objects.requireNonNull;

import io.walvault.core.manifest.FileChecksum;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.regex.Pattern;

/**
 * One entry of a backup: a regular file and where it lives (in bundle {@code bundle}, at
 * {@code offset} of the bundle's unpacked bytes), or a directory or symbolic link (no content).
 *
 * @param path       relative to the data directory ({@code base/5/16384}), or {@code pg_tblspc/<oid>/...}
 * @param type       {@code file}, {@code dir} or {@code link}; absent (null) in manifest format 1, meaning {@code file}
 * @param size       bytes (0 for directories and links)
 * @param mode       permission bits as the server sent them, or null when not recorded
 * @param mtime      modification time, seconds since the epoch
 * @param sha256     lowercase hex SHA-256 of the content, or null when {@code checksum} is given instead
 * @param checksum   the content's checksum in the server's backup_manifest form, {@code <ALGORITHM>:<hex>}
 *                   ({@code CRC32C:1a2b3c4d}), or null
 * @param linkTarget the target of a link, null otherwise
 * @param bundle     the bundle number within the backup (0 for directories and links)
 * @param offset     where the file starts in the bundle's plaintext (0 for directories and links)
 * @param chunkSize  for a file stored as chunks (manifest format 4): the plaintext size of each chunk but the
 *                   last; null for a file in a bundle
 * @param chunks     for a file stored as chunks: their names in file order (bundle and offset are then 0); else null
 * @param chunkHashes for a file stored as chunks: the XXH64 (seed 0) of each chunk's plaintext, 16 lowercase hex
 *                   digits each, concatenated in chunk order, for a delta restore's comparison at read speed; null
 *                   when not recorded
 * @param chunkCrcs  for a file stored as chunks (manifest format 5): the CRC-32C of each chunk's plaintext, 8 hex
 *                   digits each in backup_manifest's byte order, concatenated in chunk order, so that a later backup
 *                   that reuses a chunk can give the file it rebuilds its whole-file checksum; null when not recorded
 */
public record ManifestFile(String path, String type, long size, Integer mode, long mtime, String sha256, String checksum,
                           String linkTarget, int bundle, long offset, Integer chunkSize, List<ChunkId> chunks,
                           String chunkHashes, String chunkCrcs) {

    /** Checked for every entry of every manifest read: compiled once. */
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
    private static final Pattern CHECKSUM = Pattern.compile("[A-Z0-9]+:[0-9a-f]*");
    private static final Pattern HEX = Pattern.compile("[0-9a-f]*");

    public static final String FILE = "file";
    public static final String DIRECTORY = "dir";
    public static final String LINK = "link";

    public ManifestFile {
        requireNonNull(path, "path is null");
        type = type == null ? FILE : type;
        if (path.isEmpty() || path.startsWith("/") || path.contains("..")) {
            throw new IllegalArgumentException("manifest path '" + path + "' is not a safe relative path");
        }
        if (size < 0 || offset < 0 || bundle < 0) {
            throw new IllegalArgumentException("manifest entry '" + path + "' has a negative size, offset or bundle");
        }
        if (sha256 != null && !SHA256.matcher(sha256).matches()) {
            throw new IllegalArgumentException("manifest entry '" + path + "' has an invalid sha256");
        }
        if (checksum != null && !CHECKSUM.matcher(checksum).matches()) {
            throw new IllegalArgumentException("manifest entry '" + path + "' has an invalid checksum '" + checksum + "'");
        }
        switch (type) {
            case FILE -> {
                if (sha256 == null && checksum == null) {
                    throw new IllegalArgumentException("manifest entry '" + path + "' has no checksum");
                }
                if (linkTarget != null) {
                    throw new IllegalArgumentException("manifest entry '" + path + "' is a file with a link target");
                }
            }
            case DIRECTORY -> {
                if (size != 0 || linkTarget != null) {
                    throw new IllegalArgumentException("manifest entry '" + path + "' is a directory with content");
                }
            }
            case LINK -> {
                if (size != 0 || linkTarget == null || linkTarget.isEmpty()) {
                    throw new IllegalArgumentException("manifest entry '" + path + "' is a link without a target");
                }
            }
            default -> throw new IllegalArgumentException("manifest entry '" + path + "' has unknown type '" + type + "'");
        }
        if ((chunks == null) != (chunkSize == null)) {
            throw new IllegalArgumentException("manifest entry '" + path + "' has chunks without a chunk size, or the reverse");
        }
        if (chunks != null) {
            chunks = List.copyOf(chunks);
            if (!FILE.equals(type) || chunkSize <= 0 || bundle != 0 || offset != 0
                    || chunks.size() != (size + chunkSize - 1) / chunkSize) {
                throw new IllegalArgumentException("manifest entry '" + path + "' has " + chunks.size() + " chunks of "
                        + chunkSize + " bytes for " + size + " bytes");
            }
        }
        if (chunkHashes != null && (chunks == null || chunkHashes.length() != 16 * chunks.size()
                || !HEX.matcher(chunkHashes).matches())) {
            throw new IllegalArgumentException("manifest entry '" + path + "' has chunk hashes that do not fit its chunks");
        }
        if (chunkCrcs != null && (chunks == null || chunkCrcs.length() != 8 * chunks.size()
                || !HEX.matcher(chunkCrcs).matches())) {
            throw new IllegalArgumentException("manifest entry '" + path + "' has chunk CRCs that do not fit its chunks");
        }
    }

    /** A file in a bundle, as every entry before manifest format 4. */
    public ManifestFile(String path, String type, long size, Integer mode, long mtime, String sha256, String checksum,
                        String linkTarget, int bundle, long offset) {
        this(path, type, size, mode, mtime, sha256, checksum, linkTarget, bundle, offset, null, null, null, null);
    }

    /** A regular file with the server's checksum, stored as {@code chunks} of {@code chunkSize} bytes. */
    public static ManifestFile chunked(String path, long size, int mode, long mtime, String checksum, int chunkSize,
                                       List<ChunkId> chunks) {
        return new ManifestFile(path, FILE, size, mode, mtime, null, checksum, null, 0, 0, chunkSize, chunks, null, null);
    }

    /** The same with the XXH64 of each chunk's plaintext ({@code hashes[i]} of chunk {@code i}). */
    public static ManifestFile chunked(String path, long size, int mode, long mtime, String checksum, int chunkSize,
                                       List<ChunkId> chunks, long[] hashes) {
        return new ManifestFile(path, FILE, size, mode, mtime, null, checksum, null, 0, 0, chunkSize, chunks, hashesHex(hashes),
                null);
    }

    /** The same with the CRC-32C of each chunk's plaintext too ({@code crcs[i]} of chunk {@code i}, as CRC32C returns it). */
    public static ManifestFile chunked(String path, long size, int mode, long mtime, String checksum, int chunkSize,
                                       List<ChunkId> chunks, long[] hashes, int[] crcs) {
        StringBuilder hex = new StringBuilder(crcs.length * 8);
        for (int c : crcs) {
            hex.append(FileChecksum.crc32cHex(c));
        }
        return new ManifestFile(path, FILE, size, mode, mtime, null, checksum, null, 0, 0, chunkSize, chunks, hashesHex(hashes),
                hex.toString());
    }

    /** Chunks' XXH64s as {@code chunkHashes} writes them: 16 lowercase hex digits each, in chunk order. */
    public static String hashesHex(long[] hashes) {
        StringBuilder hex = new StringBuilder(hashes.length * 16);
        for (long h : hashes) {
            hex.append(String.format(Locale.ROOT, "%016x", h));
        }
        return hex.toString();
    }

    /** The CRC-32C of chunk {@code i}'s plaintext (as CRC32C returns it), if recorded. */
    public OptionalInt chunkCrc(int i) {
        if (chunkCrcs == null) {
            return OptionalInt.empty();
        }
        byte[] b = HexFormat.of().parseHex(chunkCrcs, i * 8, i * 8 + 8);
        return OptionalInt.of(ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getInt());
    }

    /** The XXH64 of chunk {@code i}'s plaintext, if recorded. */
    public OptionalLong chunkHash(int i) {
        if (chunkHashes == null) {
            return OptionalLong.empty();
        }
        return OptionalLong.of(Long.parseUnsignedLong(chunkHashes.substring(i * 16, i * 16 + 16), 16));
    }

    /** Whether the file is stored as chunks rather than in a bundle. */
    public boolean isChunked() {
        return chunks != null;
    }

    /** A regular file checksummed with SHA-256 (manifest format 1's only kind of entry). */
    public static ManifestFile file(String path, long size, long mtime, String sha256, int bundle, long offset) {
        return new ManifestFile(path, FILE, size, null, mtime, sha256, null, null, bundle, offset);
    }

    /** A regular file with the server's checksum ({@code CRC32C:1a2b3c4d}). */
    public static ManifestFile file(String path, long size, int mode, long mtime, String checksum, int bundle, long offset) {
        return new ManifestFile(path, FILE, size, mode, mtime, null, checksum, null, bundle, offset);
    }

    public static ManifestFile directory(String path, int mode, long mtime) {
        return new ManifestFile(path, DIRECTORY, 0, mode, mtime, null, null, null, 0, 0);
    }

    public static ManifestFile link(String path, String target, long mtime) {
        return new ManifestFile(path, LINK, 0, null, mtime, null, null, target, 0, 0);
    }

    public boolean isFile() {
        return FILE.equals(type);
    }

    /**
     * The checksum a regular file's content must have.
     *
     * @param algorithm as backup_manifest names it ({@code CRC32C}, {@code SHA256}, {@code NONE})
     * @param hex the lowercase hex value (empty for NONE)
     */
    public record Checksum(String algorithm, String hex) {
    }

    /** The checksum this regular file's content must have: SHA-256 when recorded, else the server's. */
    public Checksum expectedChecksum() {
        if (sha256 != null) {
            return new Checksum("SHA256", sha256);
        }
        if (checksum == null) {
            throw new IllegalStateException("'" + path + "' is a " + type + ", with no checksum");
        }
        int colon = checksum.indexOf(':');
        return new Checksum(checksum.substring(0, colon), checksum.substring(colon + 1));
    }
}
