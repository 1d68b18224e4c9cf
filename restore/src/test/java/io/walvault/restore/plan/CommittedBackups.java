package io.walvault.restore.plan;

import io.walvault.core.repo.BackupCatalog;
import io.walvault.core.repo.BackupInfo;
import io.walvault.core.repo.ManifestFile;
import io.walvault.core.repo.ManifestWriter;
import io.walvault.core.repo.ObjectResult;
import io.walvault.core.repo.ObjectWriter;
import io.walvault.core.wal.TimelineId;
import io.walvault.core.wal.WalSegmentName;
import java.io.IOException;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/** Small committed backups for planning tests: one bundle, one file, their WAL one segment of timeline 1. */
final class CommittedBackups {

    static final long SEG = 16L << 20;

    private CommittedBackups() {
    }

    /**
     * Commits backup {@code id} (named by its start, {@code yyyyMMddT063000Z}: it starts at 06:30 that
     * day and ends a minute later) of cluster {@code systemId}, whose WAL is segment {@code walSegment}.
     */
    static BackupInfo add(BackupCatalog catalog, long systemId, String id, int walSegment) throws IOException {
        ObjectResult bundle;
        try (ObjectWriter w = catalog.newBundle(id, 0)) {
            w.write(new byte[1000], 0, 1000);
            bundle = w.finishWithResult();
        }
        WalSegmentName wal = WalSegmentName.parse(String.format("0000000100000000%08X", walSegment), SEG);
        Instant start = Instant.parse(id.substring(0, 4) + "-" + id.substring(4, 6) + "-" + id.substring(6, 8) + "T06:30:00Z");
        BackupInfo info = new BackupInfo(id, systemId, 180001, "18.1", "nightly", TimelineId.of(1), wal.startLsn().plus(0x28),
                TimelineId.of(1), wal.startLsn().plus(0x100), start, start.plusSeconds(60), OptionalLong.of(SEG), Optional.of(wal),
                Optional.of(wal), 1L, 1000L, bundle.storedSize(), 1, false);
        ObjectResult manifest;
        try (ManifestWriter m = catalog.newManifest(info)) {
            m.add(ManifestFile.file("base/1/1259", 1000, 0600, 1_700_000_000L, "CRC32C:0badf00d", 0, 0));
            manifest = m.finish();
        }
        catalog.commit(info, manifest, null, List.of(bundle));
        return info;
    }
}
