package io.walvault.core.repo;

import static java.util.Objects.requireNonNull;

import io.walvault.core.error.CorruptDataException;
import io.walvault.core.storage.ObjectExistsException;
import io.walvault.core.storage.ObjectInfo;
import io.walvault.core.storage.Storage;
import io.walvault.core.wal.WalFileName;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * A cluster's record of WAL that archiving gave up on purpose: files acknowledged to
 * PostgreSQL unarchived because {@code archive-push-queue-max} was reached while the repository
 * failed. One plain JSON object per run of files, {@code clusters/<system-id>/gaps/<first>-<last>.json}
 * (docs/FORMAT.md, "Gap records"), so that {@code info} says why the archive has a hole there
 * instead of only that it has one. Thread-safe.
 */
public final class ArchiveGaps {

    /**
     * WAL given up.
     *
     * @param format  {@value #FORMAT}
     * @param first   the first file given up
     * @param last    the last
     * @param files   how many
     * @param bytes   their bytes
     * @param host    where
     * @param at      when (ISO-8601)
     * @param reason  why, for people
     */
    public record Gap(int format, String first, String last, long files, long bytes, String host, String at, String reason) {
        public Gap {
            if (format != FORMAT) {
                throw new CorruptDataException("gap record format " + format + " is not supported");
            }
            WalFileName.parse(first);
            WalFileName.parse(last);
            requireNonNull(host, "host is null");
            Instant.parse(requireNonNull(at, "at is null"));
            requireNonNull(reason, "reason is null");
        }
    }

    static final int FORMAT = 1;

    private final Repository repository;
    private final long systemId;

    ArchiveGaps(Repository repository, long systemId) {
        this.repository = requireNonNull(repository, "repository is null");
        this.systemId = systemId;
    }

    private String dir() {
        return RepositoryLayout.cluster(systemId) + "gaps/";
    }

    /** Records {@code gap} (an identical record already there is fine). */
    public void record(Gap gap) {
        try {
            Json.store(repository.storage(), dir() + gap.first() + "-" + gap.last() + ".json", gap);
        } catch (ObjectExistsException e) {
            // recorded before (a worker that retried)
        }
    }

    /** Every gap recorded, in key order. */
    public List<Gap> list() {
        Storage storage = repository.storage();
        List<Gap> out = new ArrayList<>();
        try (Stream<ObjectInfo> l = storage.list(dir())) {
            for (ObjectInfo i : (Iterable<ObjectInfo>) l::iterator) {
                if (!i.key().endsWith(".json")) {
                    continue;
                }
                out.add(Json.load(storage, i.key(), Gap.class));
            }
        }
        return out;
    }
}
