package io.walvault.restore.status;

import io.walvault.core.repo.ClusterCatalog;
import io.walvault.core.repo.RecoveryTimings.Timing;
import java.time.Duration;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Records what a full restore or a drill measured, for the {@link Rto} estimate of {@code status}.
 * Best effort: a repository that does not take the write (read-only credentials during an
 * incident) loses only the record, with a warning; the restore or drill itself stands.
 */
public final class RtoRecorder {

    private static final Logger LOG = LoggerFactory.getLogger(RtoRecorder.class);

    private RtoRecorder() {
    }

    /** A full restore wrote {@code bytes} of the cluster's files in {@code took}. */
    public static void restore(ClusterCatalog cluster, long bytes, Duration took) {
        if (bytes > 0 && !took.isZero()) {
            record(cluster, Timing.restore(Instant.now(), bytes, took.toMillis() / 1000.0), "restore");
        }
    }

    /** A drill's server replayed {@code walBytes} in {@code took} from its start until recovery ended. */
    public static void drill(ClusterCatalog cluster, long walBytes, Duration took) {
        if (walBytes > 0 && !took.isZero()) {
            record(cluster, Timing.drill(Instant.now(), walBytes, took.toMillis() / 1000.0), "drill");
        }
    }

    private static void record(ClusterCatalog cluster, Timing t, String what) {
        try {
            cluster.timings().record(t);
        } catch (RuntimeException e) {
            LOG.warn("cannot record this {}'s throughput in the repository ('walvault status' estimates the recovery time"
                    + " from it): {}", what, e.getMessage());
        }
    }
}
