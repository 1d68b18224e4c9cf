package io.walvault.core.manifest;

import static java.util.Objects.requireNonNull;

/**
 * One entry of a backup_manifest's {@code Files} list.
 *
 * @param path relative to the data directory (decoded from {@code Encoded-Path} when needed)
 * @param size bytes
 * @param checksumAlgorithm {@code NONE}, {@code CRC32C}, {@code SHA256}...
 * @param checksum lowercase hex as the manifest writes it, empty for NONE
 */
public record ManifestFile(String path, long size, String checksumAlgorithm, String checksum) {
    public ManifestFile {
        requireNonNull(path, "path is null");
        requireNonNull(checksumAlgorithm, "checksumAlgorithm is null");
        requireNonNull(checksum, "checksum is null");
        if (size < 0) {
            throw new IllegalArgumentException("manifest entry '" + path + "' has negative size");
        }
    }
}
