package io.walvault.core.manifest;

import static java.util.Objects.requireNonNull;

import java.util.List;
import java.util.Optional;

/**
 * What a backup_manifest says besides its file list.
 *
 * @param version 1 (PostgreSQL 13-16) or 2 (17+)
 * @param systemIdentifier the cluster's system identifier (version 2 only)
 * @param walRanges the WAL needed to make the backup consistent
 * @param files how many files it lists
 * @param manifestChecksum its own SHA-256, verified
 */
public record ManifestSummary(int version, Optional<String> systemIdentifier, List<WalRange> walRanges, long files,
                              String manifestChecksum) {
    public ManifestSummary {
        requireNonNull(systemIdentifier, "systemIdentifier is null");
        walRanges = List.copyOf(walRanges);
        requireNonNull(manifestChecksum, "manifestChecksum is null");
    }
}
