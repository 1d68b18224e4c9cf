package io.walvault.core.repo;

import io.walvault.core.error.CorruptDataException;
import io.walvault.core.wal.Lsn;
import io.walvault.core.wal.TimelineId;
import io.walvault.core.wal.WalSegmentName;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * A backup's header as it is written in the repository (the {@code backup} object of a
 * manifest's first line and of a commit record; docs/FORMAT.md): the JSON mapping of
 * {@link BackupInfo}, kept apart from it so that the domain record has types and the format
 * has its own evolution. Fields after {@code label} came with manifest format 2 and are null in
 * format 1.
 */
record BackupInfoJson(String id, long systemId, int pgVersion, long timeline, String startLsn, String stopLsn,
                      String startTime, String stopTime, String label, Long stopTimeline, String serverVersion,
                      Long walSegmentSize, String firstWal, String lastWal, Long files, Long bytes, Long storedBytes,
                      Integer bundles, Boolean serverManifest, Long chunkedBytes, Long chunkNewBytes, Long chunkNewStoredBytes,
                      Long chunkSharedBytes) {

    static BackupInfoJson of(BackupInfo b) {
        return new BackupInfoJson(b.id(), b.systemId(), b.pgVersion(), b.timeline().value(), b.startLsn().toString(),
                b.stopLsn().toString(), b.startTime().toString(), b.stopTime().toString(), b.label(), b.stopTimeline().value(),
                b.serverVersion(), b.walSegmentSize().isPresent() ? b.walSegmentSize().getAsLong() : null,
                b.firstWal().map(WalSegmentName::fileName).orElse(null), b.lastWal().map(WalSegmentName::fileName).orElse(null),
                b.files(), b.bytes(), b.storedBytes(), b.bundles(), b.serverManifest(),
                b.chunks().equals(BackupInfo.ChunkUse.NONE) ? null : b.chunks().chunkedBytes(),
                b.chunks().equals(BackupInfo.ChunkUse.NONE) ? null : b.chunks().newBytes(),
                b.chunks().equals(BackupInfo.ChunkUse.NONE) ? null : b.chunks().newStoredBytes(),
                b.chunks().equals(BackupInfo.ChunkUse.NONE) ? null : b.chunks().sharedBytes());
    }

    /** The domain record; anything that does not parse is corruption of {@code key}. */
    BackupInfo toInfo(String key) {
        try {
            OptionalLong segmentSize = walSegmentSize == null ? OptionalLong.empty() : OptionalLong.of(walSegmentSize);
            return new BackupInfo(id, systemId, pgVersion, serverVersion != null ? serverVersion : BackupInfo.versionText(pgVersion),
                    label == null ? "" : label, TimelineId.of(timeline), Lsn.parse(startLsn),
                    TimelineId.of(stopTimeline != null ? stopTimeline : timeline), Lsn.parse(stopLsn), Instant.parse(startTime),
                    Instant.parse(stopTime), segmentSize, segment(firstWal, segmentSize), segment(lastWal, segmentSize),
                    files == null ? 0 : files, bytes == null ? 0 : bytes, storedBytes == null ? 0 : storedBytes,
                    bundles == null ? 0 : bundles, Boolean.TRUE.equals(serverManifest), chunkedBytes == null
                    ? BackupInfo.ChunkUse.NONE : new BackupInfo.ChunkUse(chunkedBytes, orZero(chunkNewBytes), orZero(chunkNewStoredBytes),
                    orZero(chunkSharedBytes)));
        } catch (IllegalArgumentException | NullPointerException | DateTimeParseException e) {
            throw new CorruptDataException("object '" + key + "' is corrupt: its backup record is invalid (" + e.getMessage() + ")", e);
        }
    }

    private static long orZero(Long v) {
        return v == null ? 0 : v;
    }

    private static Optional<WalSegmentName> segment(String name, OptionalLong segmentSize) {
        if (name == null) {
            return Optional.empty();
        }
        if (segmentSize.isEmpty()) {
            throw new IllegalArgumentException("WAL segment '" + name + "' without a segment size");
        }
        return Optional.of(WalSegmentName.parse(name, segmentSize.getAsLong()));
    }
}
