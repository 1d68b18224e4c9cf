package io.walvault.core.repo;

import static java.util.Objects.requireNonNull;

/**
 * One file of a backup, and where it lives: in bundle {@code bundle}, at {@code offset} of the
 * bundle's unpacked bytes.
 *
 * @param path   relative to the data directory ({@code base/5/16384}), or {@code pg_tblspc/<oid>/...}
 * @param size   bytes
 * @param mtime  modification time, seconds since the epoch
 * @param sha256 lowercase hex
 * @param bundle the bundle number within the backup
 * @param offset where the file starts in the bundle's plaintext
 */
public record ManifestFile(String path, long size, long mtime, String sha256, int bundle, long offset) {
    public ManifestFile {
        requireNonNull(path, "path is null");
        requireNonNull(sha256, "sha256 is null");
        if (path.isEmpty() || path.startsWith("/") || path.contains("..")) {
            throw new IllegalArgumentException("manifest path '" + path + "' is not a safe relative path");
        }
        if (size < 0 || offset < 0 || bundle < 0) {
            throw new IllegalArgumentException("manifest entry '" + path + "' has a negative size, offset or bundle");
        }
        if (!sha256.matches("[0-9a-f]{64}")) {
            throw new IllegalArgumentException("manifest entry '" + path + "' has an invalid sha256");
        }
    }
}
