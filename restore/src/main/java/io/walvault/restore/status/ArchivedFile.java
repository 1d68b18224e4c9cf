package io.walvault.restore.status;

import static java.util.Objects.requireNonNull;

import java.time.Instant;

/**
 * An archived WAL file and when it reached the repository (its object's time in the store).
 *
 * @param name       the WAL file name (a segment or a {@code .partial})
 * @param archivedAt when the store published it
 */
public record ArchivedFile(String name, Instant archivedAt) {
    public ArchivedFile {
        requireNonNull(name, "name is null");
        requireNonNull(archivedAt, "archivedAt is null");
    }
}
