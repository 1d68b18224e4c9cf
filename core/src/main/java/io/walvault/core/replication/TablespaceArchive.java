package io.walvault.core.replication;

import static java.util.Objects.requireNonNull;

import java.util.Optional;
import java.util.OptionalLong;

/**
 * One archive of a base backup: the main data directory ({@code base.tar}) or a tablespace
 * ({@code <oid>.tar}).
 *
 * @param name {@code base.tar} or {@code <oid>.tar}
 * @param oid the tablespace's OID, empty for the main directory
 * @param location the tablespace's directory on the server, empty for the main directory
 * @param estimatedKb the server's size estimate in kB when PROGRESS was requested
 */
public record TablespaceArchive(String name, OptionalLong oid, Optional<String> location, OptionalLong estimatedKb) {
    public TablespaceArchive {
        requireNonNull(name, "name is null");
        requireNonNull(oid, "oid is null");
        requireNonNull(location, "location is null");
        requireNonNull(estimatedKb, "estimatedKb is null");
    }

    public boolean isMainDirectory() {
        return oid.isEmpty();
    }

    /** The prefix of this archive's files in the backup manifest ({@code pg_tblspc/<oid>/}, or none). */
    String manifestPrefix() {
        return oid.isPresent() ? "pg_tblspc/" + oid.getAsLong() + "/" : "";
    }
}
