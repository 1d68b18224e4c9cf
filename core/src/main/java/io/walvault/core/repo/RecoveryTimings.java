package io.walvault.core.repo;

import static java.util.Objects.requireNonNull;

import io.walvault.core.error.CorruptDataException;
import io.walvault.core.storage.ObjectInfo;
import io.walvault.core.storage.Storage;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * What earlier restores and drills of a cluster measured, from which {@code walvault status}
 * estimates the time a restore to now would take (the RTO). One plain JSON object per
 * measurement, {@code clusters/<system-id>/timings/<yyyyMMddTHHmmssZ>-<random>.json}
 * (docs/FORMAT.md, "Timing records"): key order is time order. Only the newest
 * {@value #KEEP} are kept: each writer removes older ones. They hold sizes and durations only,
 * never content. Thread-safe.
 */
public final class RecoveryTimings {

    /** How many records a cluster keeps; the estimate uses the newest few. */
    public static final int KEEP = 20;

    /**
     * One measurement.
     *
     * @param format          {@value #FORMAT}
     * @param kind            {@code restore} (a full restore command: its files) or {@code drill}
     *                        (a drill's server: its recovery)
     * @param at              when it ended (ISO-8601)
     * @param host            where it ran
     * @param restoredBytes   bytes of the cluster's files written ({@code restore}; else 0)
     * @param restoreSeconds  the restore command's whole time ({@code restore}; else 0)
     * @param walBytes        WAL replayed, from the backup's start to where recovery ended ({@code drill}; else 0)
     * @param recoverySeconds from the server's start until recovery ended ({@code drill}; else 0)
     */
    public record Timing(int format, String kind, String at, String host, long restoredBytes, double restoreSeconds,
                         long walBytes, double recoverySeconds) {
        public Timing {
            if (format != FORMAT) {
                throw new CorruptDataException("timing record format " + format + " is not supported");
            }
            if (!RESTORE.equals(kind) && !DRILL.equals(kind)) {
                throw new CorruptDataException("timing record kind '" + kind + "' is not restore or drill");
            }
            Instant.parse(requireNonNull(at, "at is null"));
            requireNonNull(host, "host is null");
            if (restoredBytes < 0 || walBytes < 0 || !(restoreSeconds >= 0) || !(recoverySeconds >= 0)) {
                throw new CorruptDataException("timing record with a negative size or duration");
            }
        }

        /** A full restore on this machine that wrote {@code bytes} in {@code seconds}. */
        public static Timing restore(Instant at, long bytes, double seconds) {
            return new Timing(FORMAT, RESTORE, at.toString(), HostName.local(), bytes, seconds, 0, 0);
        }

        /** A drill's server on this machine that replayed {@code walBytes} in {@code seconds} from its start. */
        public static Timing drill(Instant at, long walBytes, double seconds) {
            return new Timing(FORMAT, DRILL, at.toString(), HostName.local(), 0, 0, walBytes, seconds);
        }

        /** Restore throughput in bytes per second, if this measured one. */
        public double restoreRate() {
            return restoredBytes > 0 && restoreSeconds > 0 ? restoredBytes / restoreSeconds : 0;
        }

        /** WAL replay throughput in bytes per second, if this measured one. */
        public double replayRate() {
            return walBytes > 0 && recoverySeconds > 0 ? walBytes / recoverySeconds : 0;
        }
    }

    static final int FORMAT = 1;
    static final String RESTORE = "restore";
    static final String DRILL = "drill";
    private static final DateTimeFormatter KEY_TIME = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'", Locale.ROOT)
            .withZone(ZoneOffset.UTC);

    private final Repository repository;
    private final long systemId;

    RecoveryTimings(Repository repository, long systemId) {
        this.repository = requireNonNull(repository, "repository is null");
        this.systemId = systemId;
    }

    private String dir() {
        return RepositoryLayout.cluster(systemId) + "timings/";
    }

    /** Stores {@code t}, then removes records beyond the newest {@value #KEEP}. */
    public void record(Timing t) {
        String key = dir() + KEY_TIME.format(Instant.parse(t.at())) + "-" + UUID.randomUUID().toString().substring(0, 8) + ".json";
        Storage storage = repository.storage();
        Json.store(storage, key, t);
        List<String> keys = keys();
        if (keys.size() > KEEP) {
            storage.removeAll(keys.subList(0, keys.size() - KEEP));
        }
    }

    /** The newest {@code n} records, oldest first; a record that cannot be read is left out (they only feed an estimate). */
    public List<Timing> newest(int n) {
        List<String> keys = keys();
        Storage storage = repository.storage();
        List<Timing> out = new ArrayList<>();
        for (String key : keys.subList(Math.max(0, keys.size() - n), keys.size())) {
            try {
                out.add(Json.load(storage, key, Timing.class));
            } catch (RuntimeException e) {
                // removed by another writer meanwhile, or damaged: an estimate without it
            }
        }
        return out;
    }

    private List<String> keys() {
        try (Stream<ObjectInfo> l = repository.storage().list(dir())) {
            return l.map(ObjectInfo::key).filter(k -> k.endsWith(".json")).sorted().toList();
        }
    }
}
